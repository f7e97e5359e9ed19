// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalStatus, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract SettleBatch_Unit_Test is Base {
    RentalTerms[] internal rentals;
    uint256 internal end;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 3; ++i) {
            rentals.push(openRental(ONE_HOUR_DEPOSIT, bytes32(i)));
        }
        end = rentals[0].startedAt + 1 hours;
    }

    function batch(uint256[] memory idx, uint64 uptime)
        internal
        view
        returns (RentalTerms[] memory ts, Usage[] memory us, bytes[] memory sigs)
    {
        ts = new RentalTerms[](idx.length);
        us = new Usage[](idx.length);
        sigs = new bytes[](idx.length);
        for (uint256 i; i < idx.length; ++i) {
            ts[i] = rentals[idx[i]];
            us[i] = usageAt(1, uint64(end), uptime);
            sigs[i] = signUsage(ts[i], us[i]);
        }
    }

    function all() internal pure returns (uint256[] memory idx) {
        idx = new uint256[](3);
        (idx[0], idx[1], idx[2]) = (0, 1, 2);
    }

    function test_RevertWhen_EmptyBatch() external {
        vm.expectRevert(Errors.GpuEscrow_EmptyBatch.selector);
        escrow.settleBatch(new RentalTerms[](0), new Usage[](0), new bytes[](0));
    }

    function test_RevertWhen_LengthMismatch() external {
        vm.warp(end + CHALLENGE_WINDOW);
        (RentalTerms[] memory ts, Usage[] memory us, bytes[] memory sigs) = batch(all(), 3600);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_BatchLengthMismatch.selector, 3, 2, 3));
        escrow.settleBatch(ts, new Usage[](2), sigs);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_BatchLengthMismatch.selector, 3, 3, 4));
        escrow.settleBatch(ts, us, new bytes[](4));
    }

    function test_WhenSomeAlreadyClosed() external {
        vm.warp(end + CHALLENGE_WINDOW);
        // Another keeper settled rental 1 first, rental 2 is listed twice.
        settleAs(makeAddr("other keeper"), rentals[1], 1, uint64(end), 3600);
        uint256[] memory idx = new uint256[](4);
        (idx[0], idx[1], idx[2], idx[3]) = (0, 1, 2, 2);
        (RentalTerms[] memory ts, Usage[] memory us, bytes[] memory sigs) = batch(idx, 3000);
        vm.expectEmit(address(escrow));
        emit IRentals.SettlementSkipped(
            idOf(rentals[1]),
            abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, idOf(rentals[1]), RentalStatus.None)
        );
        vm.prank(keeper);
        uint256 settled = escrow.settleBatch(ts, us, sigs);
        assertEq(settled, 2);
        (,, uint256 netFull) = split(rentals[1], 3600);
        (,, uint256 net) = split(rentals[0], 3000);
        assertEq(offerNet(offerId), netFull + 2 * net);
        assertEq(activeOn(offerId), 0);
    }

    function test_WhenRefundedBeforeBatch() external {
        vm.warp(end + GRACE_PERIOD + 1);
        escrow.refund(rentals[0]);
        escrow.refund(rentals[1]);
        escrow.refund(rentals[2]);
        (RentalTerms[] memory ts, Usage[] memory us, bytes[] memory sigs) = batch(all(), 3600);
        assertEq(escrow.settleBatch(ts, us, sigs), 0);
    }

    function test_WhenOneNotEnded() external {
        vm.warp(rentals[0].startedAt + 10);
        RentalTerms memory late = openRental(ONE_HOUR_DEPOSIT, "late"); // ends 10 s after the others
        vm.warp(end + 5);
        RentalTerms[] memory ts = new RentalTerms[](2);
        Usage[] memory us = new Usage[](2);
        bytes[] memory sigs = new bytes[](2);
        (ts[0], us[0]) = (rentals[0], usageAt(1, uint64(end), 3600));
        (ts[1], us[1]) = (late, usageAt(1, uint64(end + 5), 3595));
        sigs[0] = signUsage(ts[0], us[0]);
        sigs[1] = signUsage(ts[1], us[1]);
        vm.expectEmit(address(escrow));
        emit IRentals.SettlementSkipped(
            idOf(late), abi.encodeWithSelector(Errors.GpuEscrow_RentalNotEnded.selector, idOf(late), end + 10)
        );
        vm.prank(renter); // the renter may settle rental 0 at once; the late rental is skipped
        assertEq(escrow.settleBatch(ts, us, sigs), 1);
        assertEq(uint8(stateOf(late).status), uint8(RentalStatus.Active));
    }

    function test_WhenKeeperInChallengeWindow() external {
        vm.warp(end + CHALLENGE_WINDOW - 1);
        (RentalTerms[] memory ts, Usage[] memory us, bytes[] memory sigs) = batch(all(), 3600);
        vm.expectEmit(address(escrow));
        emit IRentals.SettlementSkipped(
            idOf(ts[0]),
            abi.encodeWithSelector(Errors.GpuEscrow_ChallengeWindowOpen.selector, idOf(ts[0]), end + CHALLENGE_WINDOW)
        );
        vm.prank(keeper);
        assertEq(escrow.settleBatch(ts, us, sigs), 0);
        assertEq(activeOn(offerId), 3);
    }

    function test_WhenOneAttestationInvalid() external {
        vm.warp(end + CHALLENGE_WINDOW);
        (RentalTerms[] memory ts, Usage[] memory us, bytes[] memory sigs) = batch(all(), 3600);
        sigs[2] = signUsageWith(renterKey, ts[2], us[2]);
        vm.expectEmit(address(escrow));
        emit IRentals.SettlementSkipped(
            idOf(ts[2]),
            abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, idOf(ts[2]), attester)
        );
        vm.prank(keeper);
        assertEq(escrow.settleBatch(ts, us, sigs), 2);
        assertEq(activeOn(offerId), 1);
        assertEq(uint8(stateOf(ts[2]).status), uint8(RentalStatus.Active));
    }

    function test_WhenOneFrozenByADispute() external {
        vm.warp(end + CHALLENGE_WINDOW);
        (RentalTerms[] memory ts, Usage[] memory us, bytes[] memory sigs) = batch(all(), 3600);
        vm.prank(address(disputes));
        escrow.freeze(ts[1]);
        vm.expectEmit(address(escrow));
        emit IRentals.SettlementSkipped(
            idOf(ts[1]),
            abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, idOf(ts[1]), RentalStatus.Frozen)
        );
        vm.prank(keeper);
        assertEq(escrow.settleBatch(ts, us, sigs), 2);
    }

    function test_WhenAllSettleable() external {
        vm.warp(end + CHALLENGE_WINDOW);
        uint256 before = usdc.balanceOf(renter);
        (RentalTerms[] memory ts, Usage[] memory us, bytes[] memory sigs) = batch(all(), 3000);
        vm.prank(keeper);
        uint256 settled = escrow.settleBatch(ts, us, sigs);
        assertEq(settled, 3);
        (uint256 c, uint256 f, uint256 net) = split(ts[0], 3000);
        assertEq(offerNet(offerId), 3 * net);
        assertEq(offerFees(offerId), 3 * f);
        assertEq(usdc.balanceOf(renter), before + 3 * (ONE_HOUR_DEPOSIT - c));
        assertEq(activeOn(offerId), 0);
        for (uint256 i; i < 3; ++i) {
            assertEq(uint8(stateOf(ts[i]).status), uint8(RentalStatus.None));
        }
    }
}
