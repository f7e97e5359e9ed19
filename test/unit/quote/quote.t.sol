// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Errors} from "../../../contracts/libraries/Errors.sol";
import {Quote, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Quote_Unit_Test is Base {
    RentalTerms internal t;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "x");
    }

    function test_RevertWhen_RentalNotActive() external {
        vm.warp(t.startedAt + 1);
        stopAndSettleNow(t, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, idOf(t), RentalStatus.None));
        escrow.quote(t);
    }

    function test_WhenRunning() external {
        vm.warp(t.startedAt + 1000);
        Quote memory q = escrow.quote(t);
        assertEq(q.elapsed, 1000);
        assertEq(q.accruedMax, 694_445); // ceil(2 500 000 × 1000 / 3600)
        assertEq(q.paid, 0);
        assertEq(q.remaining, ONE_HOUR_DEPOSIT - 694_445);
        assertEq(q.endsAt, t.startedAt + 3600);
        assertFalse(q.ended);
    }

    function test_WhenCheckpointed() external {
        vm.prank(renter);
        escrow.extend(t, 2 * ONE_HOUR_DEPOSIT);
        vm.warp(t.startedAt + 900 + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 1, uint64(t.startedAt + 900), 800);
        Quote memory q = escrow.quote(t);
        assertEq(q.paid, cost(PRICE, 800));
        assertEq(q.elapsed, 900 + CHALLENGE_WINDOW);
    }

    function test_WhenStopped() external {
        vm.warp(t.startedAt + 50);
        vm.prank(renter);
        escrow.stop(t);
        vm.warp(t.startedAt + 5000);
        Quote memory q = escrow.quote(t);
        assertEq(q.elapsed, 50);
        assertEq(q.endsAt, t.startedAt + 50);
        assertTrue(q.ended);
    }

    function test_WhenDepositRanOut() external {
        vm.warp(t.startedAt + 10 hours);
        Quote memory q = escrow.quote(t);
        assertEq(q.elapsed, 3600);
        assertEq(q.accruedMax, ONE_HOUR_DEPOSIT);
        assertEq(q.remaining, 0);
        assertTrue(q.ended);
    }
}
