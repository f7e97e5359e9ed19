// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {Quote, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Stop_Unit_Test is Base {
    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "x");
        id = idOf(t);
    }

    function test_RevertWhen_CallerNotRenter() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotRenter.selector, id, provider));
        vm.prank(provider);
        escrow.stop(t);
    }

    function test_RevertWhen_RentalNotActive() external {
        vm.warp(block.timestamp + 60);
        stopAndSettleNow(t, 1, 60);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.None));
        vm.prank(renter);
        escrow.stop(t);
    }

    function test_RevertWhen_DepositRanOut() external {
        vm.warp(t.startedAt + 3600);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, id, t.startedAt + 3600));
        vm.prank(renter);
        escrow.stop(t);
    }

    function test_RevertWhen_AlreadyStopped() external {
        vm.warp(block.timestamp + 10);
        vm.prank(renter);
        escrow.stop(t);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, id, t.startedAt + 10));
        vm.prank(renter);
        escrow.stop(t);
    }

    function test_WhenRentalRunning() external {
        vm.warp(t.startedAt + 1000);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalStopped(id, renter, uint40(t.startedAt + 1000));
        vm.prank(renter);
        escrow.stop(t);

        assertEq(escrow.rentalState(id).stoppedAt, t.startedAt + 1000);
        Quote memory q = quoteOf(t);
        assertTrue(q.ended);
        assertEq(q.endsAt, t.startedAt + 1000);
        assertEq(q.elapsed, 1000);

        // An attestation made later claims more uptime than the rental lasted: billing stops at the stop.
        vm.warp(t.startedAt + 1500);
        uint256 before = usdc.balanceOf(renter);
        settleAs(renter, t, 1, uint64(t.startedAt + 1500), 1500);
        (uint256 c,, uint256 net) = split(t, 1000);
        assertEq(offerNet(offerId), net);
        assertEq(usdc.balanceOf(renter), before + ONE_HOUR_DEPOSIT - c);
    }

    function test_WhenStoppedInTheOpeningSecond() external {
        vm.prank(renter);
        escrow.stop(t);
        uint256 before = usdc.balanceOf(renter);
        settleAs(renter, t, 1, uint64(t.startedAt), 0);
        assertEq(usdc.balanceOf(renter), before + ONE_HOUR_DEPOSIT, "full refund");
        assertEq(offerNet(offerId), 0);
    }
}
