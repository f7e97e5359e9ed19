// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IEscrowGovernance} from "../../../contracts/interfaces/IEscrowGovernance.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetWindows_Unit_Test is Base {
    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, keeper));
        vm.prank(keeper);
        escrow.setWindows(1 hours, 2 hours);
    }

    function test_RevertWhen_ChallengeWindowOutOfBounds() external {
        vm.startPrank(owner);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_ChallengeWindowOutOfBounds.selector, 299, 300, 7 days));
        escrow.setWindows(299, 1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_ChallengeWindowOutOfBounds.selector, 7 days + 1, 300, 7 days)
        );
        escrow.setWindows(7 days + 1, 30 days);
        vm.stopPrank();
    }

    function test_RevertWhen_GracePeriodOutOfBounds() external {
        vm.startPrank(owner);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_GracePeriodOutOfBounds.selector, 1 hours, 1 hours + 1, 30 days)
        );
        escrow.setWindows(1 hours, 1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_GracePeriodOutOfBounds.selector, 30 days + 1, 1 hours + 1, 30 days)
        );
        escrow.setWindows(1 hours, 30 days + 1);
        vm.stopPrank();
    }

    function test_WhenWithinBounds() external {
        RentalTerms memory running = openRental(ONE_HOUR_DEPOSIT, "running");
        vm.expectEmit(address(escrow));
        emit IEscrowGovernance.WindowsUpdated(5 minutes, 30 days);
        vm.prank(owner);
        escrow.setWindows(5 minutes, 30 days);
        assertEq(escrow.config().challengeWindow, 5 minutes);
        assertEq(escrow.config().gracePeriod, 30 days);
        RentalTerms memory fresh = openRental(ONE_HOUR_DEPOSIT, "fresh");
        assertEq(fresh.challengeWindow, 5 minutes);
        assertEq(fresh.gracePeriod, 30 days);
        assertEq(running.challengeWindow, CHALLENGE_WINDOW);
        assertEq(running.gracePeriod, GRACE_PERIOD);
        vm.prank(owner);
        escrow.setWindows(7 days, 7 days + 1);
        assertEq(escrow.config().challengeWindow, 7 days);
    }
}
