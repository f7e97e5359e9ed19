// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A registered provider. The provider account is the identity; earnings are paid to `payout` and usage
/// attestations must be signed by `attester` (an EOA or an ERC-1271 contract wallet).
struct Provider {
    address attester;
    bool registered;
    address payout;
    string endpoint;
}

/// @notice An offer as stored. Only `pricePerHour` and `capacity` may change after creation; everything that
/// identifies the hardware is fixed, so a rental's terms never drift from what the renter saw.
/// @dev Slot 0 is everything `open` and settlement read; slot 1 the token and price.
struct Offer {
    // slot 0
    address provider;
    uint32 minDuration;
    uint32 maxDuration;
    uint16 capacity;
    uint16 activeRentals;
    // slot 1
    address token;
    uint96 pricePerHour;
    // slot 2
    bytes32 gpuModelHash;
    // slot 3
    uint16 slaBps;
    uint16 vramGiB;
    uint16 gpuCount;
    bool spot;
    bool retired;
    // slots 4+
    string gpuModel;
    string region;
}

/// @notice What a provider passes to create an offer.
struct OfferParams {
    string gpuModel;
    uint16 vramGiB;
    uint16 gpuCount;
    address token;
    uint96 pricePerHour;
    uint32 minDuration;
    uint32 maxDuration;
    bool spot;
    uint16 slaBps;
    string region;
    uint16 capacity;
}

/// @notice The immutable terms of a rental. They are never stored: `rentalId = keccak256(abi.encode(terms))`, and
/// every call on a rental passes them back in calldata (emitted in full by `RentalOpened`).
/// @dev Fee and time windows are snapshotted at open so governance can never change a running rental.
struct RentalTerms {
    address renter;
    uint64 offerId;
    address token;
    uint96 pricePerHour;
    bytes32 gpuModelHash;
    uint40 startedAt;
    uint16 feeBps;
    uint32 challengeWindow;
    uint32 gracePeriod;
    bytes32 salt;
}

/// @notice Lifecycle of a rental's mutable state. `None` means never opened or already closed (the slot is deleted).
enum RentalStatus {
    None,
    Active,
    Frozen
}

/// @notice The mutable state of a rental, one storage slot.
struct RentalState {
    /// Total deposited by the renter, top-ups included.
    uint96 deposit;
    /// Seconds already paid to the provider through checkpoints (cumulative).
    uint32 paidSeconds;
    /// Highest attestation `seq` accepted on-chain (0: none yet).
    uint64 lastSeq;
    /// When the renter stopped or the provider terminated (0: still running).
    uint40 stoppedAt;
    RentalStatus status;
}

/// @notice What a renter passes to open a rental.
/// @param offerId The offer to rent.
/// @param deposit Amount escrowed, in token base units. The rental runs until stopped or until this is used up;
/// a fixed-duration rental is one whose deposit is `quoteDeposit(offerId, seconds)`.
/// @param salt Any value the renter chooses; it makes the rental id unique.
struct OpenParams {
    uint64 offerId;
    uint96 deposit;
    bytes32 salt;
}

/// @notice A usage attestation as submitted on-chain. `rentalId` and `gpuModelHash` are not repeated: the contract
/// takes them from the rental's terms when it rebuilds the EIP-712 digest.
struct Usage {
    uint64 seq;
    uint64 periodEnd;
    uint64 uptimeSeconds;
    bytes32 gpuUuidsHash;
    uint64 energyJoules;
    uint16 avgUtilBps;
}

/// @notice Live view of a rental.
struct Quote {
    uint64 elapsed;
    uint256 accruedMax;
    uint256 paid;
    uint256 remaining;
    uint64 endsAt;
    bool ended;
}

/// @notice Settlement-wide parameters, one storage slot. Changes never reach rentals already open.
struct Config {
    address treasury;
    uint16 feeBps;
    uint32 challengeWindow;
    uint32 gracePeriod;
    bool paused;
}

/// @notice A provider's accrued earnings in one token: `net` is the provider's, `fees` the treasury's share still
/// held for it. One slot so a settlement writes once.
struct Earnings {
    uint128 net;
    uint128 fees;
}
