// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IEscrowGovernance} from "../../../contracts/interfaces/IEscrowGovernance.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OpenParams, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetPaused_Unit_Test is Base {
    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, provider));
        vm.prank(provider);
        escrow.setPaused(true);
    }

    function test_WhenPausing() external {
        RentalTerms memory a = openRental(ONE_HOUR_DEPOSIT, "a");
        RentalTerms memory b = openRental(ONE_HOUR_DEPOSIT, "b");
        vm.expectEmit(address(escrow));
        emit IEscrowGovernance.PausedSet(true);
        vm.prank(owner);
        escrow.setPaused(true);
        assertTrue(escrow.config().paused);

        OpenParams memory p = OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: "c"});
        vm.expectRevert(Errors.GpuEscrow_Paused.selector);
        vm.prank(renter);
        escrow.open(p, ED25519_ACCESS_KEY);
        vm.expectRevert(Errors.GpuEscrow_Paused.selector);
        vm.prank(renter);
        escrow.openWithPermit(p, ED25519_ACCESS_KEY, block.timestamp, 0, 0, 0);

        vm.prank(renter);
        escrow.extend(a, ONE_HOUR_DEPOSIT);
        vm.warp(a.startedAt + 100 + CHALLENGE_WINDOW);
        checkpointAs(keeper, a, 1, uint64(a.startedAt + 100), 100);
        vm.prank(renter);
        escrow.stop(a);
        stopAndSettleNow(a, 2, 100 + CHALLENGE_WINDOW);
        vm.warp(b.startedAt + 1 hours + GRACE_PERIOD + 1);
        escrow.refund(b);
        vm.prank(provider);
        escrow.claimEarnings(offerId);
        escrow.collectFees(new uint64[](0));
        assertEq(activeOn(offerId), 0);
    }

    function test_WhenResuming() external {
        vm.startPrank(owner);
        escrow.setPaused(true);
        escrow.setPaused(false);
        vm.stopPrank();
        assertFalse(escrow.config().paused);
        openRental(ONE_HOUR_DEPOSIT, "x");
    }
}
