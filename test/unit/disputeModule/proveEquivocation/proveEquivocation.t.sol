// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalStatus, RentalTerms, Usage} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract ProveEquivocation_Unit_Test is DisputeBase {
    RentalTerms internal t;
    bytes32 internal id;
    Usage internal a;
    Usage internal b;

    function setUp() public override {
        super.setUp();
        t = openRental(4 * ONE_HOUR_DEPOSIT, "equivocation");
        id = idOf(t);
        vm.warp(t.startedAt + 1 hours);
        // Two attestations with the same seq and different uptimes.
        a = usageAt(1, uint64(block.timestamp), 3000);
        b = usageAt(1, uint64(block.timestamp), 3500);
    }

    function prove(Usage memory x, bytes memory sx, Usage memory y, bytes memory sy) internal {
        vm.prank(keeper);
        disputes.proveEquivocation(t, x, sx, y, sy);
    }

    function test_RevertWhen_RentalClosed() external {
        bytes memory sa = signUsage(t, a);
        bytes memory sb = signUsage(t, b);
        stopAndSettleNow(t, 1, 3000);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RentalNotLive.selector, id, RentalStatus.None)
        );
        prove(a, sa, b, sb);
    }

    function test_RevertWhen_SignatureNotAttesters() external {
        (, uint256 otherKey) = makeAddrAndKey("other");
        bytes memory sa = signUsage(t, a);
        bytes memory sb = signUsage(t, b);
        bytes memory forged = signUsageWith(otherKey, t, b);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_InvalidSignature.selector, id, attester)
        );
        prove(a, sa, b, forged);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_InvalidSignature.selector, id, attester)
        );
        prove(a, hex"1234", b, sb);
    }

    function test_RevertWhen_NotContradictory() external {
        bytes memory sa = signUsage(t, a);
        // The same attestation twice.
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotContradictory.selector, id));
        prove(a, sa, a, sa);
        // A later seq with more uptime, in either order.
        Usage memory later = usageAt(2, uint64(block.timestamp), 3100);
        bytes memory sl = signUsage(t, later);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotContradictory.selector, id));
        prove(a, sa, later, sl);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotContradictory.selector, id));
        prove(later, sl, a, sa);
    }

    function test_WhenSameSeqDifferentContent() external {
        uint256 unpaid = unpaidOf(t);
        uint256 renterBefore = usdc.balanceOf(renter);
        uint256 treasuryBefore = usdc.balanceOf(treasury);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.EquivocationProven(id, provider, 1, 1);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.Slashed(id, provider, address(usdc), MIN_BOND, keeper, MIN_BOND / 10, MIN_BOND / 2);
        prove(a, signUsage(t, a), b, signUsage(t, b));

        // The renter gets the whole unpaid deposit and half the bond; the prover 10 %; the treasury 40 %.
        assertEq(usdc.balanceOf(renter), renterBefore + unpaid + MIN_BOND / 2, "renter");
        assertEq(usdc.balanceOf(keeper), MIN_BOND / 10, "submitter");
        assertEq(usdc.balanceOf(treasury), treasuryBefore + MIN_BOND * 4 / 10, "treasury");
        assertEq(usdc.balanceOf(payout), 0, "provider");
        assertEq(bondOf(provider).amount, 0, "whole bond slashed");
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None), "rental closed");
        assertEq(activeOn(offerId), 0);
        assertEq(disputes.reputation(provider).slashes, 1);
        assertEq(usdc.balanceOf(address(disputes)), 0, "module keeps nothing");
    }

    function test_WhenHigherSeqLowerUptime() external {
        Usage memory later = usageAt(2, uint64(block.timestamp), 2000);
        // A checkpoint already paid part of the deposit: only the rest is refunded.
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 1, a.periodEnd, a.uptimeSeconds);
        uint256 unpaid = unpaidOf(t);
        assertEq(unpaid, 4 * ONE_HOUR_DEPOSIT - cost(PRICE, 3000));
        uint256 renterBefore = usdc.balanceOf(renter);
        // In either order.
        prove(later, signUsage(t, later), a, signUsage(t, a));
        assertEq(usdc.balanceOf(renter), renterBefore + unpaid + MIN_BOND / 2);
        assertEq(offerNet(offerId), cost(PRICE, 3000) - fee(cost(PRICE, 3000), FEE_BPS), "paid earnings stay");
    }

    function test_WhenSubjectiveDisputeOpen() external {
        openDisputeAs(renter, t);
        uint256 unpaid = unpaidOf(t);
        uint256 renterBefore = usdc.balanceOf(renter);
        // The frozen rental is still live for an objective proof, which ends the subjective dispute.
        prove(a, signUsage(t, a), b, signUsage(t, b));
        assertEq(usdc.balanceOf(renter), renterBefore + unpaid + MIN_BOND / 2 + DISPUTE_BOND, "bond back to opener");
        assertEq(uint8(disputes.dispute(id).status), uint8(IDisputeModule.DisputeStatus.None));
        assertEq(bondOf(provider).openDisputes, 0);
        assertEq(disputes.rentalOfDispute(0), bytes32(0));
    }
}
