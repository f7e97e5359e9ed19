// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Billing
/// @notice The money math of a rental. Every function works on cumulative seconds, so paying a rental in several
/// checkpoints gives exactly the same totals as paying it once.
/// @dev Domain: prices < 2^96 (uint96 in the terms), seconds < 2^112 (timestamps are uint64; the longest a uint96
/// deposit can pay for is below 2^108), fee ≤ 1 500 bps, SLA ≤ 10 000 bps. Every product below then stays under
/// 2^222 (a cost < 2^208 times at most 10 000 < 2^14), so the multiplications are unchecked: cheaper, and provable
/// by test/symbolic without the division the overflow check would add.
library Billing {
    uint256 internal constant SECONDS_PER_HOUR = 3600;
    uint256 internal constant BPS = 10_000;
    /// @notice Basis points of the cost credited back per basis point of uptime below the SLA.
    uint256 internal constant SLA_CREDIT_PER_BPS = 10;
    /// @notice The largest SLA credit, in basis points of the cost.
    uint256 internal constant SLA_CREDIT_CAP_BPS = 5000;

    /// @notice Cost of `seconds_` of GPU time: ceil(pricePerHour × seconds / 3600), in token base units.
    /// @dev Computed from the hourly price, never from a truncated per-second rate, so 6-decimal tokens bill as
    /// exactly as 18-decimal ones.
    function cost(uint256 pricePerHour, uint256 seconds_) internal pure returns (uint256) {
        // price < 2^96 and seconds < 2^112 (the library's domain): the product is below 2^208.
        unchecked {
            return divUp(pricePerHour * seconds_, SECONDS_PER_HOUR);
        }
    }

    /// @notice Protocol fee on `amount`: ceil(amount × feeBps / 10 000).
    function fee(uint256 amount, uint256 feeBps) internal pure returns (uint256) {
        // amount is a cost (< 2^208) and feeBps ≤ 10 000 < 2^14: the product is below 2^222.
        unchecked {
            return divUp(amount * feeBps, BPS);
        }
    }

    /// @notice The SLA credit on `amount` (the rental's cost) when `billed` of `wall` seconds were up and the offer promised `slaBps`:
    /// every basis point of uptime below the SLA gives back SLA_CREDIT_PER_BPS basis points of the cost, up to
    /// SLA_CREDIT_CAP_BPS. Uptime is floor(billed × 10 000 / wall), so a shortfall is never rounded away.
    /// E.g. SLA 99 %, uptime 97 %: 200 bps short, 20 % of the cost back; uptime below 94 %: the 50 % cap.
    function slaCredit(uint256 amount, uint256 billed, uint256 wall, uint256 slaBps) internal pure returns (uint256) {
        if (wall == 0) return 0;
        // billed < 2^112 and BPS < 2^14; uptimeBps < slaBps ≤ 10 000 on the subtraction; creditBps ≤ 5 000 and
        // amount < 2^208 on the last product: none can overflow or underflow.
        unchecked {
            uint256 uptimeBps = billed * BPS / wall;
            if (uptimeBps >= slaBps) return 0;
            uint256 creditBps = (slaBps - uptimeBps) * SLA_CREDIT_PER_BPS;
            uint256 capBps = maxSlaCreditBps(slaBps);
            if (creditBps > capBps) creditBps = capBps;
            return amount * creditBps / BPS;
        }
    }

    /// @notice The largest SLA credit a rental promising `slaBps` can earn, in basis points of its cost:
    /// min(SLA_CREDIT_CAP_BPS, slaBps × SLA_CREDIT_PER_BPS) (0 when the offer promises no SLA).
    function maxSlaCreditBps(uint256 slaBps) internal pure returns (uint256) {
        uint256 capBps = slaBps * SLA_CREDIT_PER_BPS;
        return capBps < SLA_CREDIT_CAP_BPS ? capBps : SLA_CREDIT_CAP_BPS;
    }

    /// @notice The provider's net that checkpoints may pay out of `amount` of cost before the rental settles:
    /// floor(amount × (10 000 − feeBps − maxSlaCreditBps(slaBps)) / 10 000). The rest of the provider's net is held
    /// back in the deposit, so the SLA credit the whole rental earns is always there to pay, however often and
    /// whenever anyone checkpoints. Without an SLA this is exactly amount − fee(amount).
    /// @dev Requires feeBps + maxSlaCreditBps ≤ 10 000 (the escrow caps the fee at 1 500 and the credit at 5 000).
    /// Non-decreasing in `amount`, so cumulative checkpoints never pay a negative amount.
    function checkpointable(uint256 amount, uint256 feeBps, uint256 slaBps) internal pure returns (uint256) {
        uint256 keptBps = BPS - feeBps - maxSlaCreditBps(slaBps);
        // amount < 2^208 and keptBps ≤ 10 000 < 2^14: the product is below 2^222.
        unchecked {
            return amount * keptBps / BPS;
        }
    }

    /// @notice What checkpoints took out of the deposit for `paidSeconds`: the provider's checkpointable net and the
    /// full fee on their cost. The rest of the deposit is still in the escrow for this rental.
    function paidOut(uint256 pricePerHour, uint256 feeBps, uint256 slaBps, uint256 paidSeconds)
        internal
        pure
        returns (uint256)
    {
        uint256 paidCost = cost(pricePerHour, paidSeconds);
        return checkpointable(paidCost, feeBps, slaBps) + fee(paidCost, feeBps);
    }

    /// @notice Splits a settling rental's deposit: `billed` of `wall` seconds are charged, `paidSeconds` were already
    /// paid by checkpoints. net + fee + refund == deposit − paidOut(paidSeconds) for every input in range.
    /// @return cost_ cost(billed): what the renter is charged before its SLA credit.
    /// @return net What the provider is paid now: its net on the cost less what checkpoints paid, less the credit.
    /// @return fee_ What the treasury is paid now: fee(cost) less the fee checkpoints already paid.
    /// @return credit The SLA credit, `slaCredit(cost, billed, wall, slaBps)`, taken from the provider's net.
    /// @return refund What goes back to the renter: deposit − cost + credit.
    /// @dev Requires paidSeconds ≤ billed ≤ wall, cost(wall) ≤ deposit and feeBps ≤ 1 500. The provider's unpaid
    /// net always covers the credit: checkpoints held back maxSlaCreditBps of the cost they paid for, and the
    /// credit is at most that share of the whole cost (proved symbolically in test/symbolic).
    function settlement(
        uint256 pricePerHour,
        uint256 feeBps,
        uint256 slaBps,
        uint256 deposit,
        uint256 paidSeconds,
        uint256 billed,
        uint256 wall
    ) internal pure returns (uint256 cost_, uint256 net, uint256 fee_, uint256 credit, uint256 refund) {
        cost_ = cost(pricePerHour, billed);
        uint256 paidCost = cost(pricePerHour, paidSeconds);
        uint256 totalFee = fee(cost_, feeBps);
        fee_ = totalFee - fee(paidCost, feeBps);
        credit = slaCredit(cost_, billed, wall, slaBps);
        net = cost_ - totalFee - checkpointable(paidCost, feeBps, slaBps) - credit;
        refund = deposit - cost_ + credit;
    }

    /// @notice The longest time a deposit pays for: the largest s with cost(s) ≤ deposit.
    /// @dev floor(deposit × 3600 / price): price × s ≤ deposit × 3600 implies ceil(price × s / 3600) ≤ deposit.
    function coveredSeconds(uint256 pricePerHour, uint256 deposit) internal pure returns (uint256) {
        // deposit < 2^96 (uint96 in the state) times 3600 < 2^12: below 2^108. A zero price still reverts (division).
        unchecked {
            return deposit * SECONDS_PER_HOUR / pricePerHour;
        }
    }

    function divUp(uint256 a, uint256 b) private pure returns (uint256) {
        // b is a non-zero constant and a > 0 on this branch, so a - 1 cannot underflow and the quotient plus one
        // is at most a, which cannot overflow.
        unchecked {
            return a == 0 ? 0 : (a - 1) / b + 1;
        }
    }
}
