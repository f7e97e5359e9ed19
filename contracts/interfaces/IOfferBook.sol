// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Offer, OfferAccount, OfferParams} from "../types/DataTypes.sol";

/// @title IOfferBook
/// @notice Offers published by providers. What identifies the hardware (GPU model, VRAM, count, token, duration
/// bounds, spot flag, SLA, region) is fixed at creation; only the price (for rentals opened afterwards), the
/// capacity and the attester may change. A retired offer accepts no new rentals, for good; running rentals are
/// unaffected. Each offer has its own attester key (by default the provider's), typically one per host.
interface IOfferBook {
    event OfferCreated(
        uint64 indexed offerId, address indexed provider, OfferParams params, bytes32 gpuModelHash, address attester
    );
    event OfferAttesterUpdated(uint64 indexed offerId, address attester);
    event OfferPriceUpdated(uint64 indexed offerId, uint96 pricePerHour);
    event OfferCapacityUpdated(uint64 indexed offerId, uint16 capacity);
    event OfferRetired(uint64 indexed offerId);
    /// @notice The dispute module suspended (or reinstated) the offer because its provider's bond in the offer's
    /// token fell below (or is back at) the module's minimum.
    event OfferSuspended(uint64 indexed offerId, bool suspended);

    /// @notice Publishes an offer. `gpuModelHash` = keccak256(bytes(gpuModel)) must equal what the provider's oracle
    /// signs (the NVML device name, e.g. "NVIDIA H100 80GB HBM3").
    /// @dev Requirements: caller registered (`GpuEscrow_ProviderNotRegistered`); token allowed
    /// (`GpuEscrow_TokenNotAllowed`); price > 0 (`GpuEscrow_ZeroPrice`); 0 < minDuration ≤ maxDuration
    /// (`GpuEscrow_InvalidDurationBounds`), minDuration at most 2^24 − 1 seconds (194 days); slaBps ≤ 10 000
    /// (`GpuEscrow_InvalidSla`); non-empty model, gpuCount > 0 (`GpuEscrow_InvalidGpuSpec`); model and region at
    /// most 64 bytes (`GpuEscrow_StringTooLong`); the caller's bond in the offer's token, not counting what it is
    /// unbonding, is at least the dispute module's minimum (`DisputeModule_BondBelowMinimum`).
    /// @param params The offer: GPU model, VRAM, GPU count, token, hourly price, duration bounds, capacity, spot
    /// flag, SLA and region.
    /// @return offerId Sequential, starting at 1.
    function createOffer(OfferParams calldata params) external returns (uint64 offerId);

    /// @notice Sets the hourly price for rentals opened from now on. Running rentals keep the price they opened at.
    /// @dev Requirements: offer exists (`GpuEscrow_OfferNotFound`); caller is its provider
    /// (`GpuEscrow_NotOfferProvider`); offer not retired (`GpuEscrow_OfferRetired`); price > 0 (`GpuEscrow_ZeroPrice`).
    /// @param offerId The offer.
    /// @param pricePerHour The new price, in the offer token's base units per hour.
    function updatePrice(uint64 offerId, uint96 pricePerHour) external;

    /// @notice Sets how many rentals may run on the offer at once. Zero closes the offer to new rentals without
    /// retiring it. Lowering below the running count stops only new rentals.
    /// @dev Requirements: offer exists (`GpuEscrow_OfferNotFound`); caller is its provider
    /// (`GpuEscrow_NotOfferProvider`); offer not retired (`GpuEscrow_OfferRetired`).
    /// @param offerId The offer.
    /// @param capacity How many of its rentals may be open at once.
    function setCapacity(uint64 offerId, uint16 capacity) external;

    /// @notice Sets the key that signs usage attestations for rentals opened from now on. Running rentals keep the
    /// attester they opened with (it is part of their terms).
    /// @dev Requirements: non-zero attester (`GpuEscrow_ZeroAddress`); offer exists (`GpuEscrow_OfferNotFound`);
    /// caller is its provider (`GpuEscrow_NotOfferProvider`); offer not retired (`GpuEscrow_OfferRetired`).
    /// @param offerId The offer.
    /// @param attester The new attester: an EOA, or a contract wallet answering ERC-1271.
    function setOfferAttester(uint64 offerId, address attester) external;

    /// @notice Retires the offer: capacity drops to zero and can never be raised again.
    /// @dev Requirements: offer exists (`GpuEscrow_OfferNotFound`); caller is its provider
    /// (`GpuEscrow_NotOfferProvider`); offer not already retired (`GpuEscrow_OfferRetired`).
    /// @param offerId The offer.
    function retireOffer(uint64 offerId) external;

    /// @notice Suspends an offer (no new rentals; running ones are unaffected) or reinstates it.
    /// @dev Requirements: caller is the dispute module (`GpuEscrow_NotDisputeModule`), which does it when the
    /// provider's bond in the offer's token is below its minimum (`IDisputeModule.syncOffer`); offer exists
    /// (`GpuEscrow_OfferNotFound`).
    /// @param offerId The offer.
    /// @param suspended True to suspend, false to reinstate.
    function setOfferSuspended(uint64 offerId, bool suspended) external;

    /// @notice The stored offer.
    /// @dev Requirements: offer exists (`GpuEscrow_OfferNotFound`).
    /// @param offerId The offer.
    /// @return The offer as stored (its GPU model and region as hashes).
    function offer(uint64 offerId) external view returns (Offer memory);

    /// @notice The offer's counters: accrued earnings and fees, rentals in use, and its record (rentals settled,
    /// seconds rented, seconds up) that `IDisputeModule.reputation` sums per provider.
    /// @dev Requirements: offer exists (`GpuEscrow_OfferNotFound`).
    /// @param offerId The offer.
    /// @return The offer's account.
    function offerAccount(uint64 offerId) external view returns (OfferAccount memory);

    /// @notice Number of offers ever created (ids run from 1 to this).
    /// @return The count.
    function offerCount() external view returns (uint64);

    /// @notice The deposit that pays for `seconds_` at the offer's current price: a fixed-duration rental.
    /// Notes: cost is rounded up to a whole base unit, so the deposit may pay for a little longer; with a price of
    /// at least 3600 base units per hour that is less than one second.
    /// @dev Requirements: offer exists (`GpuEscrow_OfferNotFound`).
    /// @param offerId The offer.
    /// @param seconds_ How long the rental should run.
    /// @return The deposit, in the offer token's base units.
    function quoteDeposit(uint64 offerId, uint32 seconds_) external view returns (uint256);
}
