// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Config} from "../types/DataTypes.sol";

/// @title IEscrowGovernance
/// @notice What the owner (a multisig in production, two-step ownership transfer) may change, and the hard bounds
/// it can never leave. Nothing here can move, freeze or redirect escrowed money: the fee and both time windows are
/// snapshotted into each rental's terms at open, and pausing stops only *new* rentals. The dispute module, the one
/// contract that can freeze and resolve rentals, is fixed before the first token is allowed, so before any deposit.
interface IEscrowGovernance {
    event FeeUpdated(uint16 oldFeeBps, uint16 newFeeBps);
    event TreasuryUpdated(address oldTreasury, address newTreasury);
    event WindowsUpdated(uint32 challengeWindow, uint32 gracePeriod);
    event TokenAllowed(address indexed token, bool allowed);
    event PausedSet(bool paused);
    event DisputeModuleSet(address module);

    /// @notice Hard cap on the protocol fee: 15 %.
    /// @return The cap, in basis points (1500).
    function MAX_FEE_BPS() external view returns (uint16);

    /// @notice The parameters new rentals snapshot (fee, challenge window, grace period), the pause flag and the
    /// token allowlist bitmap.
    /// @return The current configuration.
    function config() external view returns (Config memory);

    /// @notice Where fees are credited when collected.
    /// @return The treasury's address.
    function treasury() external view returns (address);

    /// @notice Whether offers and rentals may use `token` (address(0) is the native coin).
    /// @param token The token.
    /// @return Whether it is allowed now.
    function tokenAllowed(address token) external view returns (bool);

    /// @notice Sets the fee for rentals opened from now on.
    /// @dev Requirements: owner; `feeBps` ≤ MAX_FEE_BPS (`GpuEscrow_FeeTooHigh`).
    /// @param feeBps The fee, in basis points of the cost.
    function setFee(uint16 feeBps) external;

    /// @notice Sets where fees are credited from now on. Fees already credited stay with the old treasury.
    /// @dev Requirements: owner; non-zero address (`GpuEscrow_ZeroTreasury`, also the constructor's).
    /// @param treasury The new treasury.
    function setTreasury(address treasury) external;

    /// @notice Sets the challenge window and the attestation grace period for rentals opened from now on.
    /// @dev Requirements: owner; 5 min ≤ challengeWindow ≤ 7 days (`GpuEscrow_ChallengeWindowOutOfBounds`);
    /// challengeWindow < gracePeriod ≤ 30 days (`GpuEscrow_GracePeriodOutOfBounds`).
    /// @param challengeWindow Seconds after a rental's end during which only the renter may settle it.
    /// @param gracePeriod Seconds after a rental's end by which it must be settled; after them, `refund` applies.
    function setWindows(uint32 challengeWindow, uint32 gracePeriod) external;

    /// @notice Sets the dispute module (`IDisputeModule`): the contract that holds provider bonds and may freeze and
    /// resolve rentals under dispute. Once only, and only before any token was ever allowed.
    /// @dev Requirements: owner; non-zero (`GpuEscrow_ZeroAddress`); not set before and no token allowed yet
    /// (`GpuEscrow_DisputeModuleFixed`).
    /// @param module The dispute module.
    function setDisputeModule(address module) external;

    /// @notice The dispute module (zero until set).
    /// @return The module's address.
    function disputeModule() external view returns (address);

    /// @notice Allows or refuses a token for new offers and new rentals. Running rentals are unaffected.
    /// @dev Requirements: owner; the dispute module is set (`GpuEscrow_NoDisputeModule`); at most 168 distinct
    /// tokens are ever allowed (`GpuEscrow_TooManyTokens`).
    /// @param token The token (address(0): the native coin).
    /// @param allowed Whether new offers and rentals may use it.
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Pauses or resumes the opening of new rentals. Everything else keeps working while paused.
    /// @dev Requirements: owner.
    /// @param paused True to pause, false to resume.
    function setPaused(bool paused) external;
}
