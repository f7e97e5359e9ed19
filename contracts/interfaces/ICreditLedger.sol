// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ICreditLedger
/// @notice Pull payments. A payment that cannot be pushed (a blacklisted or reverting receiver) never blocks the
/// other parties: it is credited to its receiver instead, who withdraws it later, to itself or to an address it
/// chooses. Nobody but the owner of a credit can move it. The escrow (`IPayouts`) and the dispute module
/// (`IDisputeModule`) each keep such a ledger, with these events and functions; each reverts with its own errors
/// (`GpuEscrow_…` in the escrow, `DisputeModule_…` in the module).
interface ICreditLedger {
    /// @notice `amount` of `token` was added to the credit of `account`: a payment to it that could not be pushed,
    /// or, in the escrow, an offer's accrued earnings and fees moved to the payout's and the treasury's credit before
    /// they would overflow the offer's counters.
    event Credited(address indexed account, address indexed token, uint256 amount);
    /// @notice `account` withdrew `amount` of its credit in `token`, paid to `to`.
    event Withdrawn(address indexed account, address indexed token, address to, uint256 amount);

    /// @notice Withdrawable balance of `account` in `token`.
    /// @param account The owner of the credit.
    /// @param token The token (address(0): the native coin).
    /// @return The credit, in the token's base units.
    function credit(address account, address token) external view returns (uint256);

    /// @notice Pays `amount` of the caller's credit in `token` to the caller.
    /// @dev Requirements: amount ≤ credit (`GpuEscrow_InsufficientCredit`, `DisputeModule_InsufficientCredit`).
    /// Reverts if the transfer fails (`GpuEscrow_NativeTransferFailed` for the native coin, in either contract); then
    /// `withdrawTo` pays another address.
    /// @param token The token (address(0): the native coin).
    /// @param amount How much, in the token's base units.
    function withdraw(address token, uint256 amount) external;

    /// @notice Pays `amount` of the caller's credit in `token` to `to`: the way out for an owner that cannot take
    /// the token itself (a contract that rejects the native coin, a blacklisted address).
    /// @dev Requirements: amount ≤ credit (`GpuEscrow_InsufficientCredit`, `DisputeModule_InsufficientCredit`);
    /// `to` non-zero (`GpuEscrow_ZeroAddress`, `DisputeModule_ZeroAddress`). Reverts if the transfer fails
    /// (`GpuEscrow_NativeTransferFailed` for the native coin).
    /// @param token The token (address(0): the native coin).
    /// @param to Who receives the payment.
    /// @param amount How much, in the token's base units.
    function withdrawTo(address token, address to, uint256 amount) external;
}
