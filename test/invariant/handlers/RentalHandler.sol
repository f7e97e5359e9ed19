// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Billing} from "../../../contracts/libraries/Billing.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalQuote} from "../../../contracts/libraries/RentalQuote.sol";
import {
    OfferStanding,
    OpenParams,
    Quote,
    RentalState,
    RentalStatus,
    RentalTerms,
    Usage
} from "../../../contracts/types/DataTypes.sol";
import {BlacklistToken} from "../../mocks/BlacklistToken.sol";
import {MockERC20} from "../../mocks/MockERC20.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {IGpuEscrowFull} from "../../utils/IGpuEscrowFull.sol";
import {RentalStore} from "../stores/RentalStore.sol";
import {StoreHandler} from "./StoreHandler.sol";

/// @notice Drives random sequences of rental actions by several renters on two offers (a 6-decimal token with a
/// USDC-style blacklist, and an 18-decimal token), keeper and provider calls, blacklisting and time warps. Every
/// action is made valid from the current state (or skipped) so the campaign explores deep states; what each
/// successful call moved is written to the store.
contract RentalHandler is StoreHandler {
    uint256 internal immutable attesterKey;
    address internal immutable provider;
    address internal immutable treasury;
    address internal immutable payout;
    address internal immutable keeper;

    address[] internal renters;
    uint64[] internal offers;
    mapping(uint64 offerId => address) internal tokenOf;
    mapping(uint256 index => uint64) internal lastSeqOf;
    mapping(uint256 index => uint256) internal lastUptimeOf;
    mapping(uint256 index => Usage) internal lastOf;
    mapping(uint256 index => bytes) internal lastSigOf;
    mapping(uint256 index => Usage) internal previousOf;
    mapping(uint256 index => bytes) internal previousSigOf;
    uint256 internal saltNonce;
    address internal immutable offerTokenWithBlacklist;

    constructor(
        IGpuEscrowFull escrow_,
        RentalStore store_,
        uint256 attesterKey_,
        address provider_,
        address treasury_,
        address payout_,
        address[] memory renters_,
        uint64[] memory offers_,
        address[] memory tokens_
    ) StoreHandler(escrow_, store_) {
        attesterKey = attesterKey_;
        provider = provider_;
        treasury = treasury_;
        payout = payout_;
        keeper = makeAddr("keeper");
        renters = renters_;
        offers = offers_;
        for (uint256 i; i < offers_.length; ++i) {
            tokenOf[offers_[i]] = tokens_[i];
        }
        offerTokenWithBlacklist = tokens_[0];
    }

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    function open(uint256 renterSeed, uint256 offerSeed, uint256 secondsSeed) external instrument("open") {
        address renter = renters[renterSeed % renters.length];
        uint64 offerId = offers[offerSeed % offers.length];
        if (escrow.offerAccount(offerId).activeRentals >= escrow.offer(offerId).capacity) return;
        // Suspended while a termination penalty left the bond below the minimum (DisputeHandler.bond reinstates).
        if (escrow.offerAccount(offerId).standing == OfferStanding.Suspended) return;
        uint256 price = escrow.offer(offerId).pricePerHour;
        // Between one minute and twelve hours, not always a round number of seconds.
        uint256 s = _bound(secondsSeed, 60, 12 hours);
        uint256 extra = secondsSeed % 3 == 0 ? secondsSeed % (price / 3600 + 1) : 0;
        uint96 deposit = uint96(Billing.cost(price, s) + extra);
        if (uint256(deposit) * 3600 / price > 30 days) return;
        vm.recordLogs();
        vm.prank(renter);
        escrow.open(OpenParams({offerId: offerId, deposit: deposit, salt: bytes32(++saltNonce)}), ED25519_ACCESS_KEY);
        store.add(_openedTerms(renter, offerId, uint96(price), deposit), deposit);
    }

    function extend(uint256 rentalSeed, uint256 secondsSeed)
        external
        useRental(rentalSeed, _isRunning)
        instrument("extend")
    {
        (uint256 i, RentalTerms memory t) = _current();
        uint256 amount = Billing.cost(t.pricePerHour, _bound(secondsSeed, 1, 6 hours));
        RentalState memory s = escrow.rentalState(_id(t));
        if ((uint256(s.deposit) + amount) * 3600 / t.pricePerHour > 30 days) return;
        vm.prank(t.renter);
        escrow.extend(t, uint96(amount));
        store.recordExtend(i, amount);
    }

    function stop(uint256 rentalSeed) external useRental(rentalSeed, _isRunning) instrument("stop") {
        (, RentalTerms memory t) = _current();
        vm.prank(t.renter);
        escrow.stop(t);
    }

    function terminate(uint256 rentalSeed) external useRental(rentalSeed, _isRunning) instrument("terminate") {
        (, RentalTerms memory t) = _current();
        uint256 bondBefore = disputes.bondOf(provider, t.token).amount;
        vm.prank(provider);
        escrow.terminate(t);
        store.recordPenalty(t.token, bondBefore - disputes.bondOf(provider, t.token).amount);
    }

    function checkpoint(uint256 rentalSeed, uint256 periodSeed, uint256 uptimeSeed)
        external
        useRental(rentalSeed, _isActive)
        instrument("checkpoint")
    {
        (uint256 i, RentalTerms memory t) = _current();
        RentalState memory s = escrow.rentalState(_id(t));
        uint256 earliest = uint256(t.startedAt) + s.paidSeconds + 1 + t.challengeWindow;
        if (block.timestamp < earliest) vm.warp(earliest + periodSeed % 1 hours);
        // Only a running rental takes checkpoints.
        if (_quote(t).ended) return;
        uint256 periodEnd =
            _bound(periodSeed, uint256(t.startedAt) + s.paidSeconds, block.timestamp - t.challengeWindow);
        uint256 uptime = _bound(uptimeSeed, s.paidSeconds, periodEnd - t.startedAt);
        uint256 accruedBefore = _accrued(t.offerId);
        (Usage memory u, bytes memory sig) = _attest(i, periodEnd, uptime, t);
        vm.prank(keeper);
        escrow.checkpoint(t, u, sig);
        store.recordCharge(i, _accrued(t.offerId) - accruedBefore);
    }

    function settle(uint256 rentalSeed, uint256 periodSeed, uint256 uptimeSeed, bool byRenter)
        external
        orRetryClosed(rentalSeed)
        useRental(rentalSeed, _isActive)
        instrument("settle")
    {
        (uint256 i, RentalTerms memory t) = _current();
        Quote memory q = _quote(t);
        // Wait for the end (and for the keeper, the challenge window) when needed.
        uint256 settleableAt = q.endsAt + (byRenter ? 0 : t.challengeWindow);
        if (block.timestamp < settleableAt) vm.warp(settleableAt + uptimeSeed % 1 hours);
        if (block.timestamp > q.endsAt + t.gracePeriod) return;
        _settleWith(
            i,
            t,
            q.endsAt,
            _bound(periodSeed, q.endsAt, block.timestamp),
            uptimeSeed,
            byRenter ? t.renter : keeper,
            false
        );
    }

    function stopAndSettle(uint256 rentalSeed, uint256 periodSeed, uint256 uptimeSeed)
        external
        useRental(rentalSeed, _isActive)
        instrument("stopAndSettle")
    {
        (uint256 i, RentalTerms memory t) = _current();
        Quote memory q = _quote(t);
        if (block.timestamp > q.endsAt + t.gracePeriod) return;
        RentalState memory s = escrow.rentalState(_id(t));
        uint256 periodEnd;
        uint256 end = q.endsAt;
        if (q.ended) {
            periodEnd = _bound(periodSeed, q.endsAt, block.timestamp);
        } else {
            // Running: billing ends now, whatever the attestation's age (the seconds after it count as delivered).
            uint256 minEnd = uint256(t.startedAt) + s.paidSeconds;
            periodEnd = _bound(periodSeed, minEnd, block.timestamp);
            end = block.timestamp;
        }
        _settleWith(i, t, end, periodEnd, uptimeSeed, t.renter, true);
    }

    function refund(uint256 rentalSeed)
        external
        orRetryClosed(rentalSeed)
        useRental(rentalSeed, _isActive)
        instrument("refund")
    {
        (uint256 i, RentalTerms memory t) = _current();
        Quote memory q = _quote(t);
        if (block.timestamp <= q.endsAt + t.gracePeriod) {
            if (rentalSeed % 2 == 0) return;
            vm.warp(q.endsAt + t.gracePeriod + 1);
        }
        Snap memory before = _snap(t);
        escrow.refund(t);
        _recordClosed(i, t, before, q.endsAt);
    }

    function claimEarnings(uint256 offerSeed) external instrument("claimEarnings") {
        uint64 offerId = offers[offerSeed % offers.length];
        // The claim also pays what an overflowing account flushed to the payout's credit.
        uint256 net = escrow.offerAccount(offerId).net + escrow.credit(payout, tokenOf[offerId]);
        if (net == 0 && escrow.offerAccount(offerId).fees == 0) return;
        vm.prank(provider);
        escrow.claimEarnings(offerId);
        store.recordClaim(tokenOf[offerId], net);
    }

    function collectFees() external instrument("collectFees") {
        escrow.collectFees(offers);
    }

    function withdraw(uint256 actorSeed, uint256 amountSeed) external instrument("withdraw") {
        address token = tokenOf[offers[amountSeed % offers.length]];
        address who = actorSeed % 4 == 0 ? treasury : actorSeed % 4 == 1 ? payout : renters[actorSeed % renters.length];
        if (token == offerTokenWithBlacklist && BlacklistToken(token).blacklisted(who)) return;
        uint256 amount = _bound(amountSeed, 0, escrow.credit(who, token));
        vm.prank(who);
        escrow.withdraw(token, amount);
        store.recordWithdraw(token, amount);
    }

    /// @dev USDC-style blacklisting of a renter (or lifting it): its refunds must then be credited, not lost.
    function blacklist(uint256 renterSeed, bool on) external instrument("blacklist") {
        BlacklistToken(offerTokenWithBlacklist).setBlacklisted(renters[renterSeed % renters.length], on);
    }

    function warp(uint256 secondsSeed) external instrument("warp") {
        // Mostly minutes, sometimes past a grace period.
        uint256 s = secondsSeed % 8 == 0 ? _bound(secondsSeed, 1 days, 2 days) : _bound(secondsSeed, 1, 2 hours);
        vm.warp(block.timestamp + s);
    }

    /*//////////////////////////////////////////////////////////////
                  DISPUTES NOBODY RULED ON (CALLED BY DisputeHandler)
    //////////////////////////////////////////////////////////////*/

    /// @dev Settles frozen rental `i` whose dispute fell back with a final attestation, through the module, and
    /// records it like a settlement. Reverts where the module refuses.
    function fallbackSettle(uint256 i, RentalTerms memory t, uint256 seed, uint256 renterBond) external {
        RentalState memory s = escrow.rentalState(_id(t));
        uint256 end = _endOf(t);
        uint256 periodEnd = _bound(seed, end, block.timestamp);
        (Usage memory u, bytes memory sig) =
            _attest(i, periodEnd, _bound(seed >> 8, s.paidSeconds, periodEnd - t.startedAt), t);
        Snap memory before = _snap(t);
        uint256 moduleCredit = disputes.credit(t.renter, t.token);
        disputes.settleFallback(t, u, sig);
        _recordClosed(i, t, before, end, _bondPushed(t, renterBond, moduleCredit));
    }

    /// @dev `executeRuling` on frozen rental `i` whose dispute fell back with no attestation: refund rules. Returns
    /// whether it went through (recorded like a refund).
    function fallbackRefund(uint256 i, RentalTerms memory t, uint256 renterBond) external returns (bool) {
        uint256 end = _endOf(t);
        Snap memory before = _snap(t);
        uint256 moduleCredit = disputes.credit(t.renter, t.token);
        try disputes.executeRuling(t) {
            _recordClosed(i, t, before, end, _bondPushed(t, renterBond, moduleCredit));
            return true;
        } catch {
            return false;
        }
    }

    /// @dev The renter's dispute bond, pushed back to it by the module unless the push failed and was credited.
    function _bondPushed(RentalTerms memory t, uint256 renterBond, uint256 moduleCreditBefore)
        internal
        view
        returns (uint256)
    {
        return renterBond - (disputes.credit(t.renter, t.token) - moduleCreditBefore);
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev What a closing call may change: the offer's accrued amounts and the renter's balance and credit.
    struct Snap {
        uint256 accrued;
        uint256 balance;
        uint256 credit;
    }

    function _settleWith(
        uint256 i,
        RentalTerms memory t,
        uint256 end,
        uint256 periodEnd,
        uint256 uptimeSeed,
        address caller,
        bool viaStop
    ) internal {
        uint256 paidSeconds = escrow.rentalState(_id(t)).paidSeconds;
        if (periodEnd - t.startedAt < paidSeconds) return;
        (Usage memory u, bytes memory sig) =
            _attest(i, periodEnd, _bound(uptimeSeed, paidSeconds, periodEnd - t.startedAt), t);
        Snap memory before = _snap(t);
        vm.prank(caller);
        if (viaStop) escrow.stopAndSettle(t, u, sig);
        else escrow.settle(t, u, sig);
        _recordClosed(i, t, before, end);
    }

    function _recordClosed(uint256 i, RentalTerms memory t, Snap memory before, uint256 end) internal {
        _recordClosed(i, t, before, end, 0);
    }

    /// @dev `notRefund`: what the renter received in the same call that is not the rental's refund (its dispute bond
    /// coming back).
    function _recordClosed(uint256 i, RentalTerms memory t, Snap memory before, uint256 end, uint256 notRefund)
        internal
    {
        Snap memory now_ = _snap(t);
        store.recordCharge(i, now_.accrued - before.accrued);
        store.recordClose(
            i,
            now_.balance - before.balance - notRefund,
            now_.credit - before.credit,
            Billing.cost(t.pricePerHour, end - t.startedAt)
        );
    }

    function _snap(RentalTerms memory t) internal view returns (Snap memory s) {
        s.accrued = _accrued(t.offerId);
        s.balance = MockERC20(t.token).balanceOf(t.renter);
        s.credit = escrow.credit(t.renter, t.token);
    }

    /// @dev One call in eight retries a closed rental, when there is one, instead of the action: every way of closing
    /// it again must revert.
    modifier orRetryClosed(uint256 seed) {
        if (!_retriedClosed(seed)) _;
    }

    /// @dev On one call in eight, retries a closed rental if there is one; whether it did.
    function _retriedClosed(uint256 seed) internal returns (bool) {
        if (seed % 8 != 0) return false;
        (bool found, uint256 i) = _findRental(seed >> 3, _isClosed);
        if (found) _retryClosed(i);
        return found;
    }

    /// @dev A closed rental must refuse every way of closing it again.
    function _retryClosed(uint256 i) internal {
        RentalTerms memory t = _termsOf(i);
        bytes memory expected =
            abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, _id(t), RentalStatus.None);
        (Usage memory u, bytes memory sig) = _attest(i, block.timestamp, 0, t);
        bool succeeded;
        vm.prank(t.renter);
        try escrow.settle(t, u, sig) {
            succeeded = true;
        } catch (bytes memory err) {
            if (keccak256(err) != keccak256(expected)) succeeded = true;
        }
        try escrow.refund(t) {
            succeeded = true;
        } catch (bytes memory err) {
            if (keccak256(err) != keccak256(expected)) succeeded = true;
        }
        if (succeeded) store.recordClose(i, 0, 0, 0); // counted as a double close
        store.recordClosedRetry();
    }

    function _attest(uint256 i, uint256 periodEnd, uint256 uptime, RentalTerms memory t)
        internal
        returns (Usage memory u, bytes memory sig)
    {
        uint64 seq = lastSeqOf[i] + 1;
        lastSeqOf[i] = seq;
        // An honest attester: its uptime never goes down from one seq to the next (a lower one is refused on-chain
        // when out of range, and the call is skipped).
        if (uptime < lastUptimeOf[i]) uptime = lastUptimeOf[i];
        lastUptimeOf[i] = uptime;
        u = Usage({
            seq: seq,
            periodEnd: uint64(periodEnd),
            uptimeSeconds: uint64(uptime),
            gpuModelHash: escrow.offer(t.offerId).gpuModelHash,
            gpuUuidsHash: bytes32(uint256(i)),
            energyJoules: uint64(uptime * 700),
            avgUtilBps: 9000
        });
        (bytes32 r, bytes32 vs) = vm.signCompact(attesterKey, escrow.attestationDigest(t, u));
        sig = abi.encodePacked(r, vs);
        previousOf[i] = lastOf[i];
        previousSigOf[i] = lastSigOf[i];
        lastOf[i] = u;
        lastSigOf[i] = sig;
    }

    /// @dev The last two attestations the attester signed for rental `i` (seq 0: none), for proofs that must fail.
    function signedOf(uint256 i) external view returns (Usage memory, bytes memory, Usage memory, bytes memory) {
        return (previousOf[i], previousSigOf[i], lastOf[i], lastSigOf[i]);
    }

    function _openedTerms(address renter, uint64 offerId, uint96 price, uint96 deposit)
        internal
        returns (RentalTerms memory t)
    {
        deposit;
        Vm.Log[] memory logs = vm.getRecordedLogs();
        t = RentalTerms({
            renter: renter,
            offerId: offerId,
            token: tokenOf[offerId],
            pricePerHour: price,
            attester: escrow.offer(offerId).attester,
            startedAt: uint40(block.timestamp),
            feeBps: escrow.config().feeBps,
            slaBps: escrow.offer(offerId).slaBps,
            challengeWindow: escrow.config().challengeWindow,
            gracePeriod: escrow.config().gracePeriod,
            salt: bytes32(saltNonce)
        });
        // The id the escrow emitted is the hash of exactly these terms.
        for (uint256 k; k < logs.length; ++k) {
            if (logs[k].topics[0] == IRentals.RentalOpened.selector) {
                require(logs[k].topics[1] == _id(t), "terms rebuilt from state differ from the event");
                return t;
            }
        }
        revert("no RentalOpened");
    }

    /// @dev What the offer has earned and not yet paid out: its account's net and fees, plus the payout's and the
    /// treasury's credit in its token, where the account is flushed when a field would overflow its uint64.
    function _accrued(uint64 offerId) internal view returns (uint256) {
        address token = tokenOf[offerId];
        return uint256(escrow.offerAccount(offerId).net) + escrow.offerAccount(offerId).fees
            + escrow.credit(payout, token) + escrow.credit(treasury, token);
    }

    function _quote(RentalTerms memory t) internal view returns (Quote memory) {
        return RentalQuote.quote(t, escrow.rentalState(_id(t)), block.timestamp);
    }
}
