// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeModule} from "../../../contracts/interfaces/IDisputeModule.sol";
import {Billing} from "../../../contracts/libraries/Billing.sol";
import {OpenParams, RentalState, RentalStatus, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {MockERC20} from "../../mocks/MockERC20.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {IGpuEscrowFull} from "../../utils/IGpuEscrowFull.sol";
import {BaseHandler} from "./BaseHandler.sol";

/// @notice Adversaries against an honest oracle. The GPUs' real state is a timeline of up and down intervals that
/// only `warp` writes; the oracle attests exactly that timeline (cumulative uptime to periodEnd, never past a stop)
/// and serves every attestation it signs, so every actor below may use any of them:
/// - a provider that terminates, disputes and checkpoints at the worst moment for the renter;
/// - a renter that front-runs the provider's `terminate` with `extend`, stops with the stalest attestation it holds,
///   and disputes after using everything;
/// - a third party that checkpoints, settles and tries proofs with any public attestation, first in the block;
/// - an arbitrator that never rules: every dispute falls back to the billing rules;
/// - a keeper that settles everything due in one batch, after the others had their turn.
/// For every rental it closes, it records what the rules say each party should end with, computed from the
/// timeline, next to what they got; the invariants compare the two.
contract AttackerHandler is BaseHandler {
    struct Rental {
        RentalTerms terms;
        uint256 deposit;
        /// Paid by the renter: deposit − what came back (pushed or credited).
        uint256 renterPaid;
        /// What the rules say the renter pays, from the timeline (0 while open).
        uint256 renterOwes;
        bool closed;
        bool disputed;
        address opener;
    }

    MockERC20 internal immutable token;
    uint256 internal immutable attesterKey;
    address internal immutable provider;
    address internal immutable renter;
    address internal immutable keeper;
    address internal immutable griefer;
    uint64[] internal offers;

    Rental[] internal _rentals;
    /// The oracle's last signed seq and period end per rental: both only grow.
    mapping(uint256 index => uint64) internal seqOf;
    mapping(uint256 index => uint256) internal lastEndOf;

    /// The GPUs' timeline: interval k runs from starts[k] to starts[k + 1] (the last one to now), up or down.
    uint256[] internal starts;
    bool[] internal ups;

    /// Ghost ledger.
    uint256 public bonded;
    uint256 public penaltiesOwed;
    uint256 public penaltiesTaken;
    uint256 public batchReverts;
    /// A batch paid the renter back other than the rules say.
    uint256 public batchMismatches;
    uint256 public honestSlashes;
    uint256 public disputeBondsLost;

    constructor(
        IGpuEscrowFull escrow_,
        MockERC20 token_,
        uint256 attesterKey_,
        address provider_,
        address renter_,
        uint64[] memory offers_,
        uint256 bonded_
    ) BaseHandler(escrow_) {
        token = token_;
        attesterKey = attesterKey_;
        provider = provider_;
        renter = renter_;
        keeper = makeAddr("keeper");
        griefer = makeAddr("griefer");
        offers = offers_;
        bonded = bonded_;
        starts.push(block.timestamp);
        ups.push(true);
    }

    /*//////////////////////////////////////////////////////////////
                                THE WORLD
    //////////////////////////////////////////////////////////////*/

    /// @dev Time passes with the GPUs up or down (one in three steps is an outage).
    function warp(uint256 secondsSeed, uint256 stateSeed) external instrument("warp") {
        bool up = stateSeed % 3 != 0;
        if (up != ups[ups.length - 1]) {
            starts.push(block.timestamp);
            ups.push(up);
        }
        vm.warp(block.timestamp + _bound(secondsSeed, 1, 3 hours));
    }

    /*//////////////////////////////////////////////////////////////
                               THE RENTER
    //////////////////////////////////////////////////////////////*/

    function open(uint256 offerSeed, uint256 secondsSeed) external instrument("open") {
        uint64 offerId = offers[offerSeed % offers.length];
        uint256 price = escrow.offer(offerId).pricePerHour;
        uint96 deposit = uint96(Billing.cost(price, _bound(secondsSeed, 10 minutes, 12 hours)));
        vm.prank(renter);
        try escrow.open(
            OpenParams({offerId: offerId, deposit: deposit, salt: bytes32(_rentals.length)}), ED25519_ACCESS_KEY
        ) returns (
            bytes32
        ) {}
        catch {
            return; // suspended or at capacity
        }
        Rental storage r = _rentals.push();
        r.terms = RentalTerms({
            renter: renter,
            offerId: offerId,
            token: address(token),
            pricePerHour: uint96(price),
            attester: escrow.offer(offerId).attester,
            startedAt: uint40(block.timestamp),
            feeBps: escrow.config().feeBps,
            slaBps: escrow.offer(offerId).slaBps,
            challengeWindow: escrow.config().challengeWindow,
            gracePeriod: escrow.config().gracePeriod,
            salt: bytes32(_rentals.length - 1)
        });
        r.deposit = deposit;
    }

    /// @dev The renter sees `terminate` in the mempool and lands a large `extend` first.
    function frontRunTerminate(uint256 seed, uint256 amountSeed)
        external
        useRental(seed, _isRunning)
        instrument("frontRunTerminate")
    {
        Rental storage r = _rentals[currentRental];
        uint256 amount = _bound(amountSeed, 1, 1000e6);
        if ((r.deposit + amount) * 3600 / r.terms.pricePerHour <= 30 days) {
            vm.prank(renter);
            escrow.extend(r.terms, uint96(amount));
            r.deposit += amount;
        }
        uint256 bondBefore = disputes.bondOf(provider, address(token)).amount;
        vm.prank(provider);
        escrow.terminate(r.terms);
        // The only penalty a rule names: 10 % of the cost of the time rented (spot: none), at most the bond.
        uint256 owed = escrow.offer(r.terms.offerId).spot
            ? 0
            : Billing.cost(r.terms.pricePerHour, block.timestamp - r.terms.startedAt) * 1000 / 10_000;
        penaltiesOwed += owed < bondBefore ? owed : bondBefore;
        penaltiesTaken += bondBefore - disputes.bondOf(provider, address(token)).amount;
    }

    /// @dev Stops with the stalest attestation the oracle served for the rental (the first one it signed now).
    function stopWithStaleAttestation(uint256 seed, uint256 ageSeed)
        external
        useRental(seed, _isRunning)
        instrument("stopWithStaleAttestation")
    {
        uint256 i = currentRental;
        Rental storage r = _rentals[i];
        // The oldest attestation the oracle can still serve: no older than the last it signed (seq and period end
        // only grow), often hours old.
        (Usage memory u, bytes memory sig) = _attest(i, _bound(ageSeed, r.terms.startedAt, block.timestamp));
        uint256 before = _renterHolds();
        vm.prank(renter);
        escrow.stopAndSettle(r.terms, u, sig);
        // Billing ends now; the unattested seconds after periodEnd count as delivered.
        _closed(i, before, block.timestamp, u.uptimeSeconds + (block.timestamp - u.periodEnd), 0);
    }

    /*//////////////////////////////////////////////////////////////
                              THE PROVIDER
    //////////////////////////////////////////////////////////////*/

    function providerCheckpoints(uint256 seed, uint256 periodSeed)
        external
        useRental(seed, _isRunning)
        instrument("providerCheckpoints")
    {
        _checkpoint(provider, periodSeed);
    }

    /// @dev Either party opens a dispute; nobody will ever rule on it.
    function dispute(uint256 seed, bool byProvider) external useRental(seed, _anyRental) instrument("dispute") {
        Rental storage r = _rentals[currentRental];
        if (r.closed || r.disputed) return;
        address opener = byProvider ? provider : renter;
        vm.prank(opener);
        try disputes.openDispute(r.terms, "ipfs://evidence") returns (uint256) {}
        catch {
            return; // window closed
        }
        (r.disputed, r.opener) = (true, opener);
    }

    /*//////////////////////////////////////////////////////////////
                             THE THIRD PARTY
    //////////////////////////////////////////////////////////////*/

    function thirdPartyCheckpoints(uint256 seed, uint256 periodSeed)
        external
        useRental(seed, _isRunning)
        instrument("thirdPartyCheckpoints")
    {
        _checkpoint(griefer, periodSeed);
    }

    /// @dev Settles an ended rental first, with the oracle's final attestation, or tries proofs with honest ones.
    function thirdPartySettles(uint256 seed) external useRental(seed, _isActive) instrument("thirdPartySettles") {
        uint256 i = currentRental;
        Rental storage r = _rentals[i];
        uint256 end = _endOf(r.terms);
        if (block.timestamp < end + r.terms.challengeWindow || block.timestamp > end + r.terms.gracePeriod) return;
        (Usage memory u, bytes memory sig) = _attest(i, end);
        (Usage memory v, bytes memory sigV) = _attest(i, block.timestamp);
        // Two honest attestations never contradict, and they name the offer's GPU.
        vm.startPrank(griefer);
        try disputes.proveEquivocation(r.terms, u, sig, v, sigV) {
            honestSlashes++;
        } catch {}
        try disputes.proveWrongGpu(r.terms, v, sigV) {
            honestSlashes++;
        } catch {}
        vm.stopPrank();
        uint256 before = _renterHolds();
        vm.prank(griefer);
        escrow.settle(r.terms, v, sigV);
        _closed(i, before, end, v.uptimeSeconds, 0);
    }

    /*//////////////////////////////////////////////////////////////
                              THE KEEPER
    //////////////////////////////////////////////////////////////*/

    /// @dev One batch over every active rental with its final attestation, whatever others did first: it must not
    /// revert; what it settled is checked like any settlement.
    function keeperBatch(uint256) external instrument("keeperBatch") {
        uint256 n = _rentals.length;
        uint256[] memory idx = new uint256[](n);
        uint256 m;
        for (uint256 i; i < n; ++i) {
            if (!_rentals[i].closed) idx[m++] = i;
        }
        if (m == 0) return;
        RentalTerms[] memory ts = new RentalTerms[](m);
        Usage[] memory us = new Usage[](m);
        bytes[] memory sigs = new bytes[](m);
        uint256[] memory ends = new uint256[](m);
        for (uint256 k; k < m; ++k) {
            Rental storage r = _rentals[idx[k]];
            ts[k] = r.terms;
            ends[k] = _endOf(r.terms);
            (us[k], sigs[k]) = _attest(idx[k], ends[k] < block.timestamp ? ends[k] : block.timestamp);
        }
        uint256[] memory uptimes = new uint256[](m);
        for (uint256 k; k < m; ++k) {
            uptimes[k] = us[k].uptimeSeconds;
        }
        uint256 holds = _renterHolds();
        vm.prank(keeper);
        try escrow.settleBatch(ts, us, sigs) {}
        catch {
            batchReverts++;
            return;
        }
        // One renter: what it got back must be the sum of the refunds the rules give the rentals the batch closed.
        uint256 expected;
        for (uint256 k; k < m; ++k) {
            if (escrow.rentalState(_id(ts[k])).status != RentalStatus.None) continue;
            Rental storage r = _rentals[idx[k]];
            uint256 owes = _owes(r, ends[k], uptimes[k]);
            expected += r.deposit - owes;
            (r.renterPaid, r.renterOwes, r.closed) = (owes, owes, true);
        }
        if (_renterHolds() - holds != expected) batchMismatches++;
    }

    /*//////////////////////////////////////////////////////////////
                          DISPUTES NOBODY RULES ON
    //////////////////////////////////////////////////////////////*/

    /// @dev After the deadline, anyone brings the oracle's final attestation: the billing rules at the freeze.
    function fallbackSettles(uint256 seed) external useRental(seed, _isFrozen) instrument("fallbackSettles") {
        uint256 i = currentRental;
        Rental storage r = _rentals[i];
        IDisputeModule.Dispute memory d = disputes.dispute(_id(r.terms));
        if (block.timestamp < d.deadline) vm.warp(d.deadline);
        uint256 end = _endOf(r.terms);
        (Usage memory u, bytes memory sig) = _attest(i, end);
        uint256 before = _renterHolds();
        // In a fallback the module moves nothing but the opener's bond (pushed, or credited if the push failed).
        uint256 moduleBefore = token.balanceOf(address(disputes)) - disputes.credit(r.opener, address(token));
        vm.prank(griefer);
        disputes.settleFallback(r.terms, u, sig);
        uint256 bondBack =
            moduleBefore - (token.balanceOf(address(disputes)) - disputes.credit(r.opener, address(token)));
        if (bondBack != d.bond) disputeBondsLost++;
        _closed(i, before, end, u.uptimeSeconds, r.opener == renter ? d.bond : 0);
    }

    /// @dev Nobody brings an attestation: past the grace period, the refund rules.
    function fallbackRefunds(uint256 seed) external useRental(seed, _isFrozen) instrument("fallbackRefunds") {
        Rental storage r = _rentals[currentRental];
        IDisputeModule.Dispute memory d = disputes.dispute(_id(r.terms));
        uint256 refundableAt = uint256(d.deadline) + r.terms.gracePeriod + 1;
        if (block.timestamp < refundableAt) vm.warp(refundableAt);
        RentalState memory s = escrow.rentalState(_id(r.terms));
        uint256 before = _renterHolds();
        disputes.executeRuling(r.terms);
        uint256 got = _renterHolds() - before - (r.opener == renter ? d.bond : 0);
        r.renterPaid = r.deposit - got;
        r.renterOwes = Billing.paidOut(r.terms.pricePerHour, r.terms.feeBps, r.terms.slaBps, s.paidSeconds);
        r.closed = true;
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function count() external view returns (uint256) {
        return _rentals.length;
    }

    function rental(uint256 i) external view returns (Rental memory) {
        return _rentals[i];
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev `caller` checkpoints the current rental with an attestation up to a random period end that is out of the
    /// challenge window.
    function _checkpoint(address caller, uint256 periodSeed) internal {
        uint256 i = currentRental;
        Rental storage r = _rentals[i];
        if (block.timestamp < uint256(r.terms.startedAt) + r.terms.challengeWindow) return;
        uint256 latest = block.timestamp - r.terms.challengeWindow;
        if (lastEndOf[i] > latest) return;
        (Usage memory u, bytes memory sig) = _attest(i, _bound(periodSeed, r.terms.startedAt, latest));
        vm.prank(caller);
        escrow.checkpoint(r.terms, u, sig);
    }

    /// @dev Records a closed rental: what the renter paid, and what the rules say it owes when `billed` seconds
    /// (attested up, plus unattested seconds billed as delivered) were billed up to `end`.
    function _closed(uint256 i, uint256 holdsBefore, uint256 end, uint256 billed, uint256 notRefund) internal {
        Rental storage r = _rentals[i];
        uint256 got = _renterHolds() - holdsBefore - notRefund;
        r.renterPaid = r.deposit - got;
        r.renterOwes = _owes(r, end, billed);
        r.closed = true;
    }

    /// @dev cost(billed) − the SLA credit formula, on the whole rental.
    function _owes(Rental storage r, uint256 end, uint256 billed) internal view returns (uint256) {
        uint256 wall = end - r.terms.startedAt;
        if (billed > wall) billed = wall;
        uint256 c = Billing.cost(r.terms.pricePerHour, billed);
        return c - Billing.slaCredit(c, billed, wall, r.terms.slaBps);
    }

    /// @dev Seconds the GPUs were up from the rental's start to min(at, its end): what an honest oracle attests.
    function _up(Rental storage r, uint256 at) internal view returns (uint256 total) {
        uint256 from = r.terms.startedAt;
        uint256 to = at;
        uint256 end = _endOf(r.terms);
        if (end < to) to = end;
        for (uint256 k; k < starts.length; ++k) {
            if (!ups[k]) continue;
            uint256 a = starts[k] > from ? starts[k] : from;
            uint256 b = k + 1 < starts.length ? starts[k + 1] : type(uint256).max;
            if (b > to) b = to;
            if (b > a) total += b - a;
        }
    }

    /// @dev The oracle's next attestation of rental `i` for the period up to `periodEnd` (or up to the last period
    /// end it signed, if later: an honest oracle's period ends never go back).
    function _attest(uint256 i, uint256 periodEnd) internal returns (Usage memory u, bytes memory sig) {
        Rental storage r = _rentals[i];
        if (periodEnd < lastEndOf[i]) periodEnd = lastEndOf[i];
        lastEndOf[i] = periodEnd;
        u = Usage({
            seq: ++seqOf[i],
            periodEnd: uint64(periodEnd),
            uptimeSeconds: uint64(_up(r, periodEnd)),
            gpuModelHash: escrow.offer(r.terms.offerId).gpuModelHash,
            gpuUuidsHash: bytes32(i),
            energyJoules: 0,
            avgUtilBps: 9000
        });
        (bytes32 rr, bytes32 vs) = vm.signCompact(attesterKey, escrow.attestationDigest(r.terms, u));
        sig = abi.encodePacked(rr, vs);
    }

    function _renterHolds() internal view returns (uint256) {
        return token.balanceOf(renter) + escrow.credit(renter, address(token));
    }

    function _rentalCount() internal view override returns (uint256) {
        return _rentals.length;
    }

    function _termsOf(uint256 i) internal view override returns (RentalTerms memory) {
        return _rentals[i].terms;
    }

    function _isClosed(uint256 i) internal view override returns (bool) {
        return _rentals[i].closed;
    }
}
