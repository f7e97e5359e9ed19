// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Billing
/// @notice The money math of a rental. Every function works on cumulative seconds, so paying a rental in several
/// checkpoints gives exactly the same totals as paying it once.
library Billing {
    uint256 internal constant SECONDS_PER_HOUR = 3600;
    uint256 internal constant BPS = 10_000;
    /// @notice Basis points of the cost credited back per basis point of uptime below the SLA.
    uint256 internal constant SLA_CREDIT_PER_BPS = 10;
    /// @notice The largest SLA credit, in basis points of the cost.
    uint256 internal constant SLA_CREDIT_CAP_BPS = 5000;

    /// @notice Cost of `seconds_` of GPU time: ceil(pricePerHour × seconds / 3600), in token base units.
    /// @dev Computed from the hourly price, never from a truncated per-second rate, so 6-decimal tokens bill as
    /// exactly as 18-decimal ones. Cannot overflow: price < 2^96 and seconds < 2^64 give a product < 2^160.
    function cost(uint256 pricePerHour, uint256 seconds_) internal pure returns (uint256) {
        return divUp(pricePerHour * seconds_, SECONDS_PER_HOUR);
    }

    /// @notice Protocol fee on `amount`: ceil(amount × feeBps / 10 000).
    function fee(uint256 amount, uint256 feeBps) internal pure returns (uint256) {
        return divUp(amount * feeBps, BPS);
    }

    /// @notice The SLA credit on `amount` (the rental's cost) when `billed` of `wall` seconds were up and the offer promised `slaBps`:
    /// every basis point of uptime below the SLA gives back SLA_CREDIT_PER_BPS basis points of the cost, up to
    /// SLA_CREDIT_CAP_BPS. Uptime is floor(billed × 10 000 / wall), so a shortfall is never rounded away.
    /// E.g. SLA 99 %, uptime 97 %: 200 bps short, 20 % of the cost back; uptime below 94 %: the 50 % cap.
    function slaCredit(uint256 amount, uint256 billed, uint256 wall, uint256 slaBps) internal pure returns (uint256) {
        if (wall == 0) return 0;
        uint256 uptimeBps = billed * BPS / wall;
        if (uptimeBps >= slaBps) return 0;
        uint256 creditBps = (slaBps - uptimeBps) * SLA_CREDIT_PER_BPS;
        if (creditBps > SLA_CREDIT_CAP_BPS) creditBps = SLA_CREDIT_CAP_BPS;
        return amount * creditBps / BPS;
    }

    /// @notice The longest time a deposit pays for: the largest s with cost(s) ≤ deposit.
    /// @dev floor(deposit × 3600 / price): price × s ≤ deposit × 3600 implies ceil(price × s / 3600) ≤ deposit.
    function coveredSeconds(uint256 pricePerHour, uint256 deposit) internal pure returns (uint256) {
        return deposit * SECONDS_PER_HOUR / pricePerHour;
    }

    function divUp(uint256 a, uint256 b) private pure returns (uint256) {
        // b is a non-zero constant and a > 0 on this branch, so a - 1 cannot underflow and the quotient plus one
        // is at most a, which cannot overflow.
        unchecked {
            return a == 0 ? 0 : (a - 1) / b + 1;
        }
    }
}
