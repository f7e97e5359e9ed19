// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Freeze_Unit_Test is Base {
    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "freeze");
        id = idOf(t);
    }

    function test_RevertWhen_CallerNotModule() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotDisputeModule.selector, owner));
        vm.prank(owner);
        escrow.freeze(t);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotDisputeModule.selector, renter));
        vm.prank(renter);
        escrow.freeze(t);
    }

    function test_RevertWhen_RentalNotActive() external {
        vm.prank(address(disputes));
        escrow.freeze(t);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.Frozen));
        vm.prank(address(disputes));
        escrow.freeze(t);

        t.salt = "never opened";
        bytes32 other = idOf(t);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, other, RentalStatus.None));
        vm.prank(address(disputes));
        escrow.freeze(t);
    }

    function test_WhenModuleFreezesRunningRental() external {
        // Freezing stops the clock: the dispute concerns the 10 minutes before it.
        vm.warp(t.startedAt + 10 minutes);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalStopped(id, address(disputes), uint40(block.timestamp));
        vm.expectEmit(address(escrow));
        emit IRentals.RentalFrozen(id);
        vm.prank(address(disputes));
        escrow.freeze(t);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.Frozen));
        assertEq(stateOf(t).stoppedAt, block.timestamp);
        assertEq(stateOf(t).deposit, ONE_HOUR_DEPOSIT, "no money moves");
        assertEq(usdc.balanceOf(address(escrow)), ONE_HOUR_DEPOSIT);
        vm.warp(block.timestamp + 1 days);
        assertEq(quoteOf(t).endsAt, t.startedAt + 10 minutes);
    }

    function test_WhenModuleFreezesEndedRental() external {
        // Already over (out of deposit): its end stays where it was.
        vm.warp(t.startedAt + 2 hours);
        vm.recordLogs();
        vm.prank(address(disputes));
        escrow.freeze(t);
        assertEq(vm.getRecordedLogs().length, 1, "only RentalFrozen");
        assertEq(stateOf(t).stoppedAt, 0);
        assertEq(quoteOf(t).endsAt, t.startedAt + 1 hours);
    }
}
