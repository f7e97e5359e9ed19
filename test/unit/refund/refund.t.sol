// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OfferParams, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Refund_Unit_Test is Base {
    RentalTerms internal t;
    bytes32 internal id;
    uint256 internal end;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "x");
        id = idOf(t);
        end = t.startedAt + 1 hours;
    }

    function test_RevertWhen_RentalNotActive() external {
        RentalTerms memory other = t;
        other.salt = "nope";
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, idOf(other), RentalStatus.None)
        );
        escrow.refund(other);
    }

    function test_RevertWhen_NotDue() external {
        vm.warp(end + GRACE_PERIOD);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RefundNotDue.selector, id, end + GRACE_PERIOD + 1));
        vm.prank(keeper);
        escrow.refund(t);
    }

    function test_WhenNothingPaid() external {
        vm.warp(end + GRACE_PERIOD + 1);
        uint256 before = usdc.balanceOf(renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalRefunded(id, ONE_HOUR_DEPOSIT);
        vm.prank(keeper);
        escrow.refund(t);
        assertEq(usdc.balanceOf(renter), before + ONE_HOUR_DEPOSIT);
        assertEq(usdc.balanceOf(address(escrow)), 0);
        assertEq(activeOn(offerId), 0);
        assertEq(offerNet(offerId), 0);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
    }

    function test_WhenCheckpointsPaid() external {
        RentalTerms memory r = openRental(3 * ONE_HOUR_DEPOSIT, "checkpointed");
        vm.warp(r.startedAt + 1000 + CHALLENGE_WINDOW);
        checkpointAs(keeper, r, 1, uint64(r.startedAt + 1000), 1000);
        (uint256 c, uint256 f, uint256 net) = split(r, 1000);
        vm.warp(r.startedAt + 3 hours + GRACE_PERIOD + 1);
        uint256 before = usdc.balanceOf(renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalRefunded(idOf(r), 3 * ONE_HOUR_DEPOSIT - c);
        escrow.refund(r);
        assertEq(usdc.balanceOf(renter), before + 3 * ONE_HOUR_DEPOSIT - c);
        assertEq(offerNet(offerId), net, "provider keeps the checkpointed part");
        assertEq(offerFees(offerId), f);
    }

    function test_WhenCheckpointsHeldBackSlaCredit() external {
        // With an SLA, the part of the checkpointed net held back for the credit is the renter's again.
        OfferParams memory p = defaultOffer(address(usdc));
        p.slaBps = 9900;
        vm.prank(provider);
        uint64 sla = escrow.createOffer(p);
        RentalTerms memory r = openRentalFrom(renter, sla, 3 * ONE_HOUR_DEPOSIT, "sla");
        vm.warp(r.startedAt + 1000 + CHALLENGE_WINDOW);
        checkpointAs(keeper, r, 1, uint64(r.startedAt + 1000), 1000);
        uint256 paid = escrow.offerAccount(sla).net + escrow.offerAccount(sla).fees;
        assertLt(paid, cost(PRICE, 1000));
        vm.warp(r.startedAt + 3 hours + GRACE_PERIOD + 1);
        uint256 before = usdc.balanceOf(renter);
        escrow.refund(r);
        assertEq(usdc.balanceOf(renter) - before, 3 * ONE_HOUR_DEPOSIT - paid);
    }

    function test_WhenStoppedEarly() external {
        vm.warp(t.startedAt + 60);
        vm.prank(renter);
        escrow.stop(t);
        uint256 due = t.startedAt + 60 + GRACE_PERIOD + 1;
        vm.warp(due - 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RefundNotDue.selector, id, due));
        escrow.refund(t);
        vm.warp(due);
        escrow.refund(t);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
    }

    function test_RevertWhen_RefundedTwice() external {
        vm.warp(end + GRACE_PERIOD + 1);
        escrow.refund(t);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.None));
        escrow.refund(t);
    }
}
