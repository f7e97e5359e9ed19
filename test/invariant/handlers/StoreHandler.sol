// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {IGpuEscrowFull} from "../../utils/IGpuEscrowFull.sol";
import {RentalStore} from "../stores/RentalStore.sol";
import {BaseHandler} from "./BaseHandler.sol";

/// @notice A handler whose rentals are those of the shared `RentalStore` (the rental and dispute handlers act on the
/// same rentals and record what moved there).
abstract contract StoreHandler is BaseHandler {
    RentalStore internal immutable store;

    constructor(IGpuEscrowFull escrow_, RentalStore store_) BaseHandler(escrow_) {
        store = store_;
    }

    function _rentalCount() internal view override returns (uint256) {
        return store.count();
    }

    function _termsOf(uint256 i) internal view override returns (RentalTerms memory) {
        return store.get(i).terms;
    }

    function _isClosed(uint256 i) internal view override returns (bool) {
        return store.get(i).closed;
    }
}
