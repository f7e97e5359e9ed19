// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms} from "../../contracts/types/DataTypes.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {Base} from "../utils/Base.t.sol";

/// @notice SPEC 4.1, one named test per money rule. Expected amounts are written out by hand, not recomputed with
/// the contract's own Billing library.
contract MoneyRules_Integration_Test is Base {
    function test_BilledSeconds_IsUptimeWhenBelowWallClock() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "a");
        vm.warp(t.startedAt + 1800);
        stopAndSettleNow(t, 1, 1440); // 6 minutes down
        // 2 500 000 × 1440 / 3600 = 1 000 000
        assertEq(offerNet(offerId) + offerFees(offerId), 1_000_000);
    }

    function test_BilledSeconds_IsWallClockWhenUptimeIsAbove() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "a");
        vm.warp(t.startedAt + 720);
        vm.prank(renter);
        escrow.stop(t);
        // The oracle keeps counting after the stop: 1800 s of uptime, but the rental lasted 720 s.
        vm.warp(t.startedAt + 1800);
        settleAs(renter, t, 1, uint64(t.startedAt + 1800), 1800);
        assertEq(offerNet(offerId) + offerFees(offerId), 500_000); // 2 500 000 × 720 / 3600
    }

    function test_Cost_RoundsUpOnCumulativeSeconds() external {
        // 1 s costs 694.44 → 695; 7 s cost 4861.11 → 4862 (not 7 × 695 = 4865).
        RentalTerms memory t = openRental(3 * ONE_HOUR_DEPOSIT, "a");
        vm.warp(t.startedAt + 7 + CHALLENGE_WINDOW);
        for (uint64 s = 1; s <= 7; ++s) {
            checkpointAs(keeper, t, s, uint64(t.startedAt + s), s);
        }
        assertEq(offerNet(offerId) + offerFees(offerId), 4862);
        stopAndSettleNow(t, 8, 7);
        assertEq(offerNet(offerId) + offerFees(offerId), 4862, "settlement adds nothing past the checkpoints");
    }

    function test_Cost_SixDecimalsBillsExactly() external {
        // 0.01 USDC per hour, 1 s: 10 000 / 3600 = 2.78 → 3 units; 3599 s → 9998 (9997.2 up); 3600 s → 10 000.
        uint64 o = createOfferIn(address(usdc), 10_000);
        RentalTerms memory a = openRentalFrom(renter, o, 10_000, "a");
        RentalTerms memory b = openRentalFrom(renter, o, 10_000, "b");
        vm.warp(a.startedAt + 3599);
        stopAndSettleNow(a, 1, 1);
        assertEq(escrow.offerAccount(o).net + escrow.offerAccount(o).fees, 3);
        stopAndSettleNow(b, 1, 3599);
        assertEq(escrow.offerAccount(o).net + escrow.offerAccount(o).fees, 3 + 9998);
    }

    function test_Fee_RoundedUpAndSnapshottedAtOpen() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "a");
        vm.prank(owner);
        escrow.setFee(1500);
        vm.warp(t.startedAt + 1);
        stopAndSettleNow(t, 1, 1);
        // cost 695, fee ceil(69.5) = 70 at the 10 % snapshotted, not 105 at 15 %.
        assertEq(offerFees(offerId), 70);
        assertEq(offerNet(offerId), 625);
    }

    function test_ProviderGetsCostMinusFee_TreasuryGetsFee() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "a");
        vm.warp(t.startedAt + 3600);
        stopAndSettleNow(t, 1, 3600);
        assertEq(offerNet(offerId), 2_250_000);
        assertEq(offerFees(offerId), 250_000);
        vm.prank(provider);
        escrow.claimEarnings(offerId);
        assertEq(usdc.balanceOf(payout), 2_250_000);
        assertEq(escrow.credit(treasury, address(usdc)), 250_000);
        vm.prank(treasury);
        escrow.withdraw(address(usdc), 250_000);
        assertEq(usdc.balanceOf(treasury), 250_000);
        assertEq(usdc.balanceOf(address(escrow)), 0);
    }

    function test_FeesCollectedToTreasuryCredit() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "a");
        vm.warp(t.startedAt + 1800);
        stopAndSettleNow(t, 1, 1800);
        uint64[] memory ids = new uint64[](1);
        ids[0] = offerId;
        vm.prank(keeper);
        escrow.collectFees(ids);
        assertEq(escrow.credit(treasury, address(usdc)), 125_000);
        assertEq(offerFees(offerId), 0);
        assertEq(offerNet(offerId), 1_125_000);
    }

    function test_Refund_IsDepositMinusCostInTheSettlingTx() external {
        RentalTerms memory t = openRental(3 * ONE_HOUR_DEPOSIT, "a");
        vm.warp(t.startedAt + 5400);
        uint256 before = usdc.balanceOf(renter);
        stopAndSettleNow(t, 1, 5400);
        assertEq(usdc.balanceOf(renter) - before, 7_500_000 - 3_750_000);
        assertEq(escrow.credit(renter, address(usdc)), 0);
    }

    function test_DepositRunsOut_EndsAtStartPlusCoveredSeconds() external {
        // 1 000 000 units pay for floor(1 000 000 × 3600 / 2 500 000) = 1440 s.
        RentalTerms memory t = openRental(1_000_000, "a");
        assertEq(quoteOf(t).endsAt, t.startedAt + 1440);
        vm.warp(t.startedAt + 1440);
        assertTrue(quoteOf(t).ended);
        // The oracle attests beyond the end: billed 1440 s, the whole deposit, no refund.
        vm.warp(t.startedAt + 2000);
        uint256 before = usdc.balanceOf(renter);
        settleAs(renter, t, 1, uint64(t.startedAt + 2000), 2000);
        assertEq(usdc.balanceOf(renter), before);
        assertEq(offerNet(offerId) + offerFees(offerId), 1_000_000);
    }

    function test_DepositRunsOut_CostNeverAboveDeposit() external {
        // 1 000 001 units still pay for 1440 s: the extra unit comes back.
        RentalTerms memory t = openRental(1_000_001, "a");
        vm.warp(t.startedAt + 1441);
        uint256 before = usdc.balanceOf(renter);
        settleAs(renter, t, 1, uint64(t.startedAt + 1441), 1441);
        assertEq(usdc.balanceOf(renter) - before, 1);
    }

    function test_FixedDuration_ViaQuoteDeposit() external {
        uint96 deposit = uint96(escrow.quoteDeposit(offerId, 2 hours + 7));
        assertEq(deposit, 5_004_862);
        RentalTerms memory t = openRental(deposit, "a");
        assertEq(quoteOf(t).endsAt, t.startedAt + 2 hours + 7);
        vm.warp(t.startedAt + 2 hours + 7);
        uint256 before = usdc.balanceOf(renter);
        stopAndSettleNow(t, 1, 2 hours + 7);
        assertEq(usdc.balanceOf(renter), before, "a full-uptime fixed rental uses its deposit exactly");
    }

    function test_Cost_EighteenDecimalsBillsExactly() external {
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        uint64 o = createOfferIn(address(dai), 2.5e18);
        dai.mint(renter, 10e18);
        vm.prank(renter);
        dai.approve(address(escrow), type(uint256).max);
        RentalTerms memory t = openRentalFrom(renter, o, 2.5e18, "dai");
        vm.warp(t.startedAt + 1);
        stopAndSettleNow(t, 1, 1);
        // 2.5e18 / 3600 = 694 444 444 444 444.4 → …445
        assertEq(escrow.offerAccount(o).net + escrow.offerAccount(o).fees, 694_444_444_444_445);
        assertEq(dai.balanceOf(renter), 10e18 - 694_444_444_444_445);
    }
}
