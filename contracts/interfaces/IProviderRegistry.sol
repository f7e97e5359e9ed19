// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Provider} from "../types/DataTypes.sol";

/// @title IProviderRegistry
/// @notice GPU providers. The calling account is the provider's identity; it names where earnings are paid, which
/// key signs its usage attestations, and where its oracle answers.
interface IProviderRegistry {
    event ProviderRegistered(address indexed provider, address payout, address attester, string endpoint);
    event PayoutUpdated(address indexed provider, address payout);
    event AttesterUpdated(address indexed provider, address attester);
    event EndpointUpdated(address indexed provider, string endpoint);

    /// @notice Registers the caller as a provider.
    /// @dev Requirements: not yet registered (`GpuEscrow_ProviderAlreadyRegistered`); non-zero payout and attester
    /// (`GpuEscrow_ZeroAddress`); endpoint at most 256 bytes (`GpuEscrow_EndpointTooLong`).
    /// @param payout Receives the provider's withdrawn earnings.
    /// @param attester Default attester of the offers it creates: an EOA, or a contract wallet answering ERC-1271.
    /// @param endpoint Base URL of the provider's oracle (keepers and renters fetch attestations there).
    function registerProvider(address payout, address attester, string calldata endpoint) external;

    /// @notice Changes the payout address. Applies to withdrawals made from now on.
    /// @dev Requirements: caller registered (`GpuEscrow_ProviderNotRegistered`); non-zero payout
    /// (`GpuEscrow_ZeroAddress`).
    /// @param payout Receives the provider's claimed earnings from now on.
    function setPayout(address payout) external;

    /// @notice Changes the default attester for offers created from now on. Existing offers keep theirs (see
    /// `IOfferBook.setOfferAttester`); running rentals keep the attester they opened with.
    /// @dev Requirements: caller registered (`GpuEscrow_ProviderNotRegistered`); non-zero attester
    /// (`GpuEscrow_ZeroAddress`).
    /// @param attester The new default attester: an EOA, or a contract wallet answering ERC-1271.
    function setAttester(address attester) external;

    /// @notice Changes the oracle endpoint URL.
    /// @dev Requirements: caller registered (`GpuEscrow_ProviderNotRegistered`); at most 256 bytes
    /// (`GpuEscrow_EndpointTooLong`).
    /// @param endpoint Base URL of the provider's oracle.
    function setEndpoint(string calldata endpoint) external;

    /// @notice A provider's registration (attester, registered, payout, endpoint).
    /// @param account The provider.
    /// @return The registration; all zero (registered false) for an account that never registered.
    function provider(address account) external view returns (Provider memory);
}
