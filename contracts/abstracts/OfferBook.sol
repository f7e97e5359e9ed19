// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOfferBook} from "../interfaces/IOfferBook.sol";
import {Billing} from "../libraries/Billing.sol";
import {Errors} from "../libraries/Errors.sol";
import {Offer, OfferParams} from "../types/DataTypes.sol";
import {EscrowGovernance} from "./EscrowGovernance.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title OfferBook
/// @notice Offers and their capacity. See {IOfferBook}.
abstract contract OfferBook is EscrowGovernance, ProviderRegistry, IOfferBook {
    uint256 internal constant MAX_LABEL_LENGTH = 64;
    uint16 internal constant MAX_SLA_BPS = 10_000;

    mapping(uint64 offerId => Offer) internal _offers;
    uint64 internal _offerCount;

    function createOffer(OfferParams calldata p) external override returns (uint64 offerId) {
        _requireRegistered(msg.sender);
        if (!_tokenAllowed[p.token]) revert Errors.GpuEscrow_TokenNotAllowed(p.token);
        if (p.pricePerHour == 0) revert Errors.GpuEscrow_ZeroPrice();
        if (p.minDuration == 0 || p.minDuration > p.maxDuration) {
            revert Errors.GpuEscrow_InvalidDurationBounds(p.minDuration, p.maxDuration);
        }
        if (p.slaBps > MAX_SLA_BPS) revert Errors.GpuEscrow_InvalidSla(p.slaBps);
        if (bytes(p.gpuModel).length == 0 || p.gpuCount == 0) revert Errors.GpuEscrow_InvalidGpuSpec();
        _checkLabel(p.gpuModel);
        _checkLabel(p.region);

        offerId = ++_offerCount;
        bytes32 gpuModelHash = keccak256(bytes(p.gpuModel));
        _offers[offerId] = Offer({
            provider: msg.sender,
            minDuration: p.minDuration,
            maxDuration: p.maxDuration,
            capacity: p.capacity,
            activeRentals: 0,
            token: p.token,
            pricePerHour: p.pricePerHour,
            gpuModelHash: gpuModelHash,
            slaBps: p.slaBps,
            vramGiB: p.vramGiB,
            gpuCount: p.gpuCount,
            spot: p.spot,
            retired: false,
            gpuModel: p.gpuModel,
            region: p.region
        });
        emit OfferCreated(offerId, msg.sender, p, gpuModelHash);
    }

    function updatePrice(uint64 offerId, uint96 pricePerHour) external override {
        Offer storage o = _ownedLiveOffer(offerId);
        if (pricePerHour == 0) revert Errors.GpuEscrow_ZeroPrice();
        o.pricePerHour = pricePerHour;
        emit OfferPriceUpdated(offerId, pricePerHour);
    }

    function setCapacity(uint64 offerId, uint16 capacity) external override {
        _ownedLiveOffer(offerId).capacity = capacity;
        emit OfferCapacityUpdated(offerId, capacity);
    }

    function retireOffer(uint64 offerId) external override {
        Offer storage o = _ownedLiveOffer(offerId);
        o.retired = true;
        o.capacity = 0;
        emit OfferRetired(offerId);
    }

    function offer(uint64 offerId) external view override returns (Offer memory) {
        return _existingOffer(offerId);
    }

    function offerCount() external view override returns (uint64) {
        return _offerCount;
    }

    function quoteDeposit(uint64 offerId, uint32 seconds_) external view override returns (uint256) {
        return Billing.cost(_existingOffer(offerId).pricePerHour, seconds_);
    }

    function _existingOffer(uint64 offerId) internal view returns (Offer storage o) {
        o = _offers[offerId];
        if (o.provider == address(0)) revert Errors.GpuEscrow_OfferNotFound(offerId);
    }

    function _ownedLiveOffer(uint64 offerId) private view returns (Offer storage o) {
        o = _existingOffer(offerId);
        if (o.provider != msg.sender) revert Errors.GpuEscrow_NotOfferProvider(offerId, msg.sender);
        if (o.retired) revert Errors.GpuEscrow_OfferRetired(offerId);
    }

    function _checkLabel(string calldata label) private pure {
        if (bytes(label).length > MAX_LABEL_LENGTH) {
            revert Errors.GpuEscrow_StringTooLong(bytes(label).length, MAX_LABEL_LENGTH);
        }
    }
}
