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
    /// @dev What the dispute is about: the cost of the 2 h before the freeze less the hour a checkpoint paid.
    uint256 internal atStake;
    /// @dev The deposit for the 2 h after the freeze: the renter's whatever the ruling.
    uint256 internal returned;

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
        // An hour was paid by a checkpoint; disputes open 2 h in, which stops the clock: the second hour is at stake.
        vm.warp(t.startedAt + 1 hours + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 1, uint64(t.startedAt + 1 hours), 3600);
        atStake = cost(PRICE, 2 hours) - cost(PRICE, 1 hours);
        returned = 4 * ONE_HOUR_DEPOSIT - cost(PRICE, 2 hours);
        assertEq(atStake, ONE_HOUR_DEPOSIT);
    }

    function balances() internal view returns (Balances memory b) {
        b = Balances(usdc.balanceOf(renter), usdc.balanceOf(provider), usdc.balanceOf(payout), usdc.balanceOf(treasury));
    }

    /// @dev Checks the split of `atStake` for `shareBps`, the renter's deposit after the freeze, and where the dispute
    /// bond went.
    function assertOutcome(Balances memory b, uint256 shareBps, address bondTo) internal view {
        uint256 toRenter = atStake * shareBps / 10_000;
        uint256 fee_ = fee(atStake - toRenter, FEE_BPS);
        Balances memory a = balances();
        assertEq(a.renter - b.renter, returned + toRenter + (bondTo == renter ? DISPUTE_BOND : 0), "renter");
        assertEq(a.payout - b.payout, atStake - toRenter - fee_, "provider payout");
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
        uint256 toRenter = atStake * 7000 / 10_000;
        uint256 fee_ = fee(atStake - toRenter, FEE_BPS);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeResolved(id, 7000, false, renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalResolved(id, uint64(t.startedAt + 2 hours), atStake, returned);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.OutcomePaid(id, toRenter, atStake - toRenter - fee_, fee_);
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

    function test_RevertWhen_RefusedAndNoAttestationYet() external {
        // A refusal is the fallback: the billing rules apply, so a final attestation is waited for during the grace
        // period before anyone may close the rental by the refund rules.
        uint256 disputeId = openDisputeAs(provider, t);
        vm.warp(block.timestamp + 1 days);
        ruleByCommittee(disputeId, 0);
        assertEq(disputes.dispute(id).deadline, block.timestamp, "the fallback starts at the refusal");
        uint256 refundableAt = block.timestamp + GRACE_PERIOD + 1;
        vm.warp(refundableAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                DisputeModuleErrors.DisputeModule_FallbackNeedsAttestation.selector, id, refundableAt
            )
        );
        disputes.executeRuling(t);
    }

    function test_WhenRefusedAndNoAttestationByTheGracePeriod() external {
        // Nobody brought a final attestation: refund rules, as `refund` would do without the dispute. The provider
        // keeps the checkpointed hour, the renter gets the rest of the deposit, the opener its bond.
        uint256 disputeId = openDisputeAs(provider, t);
        ruleByCommittee(disputeId, 0);
        vm.warp(block.timestamp + GRACE_PERIOD + 1);
        Balances memory b = balances();
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeResolved(id, 0, true, provider);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalRefunded(id, 3 * ONE_HOUR_DEPOSIT);
        disputes.executeRuling(t);
        Balances memory a = balances();
        assertEq(a.renter - b.renter, 3 * ONE_HOUR_DEPOSIT);
        assertEq(a.provider - b.provider, DISPUTE_BOND);
        assertEq(a.payout, b.payout);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
        assertEq(bondOf(provider).openDisputes, 0);
    }

    function test_WhenDeadlinePassedWithoutRulingAndNoAttestation() external {
        openDisputeAs(renter, t);
        uint256 deadline = block.timestamp + RULING_PERIOD;
        vm.warp(deadline + GRACE_PERIOD + 1);
        uint256 renterBefore = usdc.balanceOf(renter);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeResolved(id, 0, true, renter);
        disputes.executeRuling(t);
        assertEq(usdc.balanceOf(renter) - renterBefore, 3 * ONE_HOUR_DEPOSIT + DISPUTE_BOND);
    }

    function test_RevertWhen_ExecutedTwice() external {
        uint256 disputeId = openDisputeAs(renter, t);
        ruleByCommittee(disputeId, 10_001);
        disputes.executeRuling(t);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NoDispute.selector, id));
        disputes.executeRuling(t);
    }
}
