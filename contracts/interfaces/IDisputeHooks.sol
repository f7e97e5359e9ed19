// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms} from "../types/DataTypes.sol";

/// @title IDisputeHooks
/// @notice What the escrow asks of its dispute module, which holds the providers' bonds. Neither call is on a
/// renter's path: offers are created rarely, and only the provider can terminate.
interface IDisputeHooks {
    /// @notice `provider` creates offer `offerId` in `token`: reverts unless its bond in `token`, not counting what
    /// is being unbonded, meets the minimum an offer requires; lists the offer under the provider.
    /// @dev Requirements: caller is the escrow (`DisputeModule_NotEscrow`); bond at least `minBond(token)`
    /// (`DisputeModule_BondBelowMinimum`).
    /// @param provider The offer's provider.
    /// @param token The offer's token.
    /// @param offerId The new offer's id.
    function onOfferCreated(address provider, address token, uint64 offerId) external;

    /// @notice The provider ended a running on-demand (non-spot) rental early. Counted against its reputation, with
    /// the module's termination penalty, a share of `elapsedCost`, paid to the renter out of the provider's bond.
    /// @dev Requirements: caller is the escrow (`DisputeModule_NotEscrow`).
    /// @param terms The rental's terms.
    /// @param provider The offer's provider, who terminated it.
    /// @param elapsedCost cost(seconds from the rental's start to the termination) at the rental's price: nothing
    /// the renter does (a top-up just before, say) changes it.
    function onTerminated(RentalTerms calldata terms, address provider, uint256 elapsedCost) external;
}
