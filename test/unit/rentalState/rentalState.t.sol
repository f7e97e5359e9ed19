// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalState, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract RentalState_Unit_Test is Base {
    function test_WhenNeverOpened() external view {
        RentalState memory s = escrow.rentalState(keccak256("nothing"));
        assertEq(uint8(s.status), uint8(RentalStatus.None));
        assertEq(s.deposit, 0);
    }

    function test_WhenOpen() external {
        RentalTerms memory t = openRental(2 * ONE_HOUR_DEPOSIT, "x");
        vm.warp(t.startedAt + 100 + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 9, uint64(t.startedAt + 100), 90);
        vm.prank(renter);
        escrow.stop(t);
        RentalState memory s = stateOf(t);
        assertEq(s.deposit, 2 * ONE_HOUR_DEPOSIT);
        assertEq(s.paidSeconds, 90);
        assertEq(s.lastSeq, 9);
        assertEq(s.stoppedAt, block.timestamp);
        assertEq(uint8(s.status), uint8(RentalStatus.Active));
    }

    function test_WhenClosed() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "x");
        vm.warp(t.startedAt + 10);
        stopAndSettleNow(t, 1, 10);
        RentalState memory s = stateOf(t);
        assertEq(uint8(s.status), uint8(RentalStatus.None));
        assertEq(s.deposit, 0);
        assertEq(s.lastSeq, 0);
    }
}
