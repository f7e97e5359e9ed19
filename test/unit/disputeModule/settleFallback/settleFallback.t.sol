// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {IRentals} from "../../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../../contracts/libraries/Errors.sol";
import {RentalStatus, RentalTerms, Usage} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract SettleFallback_Unit_Test is DisputeBase {
    RentalTerms internal t;
    bytes32 internal id;
    uint256 internal frozenAt;

    function setUp() public override {
        super.setUp();
        t = openRental(4 * ONE_HOUR_DEPOSIT, "fallback");
        id = idOf(t);
        vm.warp(t.startedAt + 1 hours);
        frozenAt = block.timestamp;
    }

    function attest(uint64 seq, uint64 periodEnd, uint64 uptime)
        internal
        view
        returns (Usage memory u, bytes memory sig)
    {
        u = usageAt(seq, periodEnd, uptime);
        sig = signUsage(t, u);
    }

    function settleFallbackWith(uint64 seq, uint64 periodEnd, uint64 uptime) internal {
        (Usage memory u, bytes memory sig) = attest(seq, periodEnd, uptime);
        disputes.settleFallback(t, u, sig);
    }

    function test_RevertWhen_NoDispute() external {
        Usage memory u = usageAt(1, uint64(block.timestamp), 3600);
        bytes memory sig = signUsage(t, u);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NoDispute.selector, id));
        disputes.settleFallback(t, u, sig);
    }

    function test_RevertWhen_EmptySignature() external {
        openDisputeAs(renter, t);
        vm.warp(block.timestamp + RULING_PERIOD);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_InvalidSignature.selector, id, attester)
        );
        disputes.settleFallback(t, usageAt(1, uint64(frozenAt), 3600), "");
    }

    function test_RevertWhen_RulingPending() external {
        openDisputeAs(renter, t);
        uint256 deadline = block.timestamp + RULING_PERIOD;
        vm.warp(deadline - 1);
        (Usage memory u, bytes memory sig) = attest(1, uint64(frozenAt), 3600);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RulingPending.selector, id, deadline));
        disputes.settleFallback(t, u, sig);
    }

    function test_RevertWhen_Ruled() external {
        uint256 disputeId = openDisputeAs(renter, t);
        ruleByCommittee(disputeId, 4001);
        (Usage memory u, bytes memory sig) = attest(1, uint64(frozenAt), 3600);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NoFallback.selector, id));
        disputes.settleFallback(t, u, sig);
    }

    function test_RevertWhen_NotFinal() external {
        openDisputeAs(renter, t);
        vm.warp(block.timestamp + RULING_PERIOD);
        (Usage memory u, bytes memory sig) = attest(1, uint64(frozenAt - 1), 3599);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_AttestationNotFinal.selector, id, uint64(frozenAt - 1), frozenAt)
        );
        disputes.settleFallback(t, u, sig);
    }

    function test_RevertWhen_NotTheAttesters() external {
        openDisputeAs(renter, t);
        vm.warp(block.timestamp + RULING_PERIOD);
        Usage memory u = usageAt(1, uint64(frozenAt), 3600);
        bytes memory sig = signUsageWith(renterKey, t, u);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, id, attester));
        disputes.settleFallback(t, u, sig);
    }

    function test_WhenFinalAndValid() external {
        // The renter disputed an hour in and nobody ruled: the hour is billed by its attestation (3 000 s up), the
        // three hours after the freeze come back, and the renter's bond too. Exactly what settling without the
        // dispute at the freeze would have given.
        openDisputeAs(renter, t);
        vm.warp(block.timestamp + RULING_PERIOD);
        (uint256 c, uint256 f, uint256 net) = split(t, 3000);
        uint256 renterBefore = usdc.balanceOf(renter);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeResolved(id, 0, true, renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(id, 3000, uint64(frozenAt), c, 4 * ONE_HOUR_DEPOSIT - c, 0);
        vm.prank(keeper);
        settleFallbackWith(1, uint64(frozenAt + 1 days), 3000);
        assertEq(usdc.balanceOf(renter) - renterBefore, 4 * ONE_HOUR_DEPOSIT - c + DISPUTE_BOND);
        assertEq(offerNet(offerId), net);
        assertEq(offerFees(offerId), f);
        assertEq(escrow.offerAccount(offerId).completed, 1);
        assertEq(escrow.offerAccount(offerId).secondsRented, 3600);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
        assertEq(uint8(disputes.dispute(id).status), uint8(IDisputeModule.DisputeStatus.None));
        assertEq(bondOf(provider).openDisputes, 0);
    }

    function test_WhenRefusedThenSettled() external {
        uint256 disputeId = openDisputeAs(provider, t);
        ruleByCommittee(disputeId, 0);
        uint256 providerBefore = usdc.balanceOf(provider);
        settleFallbackWith(1, uint64(frozenAt), 3600);
        assertEq(usdc.balanceOf(provider) - providerBefore, DISPUTE_BOND);
        (,, uint256 net) = split(t, 3600);
        assertEq(offerNet(offerId), net);
    }
}
