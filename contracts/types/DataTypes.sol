// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A registered provider. The provider account is the identity; earnings are paid to `payout`; `attester`
/// is the default attester key for offers it creates (each offer may have its own, e.g. one per host).
struct Provider {
    address attester;
    bool registered;
    address payout;
    string endpoint;
}

/// @notice An offer as stored. Only the price (for rentals opened afterwards), the capacity and the attester may
/// change after creation; everything that identifies the hardware is fixed.
/// @dev Slots 0 and 1 are what `open` reads; settlement reads none of them (the terms carry what it needs). The GPU
/// model and region strings are in `OfferCreated`; storage keeps their keccak256 hashes.
struct Offer {
    // slot 0
    address attester;
    uint24 minDuration;
    uint32 maxDuration;
    uint8 tokenId;
    uint16 capacity;
    uint16 slaBps;
    // slot 1
    address token;
    uint96 pricePerHour;
    // slot 2
    bytes32 gpuModelHash;
    // slot 3
    address provider;
    uint16 vramGiB;
    uint16 gpuCount;
    bool spot;
    bool retired;
    // slot 4
    bytes32 regionHash;
}

/// @notice Per-offer counters, one slot written once by each open and each settlement: the provider's accrued
/// earnings (`net`), the fees they carry for the treasury, the rentals in use, and the offer's record (rentals
/// settled, wall-clock seconds rented, attested seconds up).
/// @dev `net` and `fees` are flushed to the payout address's and the treasury's credit when an accrual would
/// overflow them; the record counters saturate at their maximum (uint40 seconds: 34,000 GPU-years).
/// `standing` is set at creation and never cleared, so the slot is never zero and no accrual pays for a fresh write;
/// the dispute module suspends the offer (no new rentals) while its provider's bond is below the minimum.
struct OfferAccount {
    uint64 net;
    uint64 fees;
    uint16 activeRentals;
    uint24 completed;
    uint40 secondsRented;
    uint40 secondsUp;
    OfferStanding standing;
}

/// @notice Whether an offer takes new rentals as far as its provider's bond goes (`None`: no such offer).
enum OfferStanding {
    None,
    Listed,
    /// The provider's bond in the offer's token is below the dispute module's minimum: no new rentals.
    Suspended
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
/// @dev Fee, SLA, time windows and the offer's attester are snapshotted at open: neither governance nor the
/// provider can change a running rental's rules. The offer's GPU model is not repeated here: attestations carry the
/// model they measured, and one that differs from the offer's is evidence for `IDisputeModule.proveWrongGpu`.
struct RentalTerms {
    address renter;
    uint64 offerId;
    address token;
    uint96 pricePerHour;
    address attester;
    uint40 startedAt;
    uint16 feeBps;
    uint16 slaBps;
    uint32 challengeWindow;
    uint32 gracePeriod;
    bytes32 salt;
}

/// @notice Lifecycle of a rental's mutable state. `None` means never opened or already closed (the slot is deleted).
enum RentalStatus {
    None,
    Active,
    /// Under a subjective dispute: nothing moves its money until the dispute module resolves it.
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

/// @notice A usage attestation as submitted on-chain. `rentalId` is not repeated: the contract derives it from the
/// rental's terms when it rebuilds the EIP-712 digest.
struct Usage {
    uint64 seq;
    uint64 periodEnd;
    uint64 uptimeSeconds;
    bytes32 gpuModelHash;
    bytes32 gpuUuidsHash;
    uint64 energyJoules;
    uint16 avgUtilBps;
}

/// @notice What `open` reads from governance, one storage slot. Changes never reach rentals already open.
/// `allowedTokens` is a bitmap over token ids (bit i set: the token with id i is allowed).
struct Config {
    uint16 feeBps;
    uint32 challengeWindow;
    uint32 gracePeriod;
    bool paused;
    uint168 allowedTokens;
}

/// @notice Live view of a rental, computed from its terms and state (`RentalQuote.quote`): seconds elapsed, the most
/// the renter can owe so far (accrued at full uptime), what checkpoints took out of the deposit, the remaining
/// deposit at that bound, when it ends, and whether it has ended.
struct Quote {
    uint64 elapsed;
    uint256 accruedMax;
    uint256 paid;
    uint256 remaining;
    uint64 endsAt;
    bool ended;
}
