// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {IRentals} from "../../../../contracts/interfaces/IRentals.sol";
import {RentalStatus, RentalTerms} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract ExecuteRuling_Unit_Test is DisputeBase {
    RentalTerms internal t;
    bytes32 internal id;
    uint256 internal unpaid;

    struct Balances {
        uint256 renter;
        uint256 provider;
        uint256 payout;
        uint256 treasury;
    }

    function setUp() public override {
        super.setUp();
        t = openRental(4 * ONE_HOUR_DEPOSIT, "ruling");
        id = idOf(t);
        // An hour was paid by a checkpoint: only the rest is in dispute.
        vm.warp(t.startedAt + 1 hours + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 1, uint64(t.startedAt + 1 hours), 3600);
        unpaid = unpaidOf(t);
        assertEq(unpaid, 3 * ONE_HOUR_DEPOSIT);
    }

    function balances() internal view returns (Balances memory b) {
        b = Balances(usdc.balanceOf(renter), usdc.balanceOf(provider), usdc.balanceOf(payout), usdc.balanceOf(treasury));
    }

    /// @dev Checks the split of `unpaid` for `shareBps` and where the dispute bond went.
    function assertOutcome(Balances memory b, uint256 shareBps, address bondTo) internal view {
        uint256 toRenter = unpaid * shareBps / 10_000;
        uint256 fee_ = fee(unpaid - toRenter, FEE_BPS);
        Balances memory a = balances();
        assertEq(a.renter - b.renter, toRenter + (bondTo == renter ? DISPUTE_BOND : 0), "renter");
        assertEq(a.payout - b.payout, unpaid - toRenter - fee_, "provider payout");
        assertEq(a.treasury - b.treasury, fee_, "treasury fee");
        assertEq(a.provider - b.provider, bondTo == provider ? DISPUTE_BOND : 0, "provider");
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None), "rental closed");
        assertEq(uint8(disputes.dispute(id).status), uint8(IDisputeModule.DisputeStatus.None), "dispute closed");
        assertEq(bondOf(provider).openDisputes, 0);
        assertEq(usdc.balanceOf(address(disputes)), MIN_BOND, "the module keeps only the bond");
        assertEq(activeOn(offerId), 0);
    }

    function test_RevertWhen_NoDispute() external {
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NoDispute.selector, id));
        disputes.executeRuling(t);
    }

    function test_RevertWhen_RulingPending() external {
        openDisputeAs(renter, t);
        uint256 deadline = block.timestamp + RULING_PERIOD;
        vm.warp(deadline - 1);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RulingPending.selector, id, deadline));
        disputes.executeRuling(t);
    }

    function test_WhenRuledForTheRenter() external {
        uint256 disputeId = openDisputeAs(renter, t);
        ruleByCommittee(disputeId, 7001);
        Balances memory b = balances();
        uint256 toRenter = unpaid * 7000 / 10_000;
        uint256 fee_ = fee(unpaid - toRenter, FEE_BPS);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeResolved(id, 7000, false, renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalResolved(id, unpaid);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.OutcomePaid(id, toRenter, unpaid - toRenter - fee_, fee_);
        vm.prank(keeper);
        disputes.executeRuling(t);
        // The renter opened and got more than half: its bond comes back; the provider lost.
        assertOutcome(b, 7000, renter);
        assertEq(disputes.reputation(provider).disputesLost, 1);
    }

    function test_WhenRuledAgainstTheRenterOpener() external {
        uint256 disputeId = openDisputeAs(renter, t);
        ruleByCommittee(disputeId, 2001);
        Balances memory b = balances();
        disputes.executeRuling(t);
        // The opener got less than half: its bond goes to the provider.
        assertOutcome(b, 2000, provider);
        assertEq(disputes.reputation(provider).disputesLost, 0);
    }

    function test_WhenRuledAgainstTheProviderOpener() external {
        uint256 disputeId = openDisputeAs(provider, t);
        ruleByCommittee(disputeId, 8001);
        Balances memory b = balances();
        disputes.executeRuling(t);
        assertOutcome(b, 8000, renter);
        assertEq(disputes.reputation(provider).disputesLost, 1);
    }

    function test_WhenRuledForTheProviderOpener() external {
        uint256 disputeId = openDisputeAs(provider, t);
        ruleByCommittee(disputeId, 1);
        Balances memory b = balances();
        disputes.executeRuling(t);
        assertOutcome(b, 0, provider);
    }

    function test_WhenRuledHalf() external {
        // Exactly half: nobody lost, the bond goes back to the opener and the provider's record is clean.
        uint256 disputeId = openDisputeAs(renter, t);
        ruleByCommittee(disputeId, 5001);
        Balances memory b = balances();
        disputes.executeRuling(t);
        assertOutcome(b, 5000, renter);
        assertEq(disputes.reputation(provider).disputesLost, 0);
    }

    function test_WhenRulingRefused() external {
        uint256 disputeId = openDisputeAs(provider, t);
        ruleByCommittee(disputeId, 0);
        Balances memory b = balances();
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeResolved(id, 5000, true, provider);
        disputes.executeRuling(t);
        assertOutcome(b, 5000, provider);
    }

    function test_WhenDeadlinePassedWithoutRuling() external {
        openDisputeAs(renter, t);
        vm.warp(block.timestamp + RULING_PERIOD);
        Balances memory b = balances();
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeResolved(id, 5000, true, renter);
        disputes.executeRuling(t);
        assertOutcome(b, 5000, renter);
    }

    function test_RevertWhen_ExecutedTwice() external {
        uint256 disputeId = openDisputeAs(renter, t);
        ruleByCommittee(disputeId, 10_001);
        disputes.executeRuling(t);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NoDispute.selector, id));
        disputes.executeRuling(t);
    }
}
