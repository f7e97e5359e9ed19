// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IEscrowGovernance} from "./IEscrowGovernance.sol";
import {IOfferBook} from "./IOfferBook.sol";
import {IPayouts} from "./IPayouts.sol";
import {IProviderRegistry} from "./IProviderRegistry.sol";
import {IRentals} from "./IRentals.sol";

/// @title IGpuEscrow
/// @notice The whole escrow: providers, offers, rentals, payouts and governance. Not upgradeable.
interface IGpuEscrow is IEscrowGovernance, IProviderRegistry, IOfferBook, IPayouts, IRentals {}
