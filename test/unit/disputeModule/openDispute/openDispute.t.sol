// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IArbitrable} from "../../../../contracts/interfaces/IArbitrable.sol";
import {IArbitrator} from "../../../../contracts/interfaces/IArbitrator.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {IRentals} from "../../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../../contracts/libraries/Errors.sol";
import {OpenParams, RentalStatus, RentalTerms, Usage} from "../../../../contracts/types/DataTypes.sol";
import {ED25519_ACCESS_KEY} from "../../../utils/AccessKeys.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract OpenDispute_Unit_Test is DisputeBase {
    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "dispute");
        id = idOf(t);
        vm.warp(t.startedAt + 600);
    }

    function test_RevertWhen_RentalNotLive() external {
        stopAndSettleNow(t, 1, 600);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RentalNotLive.selector, id, RentalStatus.None)
        );
        vm.prank(renter);
        disputes.openDispute(t, EVIDENCE);
    }

    function test_RevertWhen_AlreadyFrozen() external {
        openDisputeAs(renter, t);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RentalNotLive.selector, id, RentalStatus.Frozen)
        );
        vm.prank(provider);
        disputes.openDispute(t, EVIDENCE);
    }

    function test_RevertWhen_NotParty() external {
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotParty.selector, id, keeper));
        vm.prank(keeper);
        disputes.openDispute(t, EVIDENCE);
        // The provider's payout address and attester are not parties either.
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotParty.selector, id, payout));
        vm.prank(payout);
        disputes.openDispute(t, EVIDENCE);
    }

    function test_RevertWhen_WindowClosed() external {
        uint256 closesAt = t.startedAt + 1 hours + CHALLENGE_WINDOW;
        vm.warp(closesAt);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_DisputeWindowClosed.selector, id, closesAt)
        );
        vm.prank(renter);
        disputes.openDispute(t, EVIDENCE);
    }

    function test_WhenLastSecondOfWindow() external {
        vm.warp(t.startedAt + 1 hours + CHALLENGE_WINDOW - 1);
        openDisputeAs(renter, t);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.Frozen));
    }

    function test_RevertWhen_ValueMismatch() external {
        vm.deal(renter, 1);
        // The committee is free and the bond is in USDC: no coin at all.
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_ValueMismatch.selector, 0, 1));
        vm.prank(renter);
        disputes.openDispute{value: 1}(t, EVIDENCE);
    }

    function test_WhenRenterOpens() external {
        uint256 renterBefore = usdc.balanceOf(renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalFrozen(id);
        vm.expectEmit(address(committee));
        emit IArbitrator.DisputeCreation(0, IArbitrable(address(disputes)));
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeOpened(id, 0, renter, DISPUTE_BOND, block.timestamp + RULING_PERIOD, EVIDENCE);
        vm.prank(renter);
        uint256 disputeId = disputes.openDispute(t, EVIDENCE);

        assertEq(disputeId, 0);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.Frozen));
        IDisputeModule.Dispute memory d = disputes.dispute(id);
        assertEq(d.opener, renter);
        assertEq(d.provider, provider);
        assertEq(d.bond, DISPUTE_BOND);
        assertEq(d.deadline, block.timestamp + RULING_PERIOD);
        assertEq(uint8(d.status), uint8(IDisputeModule.DisputeStatus.Open));
        assertEq(disputes.rentalOfDispute(0), id);
        assertEq(usdc.balanceOf(renter), renterBefore - DISPUTE_BOND, "bond pulled");
        assertEq(bondOf(provider).openDisputes, 1);
        assertEq(disputes.reputation(provider).disputesOpened, 1);
    }

    function test_WhenProviderOpens() external {
        vm.prank(provider);
        usdc.approve(address(disputes), DISPUTE_BOND);
        uint256 providerBefore = usdc.balanceOf(provider);
        openDisputeAs(provider, t);
        assertEq(disputes.dispute(id).opener, provider);
        assertEq(usdc.balanceOf(provider), providerBefore - DISPUTE_BOND);
    }

    function test_WhenNativeCoinRental() external {
        uint64 nativeOffer = createOfferIn(address(0), 0.01 ether);
        vm.prank(owner);
        disputes.setDisputeBond(address(0), 0.001 ether);
        vm.deal(renter, 1 ether);
        vm.recordLogs();
        vm.prank(renter);
        escrow.open{value: 0.01 ether}(
            OpenParams({offerId: nativeOffer, deposit: 0.01 ether, salt: "native"}), ED25519_ACCESS_KEY
        );
        RentalTerms memory n = openedTerms();

        // The bond comes as msg.value (the committee's fee is zero).
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_ValueMismatch.selector, 0.001 ether, 0)
        );
        vm.prank(renter);
        disputes.openDispute(n, EVIDENCE);

        vm.prank(renter);
        disputes.openDispute{value: 0.001 ether}(n, EVIDENCE);
        assertEq(address(disputes).balance, 0.001 ether);
        assertEq(uint8(stateOf(n).status), uint8(RentalStatus.Frozen));
    }

    function test_WhenFrozen_NothingMoves() external {
        openDisputeAs(renter, t);
        bytes memory frozen = abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.Frozen);
        Usage memory u = usageAt(1, uint64(block.timestamp), 600);
        bytes memory sig = signUsage(t, u);

        vm.expectRevert(frozen);
        vm.prank(renter);
        escrow.stop(t);
        vm.expectRevert(frozen);
        vm.prank(renter);
        escrow.extend(t, ONE_HOUR_DEPOSIT);
        vm.expectRevert(frozen);
        vm.prank(renter);
        escrow.stopAndSettle(t, u, sig);
        vm.expectRevert(frozen);
        vm.prank(provider);
        escrow.terminate(t);

        vm.warp(t.startedAt + 1 hours + CHALLENGE_WINDOW);
        u = usageAt(1, uint64(t.startedAt + 1 hours), 3600);
        sig = signUsage(t, u);
        vm.expectRevert(frozen);
        vm.prank(keeper);
        escrow.checkpoint(t, u, sig);
        vm.expectRevert(frozen);
        vm.prank(keeper);
        escrow.settle(t, u, sig);

        vm.warp(t.startedAt + 1 hours + GRACE_PERIOD + 1);
        vm.expectRevert(frozen);
        escrow.refund(t);
        assertEq(usdc.balanceOf(address(escrow)), ONE_HOUR_DEPOSIT, "the deposit stays");
    }
}
