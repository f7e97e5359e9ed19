// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeHooks} from "../interfaces/IDisputeHooks.sol";
import {IOfferBook} from "../interfaces/IOfferBook.sol";
import {Billing} from "../libraries/Billing.sol";
import {Errors} from "../libraries/Errors.sol";
import {Offer, OfferAccount, OfferParams, OfferStanding} from "../types/DataTypes.sol";
import {EscrowGovernance} from "./EscrowGovernance.sol";
import {ProviderRegistry} from "./ProviderRegistry.sol";

/// @title OfferBook
/// @notice Offers and their capacity. See {IOfferBook}.
abstract contract OfferBook is EscrowGovernance, ProviderRegistry, IOfferBook {
    uint256 internal constant MAX_LABEL_LENGTH = 64;
    uint16 internal constant MAX_SLA_BPS = 10_000;

    mapping(uint64 offerId => Offer) internal _offers;
    mapping(uint64 offerId => OfferAccount) internal _accounts;
    uint64 internal _offerCount;

    function createOffer(OfferParams calldata p) external override returns (uint64 offerId) {
        _requireRegistered(msg.sender);
        uint8 tokenId = _allowedTokenId(p.token);
        if (p.pricePerHour == 0) revert Errors.GpuEscrow_ZeroPrice();
        if (p.minDuration == 0 || p.minDuration > p.maxDuration || p.minDuration > type(uint24).max) {
            revert Errors.GpuEscrow_InvalidDurationBounds(p.minDuration, p.maxDuration);
        }
        if (p.slaBps > MAX_SLA_BPS) revert Errors.GpuEscrow_InvalidSla(p.slaBps);
        if (bytes(p.gpuModel).length == 0 || p.gpuCount == 0) revert Errors.GpuEscrow_InvalidGpuSpec();
        _checkLabel(p.gpuModel);
        _checkLabel(p.region);
        offerId = ++_offerCount;
        // The module checks the provider's bond (reverting below its minimum) and lists the offer under it.
        IDisputeHooks(_disputeModule).onOfferCreated(msg.sender, p.token, offerId);
        bytes32 gpuModelHash = keccak256(bytes(p.gpuModel));
        address attester = _providers[msg.sender].attester;
        _offers[offerId] = Offer({
            attester: attester,
            minDuration: uint24(p.minDuration),
            maxDuration: p.maxDuration,
            tokenId: tokenId,
            capacity: p.capacity,
            slaBps: p.slaBps,
            token: p.token,
            pricePerHour: p.pricePerHour,
            gpuModelHash: gpuModelHash,
            provider: msg.sender,
            vramGiB: p.vramGiB,
            gpuCount: p.gpuCount,
            spot: p.spot,
            retired: false,
            regionHash: keccak256(bytes(p.region))
        });
        _accounts[offerId].standing = OfferStanding.Listed;
        emit OfferCreated(offerId, msg.sender, p, gpuModelHash, attester);
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

    function setOfferAttester(uint64 offerId, address attester) external override {
        if (attester == address(0)) revert Errors.GpuEscrow_ZeroAddress();
        _ownedLiveOffer(offerId).attester = attester;
        emit OfferAttesterUpdated(offerId, attester);
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

    function offerAccount(uint64 offerId) external view override returns (OfferAccount memory) {
        _existingOffer(offerId);
        return _accounts[offerId];
    }

    function offerCount() external view override returns (uint64) {
        return _offerCount;
    }

    function quoteDeposit(uint64 offerId, uint32 seconds_) external view override returns (uint256) {
        return Billing.cost(_existingOffer(offerId).pricePerHour, seconds_);
    }

    function _existingOffer(uint64 offerId) internal view returns (Offer storage o) {
        o = _offers[offerId];
        if (o.attester == address(0)) revert Errors.GpuEscrow_OfferNotFound(offerId);
    }

    function _ownedLiveOffer(uint64 offerId) internal view returns (Offer storage o) {
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
