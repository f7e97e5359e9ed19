// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms} from "../../contracts/types/DataTypes.sol";
import {Base} from "../utils/Base.t.sol";

/// @notice IEscrowGovernance: "Nothing here can move, freeze or redirect escrowed money". Each test runs the same
/// three rentals twice from the same state, once as is and once with one admin call made while they are open, and
/// requires identical outcomes: a renter's stopAndSettle, a keeper's settle after the snapshotted challenge window,
/// and a refund after the snapshotted grace period.
contract GovernanceCannotTouchEscrow_Integration_Test is Base {
    struct Outcome {
        uint256 net;
        uint256 fees;
        uint256 renterBalance;
        uint256 renterCredit;
        uint256 escrowBalance;
        uint256 treasuryCredits;
        uint256 payoutBalance;
    }

    address internal newTreasury = makeAddr("new treasury");
    address internal newOwner = makeAddr("new owner");

    function run(function() internal adminCall) internal returns (Outcome memory o) {
        RentalTerms memory a = openRental(2 * ONE_HOUR_DEPOSIT, "stopAndSettle");
        RentalTerms memory b = openRental(ONE_HOUR_DEPOSIT, "keeper settle");
        RentalTerms memory c = openRental(ONE_HOUR_DEPOSIT, "refund");
        vm.warp(a.startedAt + 600 + CHALLENGE_WINDOW);
        checkpointAs(keeper, a, 1, uint64(a.startedAt + 600), 590);

        adminCall();

        vm.warp(a.startedAt + 5000);
        stopAndSettleNow(a, 2, 4900);
        // b and c ran out of deposit at start + 1 h. The keeper settles b exactly when the snapshotted window ends.
        vm.warp(b.startedAt + 1 hours + CHALLENGE_WINDOW);
        settleAs(keeper, b, 1, uint64(b.startedAt + 1 hours), 3500);
        vm.warp(c.startedAt + 1 hours + GRACE_PERIOD + 1);
        escrow.refund(c);

        o.net = offerNet(offerId);
        o.fees = offerFees(offerId);
        vm.prank(provider);
        escrow.claimEarnings(offerId);
        o.renterBalance = usdc.balanceOf(renter);
        o.renterCredit = escrow.credit(renter, address(usdc));
        o.escrowBalance = usdc.balanceOf(address(escrow));
        o.treasuryCredits = escrow.credit(treasury, address(usdc)) + escrow.credit(newTreasury, address(usdc));
        o.payoutBalance = usdc.balanceOf(payout);
    }

    function noAdminCall() internal {}

    function assertSameAs(function() internal adminCall) internal {
        uint256 snap = vm.snapshotState();
        Outcome memory expected = run(noAdminCall);
        vm.revertToState(snap);
        Outcome memory actual = run(adminCall);

        assertEq(actual.net, expected.net, "provider net");
        assertEq(actual.fees, expected.fees, "fees");
        assertEq(actual.renterBalance, expected.renterBalance, "renter balance");
        assertEq(actual.renterCredit, expected.renterCredit, "renter credit");
        assertEq(actual.escrowBalance, expected.escrowBalance, "escrow balance");
        assertEq(actual.treasuryCredits, expected.treasuryCredits, "treasury credits");
        assertEq(actual.payoutBalance, expected.payoutBalance, "payout");
        // And the numbers are the rules': fee 10 % on 4900 s + 3500 s + 590 s (checkpointed before the refund: none
        // on c, so c refunds its whole deposit).
        (uint256 ca, uint256 fa,) = split(openedLike(), 4900);
        (uint256 cb, uint256 fb,) = split(openedLike(), 3500);
        assertEq(expected.fees, fa + fb, "fee as snapshotted");
        assertEq(expected.net, ca + cb - fa - fb, "net as snapshotted");
        assertEq(expected.escrowBalance, fa + fb, "escrow keeps only the fees");
    }

    /// @dev Terms with the fixture's price and the default fee, for the expected split.
    function openedLike() internal pure returns (RentalTerms memory t) {
        t.pricePerHour = PRICE;
        t.feeBps = FEE_BPS;
    }

    function setFeeToMax() internal {
        vm.prank(owner);
        escrow.setFee(1500);
    }

    function setTreasury() internal {
        vm.prank(owner);
        escrow.setTreasury(newTreasury);
    }

    function setWindows() internal {
        vm.prank(owner);
        escrow.setWindows(7 days, 30 days);
    }

    function refuseToken() internal {
        vm.prank(owner);
        escrow.setTokenAllowed(address(usdc), false);
    }

    function pause() internal {
        vm.prank(owner);
        escrow.setPaused(true);
    }

    function transferOwnership() internal {
        vm.prank(owner);
        escrow.transferOwnership(newOwner);
        vm.prank(newOwner);
        escrow.acceptOwnership();
    }

    function renounceOwnership() internal {
        vm.prank(owner);
        escrow.renounceOwnership();
    }

    function test_SetFee_DoesNotTouchOpenRentals() external {
        assertSameAs(setFeeToMax);
    }

    function test_SetTreasury_DoesNotTouchOpenRentals() external {
        assertSameAs(setTreasury);
        // Fees accrued on the offer are credited to whoever is the treasury when they are collected.
        assertEq(escrow.credit(treasury, address(usdc)), 0);
        assertGt(escrow.credit(newTreasury, address(usdc)), 0);
    }

    function test_SetWindows_DoesNotTouchOpenRentals() external {
        assertSameAs(setWindows);
    }

    function test_SetTokenAllowedFalse_DoesNotTouchOpenRentals() external {
        assertSameAs(refuseToken);
    }

    function test_SetPaused_DoesNotTouchOpenRentals() external {
        assertSameAs(pause);
    }

    function test_TransferOwnership_DoesNotTouchOpenRentals() external {
        assertSameAs(transferOwnership);
    }

    function test_RenounceOwnership_DoesNotTouchOpenRentals() external {
        assertSameAs(renounceOwnership);
    }
}
