// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICommitteeArbitrator} from "../../../contracts/interfaces/ICommitteeArbitrator.sol";
import {IDisputeModule} from "../../../contracts/interfaces/IDisputeModule.sol";
import {Billing} from "../../../contracts/libraries/Billing.sol";
import {RentalState, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {MockERC20} from "../../mocks/MockERC20.sol";
import {IGpuEscrowFull} from "../../utils/IGpuEscrowFull.sol";
import {RentalStore} from "../stores/RentalStore.sol";
import {RentalHandler} from "./RentalHandler.sol";
import {StoreHandler} from "./StoreHandler.sol";

/// @notice Drives the dispute module next to `RentalHandler`: the provider's bonds (bond, unbond, withdraw),
/// subjective disputes opened by either party, committee votes and executions, attempts to move frozen money, proofs
/// against the honest provider (which must all fail), and owner calls (which must leave bonds alone).
contract DisputeHandler is StoreHandler {
    struct Actors {
        address owner;
        address provider;
        address payout;
        address treasury;
        address keeper;
        address judge1;
        address judge2;
    }

    ICommitteeArbitrator internal immutable committee;
    RentalHandler internal immutable rentals;
    Actors internal a;
    address[] internal tokens;
    /// Everyone the module may pay or credit.
    address[] internal payees;

    constructor(
        IGpuEscrowFull escrow_,
        ICommitteeArbitrator committee_,
        RentalStore store_,
        RentalHandler rentals_,
        Actors memory actors,
        address[] memory renters,
        address[] memory tokens_
    ) StoreHandler(escrow_, store_) {
        committee = committee_;
        rentals = rentals_;
        a = actors;
        tokens = tokens_;
        payees = renters;
        payees.push(actors.provider);
        payees.push(actors.payout);
        payees.push(actors.treasury);
        payees.push(actors.keeper);
    }

    /*//////////////////////////////////////////////////////////////
                                 BONDS
    //////////////////////////////////////////////////////////////*/

    function bond(uint256 tokenSeed, uint256 amountSeed) external instrument("bond") {
        address token = tokens[tokenSeed % tokens.length];
        uint256 amount = _bound(amountSeed, 1, 10 ** MockERC20(token).decimals() * 1000);
        vm.prank(a.provider);
        disputes.bond(token, amount);
        store.recordBond(token, amount);
        // Reinstates the provider's offers in the token a penalty suspended, once the bond is back at the minimum.
        for (uint64 id = 1; id <= escrow.offerCount(); ++id) {
            if (escrow.offer(id).token == token) disputes.syncOffer(id);
        }
    }

    function requestUnbond(uint256 tokenSeed, uint256 amountSeed) external instrument("requestUnbond") {
        address token = tokens[tokenSeed % tokens.length];
        IDisputeModule.BondAccount memory b = disputes.bondOf(a.provider, token);
        uint256 min = disputes.minBond(token);
        // The offers stay listed: only what is above the minimum may leave.
        if (b.amount <= min) return;
        vm.prank(a.provider);
        disputes.requestUnbond(token, _bound(amountSeed, 1, b.amount - min));
    }

    function withdrawBond(uint256 tokenSeed) external instrument("withdrawBond") {
        address token = tokens[tokenSeed % tokens.length];
        IDisputeModule.BondAccount memory b = disputes.bondOf(a.provider, token);
        if (b.unbonding == 0 || b.openDisputes != 0) return;
        if (block.timestamp < b.unbondableAt) vm.warp(b.unbondableAt);
        vm.prank(a.provider);
        disputes.withdrawBond(token);
        store.recordBondWithdrawn(token, b.unbonding);
    }

    /*//////////////////////////////////////////////////////////////
                                DISPUTES
    //////////////////////////////////////////////////////////////*/

    function openDispute(uint256 rentalSeed, bool byProvider)
        external
        useRental(rentalSeed, _isActive)
        instrument("openDispute")
    {
        (uint256 i, RentalTerms memory t) = _current();
        RentalState memory s = escrow.rentalState(_id(t));
        if (block.timestamp >= _endOf(t) + t.challengeWindow) return;
        uint256 bondAmount = disputes.disputeBond(t.token);
        vm.prank(byProvider ? a.provider : t.renter);
        disputes.openDispute(t, "ipfs://evidence");
        store.recordFrozen(i, s.deposit, s.paidSeconds, bondAmount);
    }

    function rule(uint256 rentalSeed, uint256 ruling) external useRental(rentalSeed, _isFrozen) instrument("rule") {
        (, RentalTerms memory t) = _current();
        IDisputeModule.Dispute memory d = disputes.dispute(_id(t));
        if (d.status != IDisputeModule.DisputeStatus.Open || block.timestamp >= d.deadline) return;
        ruling = _bound(ruling, 0, disputes.CHOICES());
        vm.prank(a.judge1);
        committee.vote(d.arbitratorDisputeId, ruling);
        vm.prank(a.judge2);
        committee.vote(d.arbitratorDisputeId, ruling);
    }

    /// @dev A ruling r ≥ 1 splits what was at stake at the freeze; a fallback with no attestation by its start +
    /// the grace period closes by the refund rules. `executeRuling` must succeed exactly then.
    function executeRuling(uint256 rentalSeed, bool wait)
        external
        useRental(rentalSeed, _isFrozen)
        instrument("executeRuling")
    {
        (uint256 i, RentalTerms memory t) = _current();
        bytes32 id = _id(t);
        IDisputeModule.Dispute memory d = disputes.dispute(id);
        bool ruled = d.status == IDisputeModule.DisputeStatus.Ruled && d.ruling != 0;
        if (!ruled) {
            uint256 refundableAt = uint256(d.deadline) + t.gracePeriod + 1;
            if (wait && block.timestamp < refundableAt) vm.warp(refundableAt);
            bool executed = rentals.fallbackRefund(i, t, d.opener == t.renter ? d.bond : 0);
            if (executed != (block.timestamp >= refundableAt)) store.recordFrozenMoved();
            if (executed) store.recordDisputeBondOut(t.token, d.bond);
            return;
        }
        RentalState memory s = escrow.rentalState(id);
        uint256 elapsedCost = Billing.cost(t.pricePerHour, _endOf(t) - t.startedAt);
        uint256 atStake = elapsedCost - Billing.paidOut(t.pricePerHour, t.feeBps, t.slaBps, s.paidSeconds);
        uint256 returned = s.deposit - elapsedCost;
        uint256 creditBefore = escrow.credit(t.renter, t.token);
        try disputes.executeRuling(t) {}
        catch {
            store.recordFrozenMoved(); // a ruling must always execute
            return;
        }
        uint256 credited = escrow.credit(t.renter, t.token) - creditBefore;
        uint256 toRenter = atStake * (d.ruling - 1) / Billing.BPS;
        store.recordResolved(i, atStake, toRenter, atStake - toRenter, returned - credited, credited);
        store.recordDisputeBondOut(t.token, d.bond);
    }

    /// @dev Anyone settles a frozen rental whose dispute fell back (refused, or no ruling by the deadline) with a
    /// final attestation: the billing rules, as if no dispute had been opened.
    function settleFallback(uint256 rentalSeed, uint256 seed, bool wait)
        external
        useRental(rentalSeed, _isFrozen)
        instrument("settleFallback")
    {
        (uint256 i, RentalTerms memory t) = _current();
        IDisputeModule.Dispute memory d = disputes.dispute(_id(t));
        if (d.status == IDisputeModule.DisputeStatus.Ruled && d.ruling != 0) return;
        if (d.status == IDisputeModule.DisputeStatus.Open && block.timestamp < d.deadline) {
            if (!wait) return;
            vm.warp(d.deadline);
        }
        rentals.fallbackSettle(i, t, seed, d.opener == t.renter ? d.bond : 0);
        store.recordDisputeBondOut(t.token, d.bond);
    }

    /// @dev Every escrow action on a frozen rental must revert.
    function tryMoveFrozen(uint256 rentalSeed) external useRental(rentalSeed, _isFrozen) instrument("tryMoveFrozen") {
        (uint256 i, RentalTerms memory t) = _current();
        (,, Usage memory u, bytes memory sig) = rentals.signedOf(i);
        bool moved;
        vm.prank(t.renter);
        try escrow.stop(t) {
            moved = true;
        } catch {}
        vm.prank(t.renter);
        try escrow.stopAndSettle(t, u, sig) {
            moved = true;
        } catch {}
        try escrow.settle(t, u, sig) {
            moved = true;
        } catch {}
        try escrow.checkpoint(t, u, sig) {
            moved = true;
        } catch {}
        try escrow.refund(t) {
            moved = true;
        } catch {}
        if (moved) store.recordFrozenMoved();
    }

    /// @dev The honest attester never signed a contradiction nor a wrong model: both proofs must fail.
    function tryProveAgainstHonest(uint256 rentalSeed)
        external
        useRental(rentalSeed, _anyRental)
        instrument("tryProveAgainstHonest")
    {
        (uint256 i, RentalTerms memory t) = _current();
        (Usage memory prev, bytes memory prevSig, Usage memory last, bytes memory lastSig) = rentals.signedOf(i);
        if (last.seq == 0) return;
        bool slashed;
        vm.prank(a.keeper);
        try disputes.proveWrongGpu(t, last, lastSig) {
            slashed = true;
        } catch {}
        if (prev.seq != 0) {
            vm.prank(a.keeper);
            try disputes.proveEquivocation(t, prev, prevSig, last, lastSig) {
                slashed = true;
            } catch {}
        }
        if (slashed) store.recordHonestSlash();
    }

    /*//////////////////////////////////////////////////////////////
                                 OWNER
    //////////////////////////////////////////////////////////////*/

    /// @dev Governance calls of both contracts: none may change a bond.
    function ownerActs(uint256 seed) external instrument("ownerActs") {
        address token = tokens[seed % tokens.length];
        uint256 before = _bondsTotal();
        uint256 minBefore = disputes.minBond(token);
        vm.startPrank(a.owner);
        uint256 action = seed % 5;
        if (action == 0) {
            // Raise and restore the minimum: offers already listed are unaffected, nothing moves.
            disputes.setMinBond(token, seed);
            disputes.setMinBond(token, minBefore);
        } else if (action == 1) {
            disputes.setDisputeBond(token, _bound(seed, 0, 10 ** MockERC20(token).decimals() * 10));
        } else if (action == 2) {
            escrow.setFee(uint16(_bound(seed, 0, 1500)));
        } else if (action == 3) {
            escrow.setPaused(true);
            escrow.setPaused(false);
        } else {
            // The owner has no credit of its own: withdrawals from the module and the escrow fail.
            try disputes.withdraw(token, 1) {} catch {}
            try escrow.withdraw(token, 1) {} catch {}
        }
        vm.stopPrank();
        if (_bondsTotal() != before) store.recordOwnerMovedBonds();
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    function moduleCreditsOf(address token) external view returns (uint256) {
        return _moduleCredits(token);
    }

    function _moduleCredits(address token) internal view returns (uint256 total) {
        for (uint256 k; k < payees.length; ++k) {
            total += disputes.credit(payees[k], token);
        }
    }

    function _bondsTotal() internal view returns (uint256 total) {
        for (uint256 k; k < tokens.length; ++k) {
            IDisputeModule.BondAccount memory b = disputes.bondOf(a.provider, tokens[k]);
            total += uint256(b.amount) + b.unbonding + b.unbondableAt + b.openDisputes;
        }
    }
}
