// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {Billing} from "../../contracts/libraries/Billing.sol";

/// @notice Billing against a reference model written the long way (quotient plus one if there is a remainder).
contract Billing_Fuzz_Test is Test {
    function refCeilDiv(uint256 a, uint256 b) internal pure returns (uint256) {
        uint256 q = a / b;
        return a % b == 0 ? q : q + 1;
    }

    function testFuzz_Cost_IsCeilOfPriceTimesSecondsOver3600(uint256 price, uint256 seconds_) external pure {
        price = bound(price, 0, type(uint96).max);
        seconds_ = bound(seconds_, 0, type(uint32).max);
        uint256 c = Billing.cost(price, seconds_);
        assertEq(c, refCeilDiv(price * seconds_, 3600));
        // Never below the exact value, less than one base unit above it.
        assertGe(c * 3600, price * seconds_);
        if (c > 0) assertLt((c - 1) * 3600, price * seconds_);
    }

    function testFuzz_Cost_IsCumulativeNotPerSecond(uint256 price, uint256 a, uint256 b) external pure {
        price = bound(price, 1, type(uint96).max);
        a = bound(a, 0, type(uint32).max);
        b = bound(b, 0, type(uint32).max - a);
        // Paying a then b more seconds in two checkpoints costs cost(a) + (cost(a + b) − cost(a)) = cost(a + b),
        // and cost is monotonic so the second payment is never negative.
        assertLe(Billing.cost(price, a), Billing.cost(price, a + b));
        // Splitting never costs less than the whole, and at most one unit more per split.
        uint256 split = Billing.cost(price, a) + Billing.cost(price, b);
        assertGe(split, Billing.cost(price, a + b));
        assertLe(split, Billing.cost(price, a + b) + 1);
    }

    function testFuzz_Fee_IsCeilOfAmountTimesBps(uint256 amount, uint256 feeBps) external pure {
        amount = bound(amount, 0, type(uint96).max);
        feeBps = bound(feeBps, 0, 10_000);
        uint256 f = Billing.fee(amount, feeBps);
        assertEq(f, refCeilDiv(amount * feeBps, 10_000));
        assertLe(f, amount, "fee never above the amount");
    }

    function testFuzz_Fee_Telescopes(uint256 price, uint256 paid, uint256 billed, uint256 feeBps) external pure {
        // What checkpoints pay as fee (fee(cost(b)) − fee(cost(p))) sums to the fee on the total.
        price = bound(price, 1, type(uint96).max);
        billed = bound(billed, 0, type(uint32).max);
        paid = bound(paid, 0, billed);
        feeBps = bound(feeBps, 0, 1500);
        uint256 total = Billing.cost(price, billed);
        uint256 before = Billing.cost(price, paid);
        uint256 feeNow = Billing.fee(total, feeBps) - Billing.fee(before, feeBps);
        uint256 netNow = (total - Billing.fee(total, feeBps)) - (before - Billing.fee(before, feeBps));
        assertEq(feeNow + netNow, total - before);
        assertGe(Billing.fee(total, feeBps), Billing.fee(before, feeBps));
    }

    function testFuzz_CoveredSeconds_IsTheLongestTimeTheDepositPaysFor(uint256 price, uint256 deposit) external pure {
        price = bound(price, 1, type(uint96).max);
        deposit = bound(deposit, 0, type(uint96).max);
        uint256 s = Billing.coveredSeconds(price, deposit);
        assertEq(s, deposit * 3600 / price);
        assertLe(Billing.cost(price, s), deposit, "covered time is paid for");
        assertGt(Billing.cost(price, s + 1), deposit, "one more second is not");
    }

    function testFuzz_QuoteDeposit_IsAFixedDuration(uint256 price, uint256 seconds_) external pure {
        // For prices of at least one base unit per second, cost(s) buys exactly s seconds.
        price = bound(price, 3600, type(uint96).max);
        seconds_ = bound(seconds_, 0, type(uint32).max);
        assertEq(Billing.coveredSeconds(price, Billing.cost(price, seconds_)), seconds_);
    }

    function testFuzz_SixAndEighteenDecimals_BillAlike(uint256 cents, uint256 seconds_) external pure {
        // The same hourly price in a 6- and an 18-decimal token: each is exact to its own base unit, and the
        // 6-decimal cost is the 18-decimal cost rounded up to 10^12 (no per-second truncation anywhere).
        cents = bound(cents, 1, 1e9); // up to 10 M per hour
        seconds_ = bound(seconds_, 0, type(uint32).max);
        uint256 p6 = cents * 1e4;
        uint256 p18 = cents * 1e16;
        uint256 c6 = Billing.cost(p6, seconds_);
        uint256 c18 = Billing.cost(p18, seconds_);
        assertEq(c6, refCeilDiv(c18, 1e12));
    }

    /// The SLA credit is at most half the cost, zero at or above the SLA, and 10 bps of the cost per bps short below
    /// the cap: the uptime is floor(billed × 10 000 / wall), so a shortfall is never rounded away.
    function testFuzz_SlaCredit_Bounds(uint256 amount, uint256 billed, uint256 wall, uint256 slaBps) external pure {
        amount = bound(amount, 0, type(uint160).max);
        wall = bound(wall, 1, type(uint32).max);
        billed = bound(billed, 0, wall);
        slaBps = bound(slaBps, 0, 10_000);
        uint256 credit = Billing.slaCredit(amount, billed, wall, slaBps);
        uint256 uptimeBps = billed * 10_000 / wall;
        assertLe(credit, amount / 2, "at most 50 % of the cost");
        if (uptimeBps >= slaBps) {
            assertEq(credit, 0, "no credit at or above the SLA");
        } else {
            uint256 creditBps = (slaBps - uptimeBps) * 10;
            assertEq(credit, amount * (creditBps > 5000 ? 5000 : creditBps) / 10_000, "10 bps per bps short");
        }
        assertEq(Billing.slaCredit(amount, 0, 0, slaBps), 0, "no wall-clock time, no credit");
    }

    /// Less uptime never gives a smaller credit.
    function testFuzz_SlaCredit_MonotoneInTheShortfall(
        uint256 amount,
        uint256 billedA,
        uint256 billedB,
        uint256 wall,
        uint256 slaBps
    ) external pure {
        amount = bound(amount, 0, type(uint160).max);
        wall = bound(wall, 1, type(uint32).max);
        billedA = bound(billedA, 0, wall);
        billedB = bound(billedB, 0, billedA);
        slaBps = bound(slaBps, 0, 10_000);
        assertGe(
            Billing.slaCredit(amount, billedB, wall, slaBps),
            Billing.slaCredit(amount, billedA, wall, slaBps),
            "monotone in the shortfall"
        );
        // And a higher SLA never gives less.
        uint256 higher = bound(slaBps + amount % 10_001, slaBps, 10_000);
        assertGe(Billing.slaCredit(amount, billedA, wall, higher), Billing.slaCredit(amount, billedA, wall, slaBps));
    }
}
