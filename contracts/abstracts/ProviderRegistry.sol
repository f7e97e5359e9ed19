// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";
import {Errors} from "../libraries/Errors.sol";
import {Provider} from "../types/DataTypes.sol";

/// @title ProviderRegistry
/// @notice Provider accounts, their payout address, attester key and oracle endpoint. See {IProviderRegistry}.
abstract contract ProviderRegistry is IProviderRegistry {
    uint256 internal constant MAX_ENDPOINT_LENGTH = 256;

    mapping(address account => Provider) internal _providers;

    function registerProvider(address payout, address attester, string calldata endpoint) external override {
        if (_providers[msg.sender].registered) revert Errors.GpuEscrow_ProviderAlreadyRegistered(msg.sender);
        if (payout == address(0) || attester == address(0)) revert Errors.GpuEscrow_ZeroAddress();
        _checkEndpoint(endpoint);
        _providers[msg.sender] = Provider({attester: attester, registered: true, payout: payout, endpoint: endpoint});
        emit ProviderRegistered(msg.sender, payout, attester, endpoint);
    }

    function setPayout(address payout) external override {
        _requireRegistered(msg.sender);
        if (payout == address(0)) revert Errors.GpuEscrow_ZeroAddress();
        _providers[msg.sender].payout = payout;
        emit PayoutUpdated(msg.sender, payout);
    }

    function setAttester(address attester) external override {
        _requireRegistered(msg.sender);
        if (attester == address(0)) revert Errors.GpuEscrow_ZeroAddress();
        _providers[msg.sender].attester = attester;
        emit AttesterUpdated(msg.sender, attester);
    }

    function setEndpoint(string calldata endpoint) external override {
        _requireRegistered(msg.sender);
        _checkEndpoint(endpoint);
        _providers[msg.sender].endpoint = endpoint;
        emit EndpointUpdated(msg.sender, endpoint);
    }

    function provider(address account) external view override returns (Provider memory) {
        return _providers[account];
    }

    function _requireRegistered(address account) internal view {
        if (!_providers[account].registered) revert Errors.GpuEscrow_ProviderNotRegistered(account);
    }

    function _checkEndpoint(string calldata endpoint) private pure {
        if (bytes(endpoint).length > MAX_ENDPOINT_LENGTH) {
            revert Errors.GpuEscrow_EndpointTooLong(bytes(endpoint).length, MAX_ENDPOINT_LENGTH);
        }
    }
}
