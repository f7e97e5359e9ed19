// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IPayouts
/// @notice Balances held in the escrow for their owners. Provider earnings accrue here at each settlement and
/// checkpoint (one storage write instead of a transfer per rental) together with the fee they owe; a renter's
/// refund is pushed at settlement and lands here only if the transfer failed (blacklisted or reverting receiver).
/// Nobody but the owner of a balance can move it.
interface IPayouts {
    event Credited(address indexed account, address indexed token, uint256 amount);
    event Withdrawn(address indexed account, address indexed token, address to, uint256 amount);
    event EarningsClaimed(address indexed provider, address indexed token, address payout, uint256 net, uint256 fees);

    /// @notice Withdrawable balance of `account` in `token` (failed refunds, the treasury's collected fees).
    function credit(address account, address token) external view returns (uint256);

    /// @notice A provider's accrued earnings in `token`: its own `net` and the `fees` it holds for the treasury.
    function earnings(address provider, address token) external view returns (uint128 net, uint128 fees);

    /// @notice Pays `amount` of the caller's credit in `token` to the caller.
    /// @dev Requirements: amount ≤ credit (`GpuEscrow_InsufficientCredit`). Reverts if the transfer fails.
    function withdraw(address token, uint256 amount) external;

    /// @notice Pays the caller's (a provider's) net earnings in `token` to its payout address and credits the fees
    /// it accrued to the treasury. Notes: one base unit of each stays behind so the next settlement writes a warm
    /// slot (about 17k gas less); it is paid out with a later claim.
    function claimEarnings(address token) external;

    /// @notice Moves the fees accrued under `providers` in `token` to the treasury's credit. Anyone may call it.
    function collectFees(address[] calldata providers, address token) external;
}
