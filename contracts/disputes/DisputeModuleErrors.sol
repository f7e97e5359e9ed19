// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalStatus} from "../types/DataTypes.sol";

/// @title DisputeModuleErrors
/// @notice Every revert of the dispute module, named `DisputeModule_Condition(args)` with the values that explain it.
library DisputeModuleErrors {
    /*//////////////////////////////////////////////////////////////
                                 SETUP
    //////////////////////////////////////////////////////////////*/

    error DisputeModule_ZeroAddress();
    error DisputeModule_InvalidRulingPeriod(uint256 rulingPeriod);
    error DisputeModule_UnbondingDelayTooShort(uint256 unbondingDelay, uint256 min);
    error DisputeModule_NotEscrow(address caller);
    error DisputeModule_NotArbitrator(address caller);

    /*//////////////////////////////////////////////////////////////
                                 BONDS
    //////////////////////////////////////////////////////////////*/

    error DisputeModule_ZeroAmount();
    error DisputeModule_BondBelowMinimum(address provider, address token, uint256 bonded, uint256 minBond);
    error DisputeModule_InsufficientBond(address provider, address token, uint256 requested, uint256 available);
    error DisputeModule_BondInUse(uint64 offerId);
    error DisputeModule_NothingUnbonding(address provider, address token);
    error DisputeModule_UnbondingNotDue(uint256 unbondableAt);
    error DisputeModule_BondAtStake(address provider, address token, uint256 openDisputes);
    error DisputeModule_InsufficientCredit(address account, address token, uint256 requested, uint256 available);

    /*//////////////////////////////////////////////////////////////
                                DISPUTES
    //////////////////////////////////////////////////////////////*/

    error DisputeModule_RentalNotLive(bytes32 rentalId, RentalStatus status);
    error DisputeModule_NotParty(bytes32 rentalId, address caller);
    error DisputeModule_DisputeWindowClosed(bytes32 rentalId, uint256 closedAt);
    error DisputeModule_ValueMismatch(uint256 expected, uint256 received);
    error DisputeModule_DisputeBondTooLarge(uint256 amount, uint256 max);
    error DisputeModule_NoDispute(bytes32 rentalId);
    error DisputeModule_UnknownArbitratorDispute(uint256 disputeID);
    error DisputeModule_AlreadyRuled(bytes32 rentalId);
    error DisputeModule_RulingOutOfRange(uint256 ruling, uint256 choices);
    error DisputeModule_RulingAfterDeadline(bytes32 rentalId, uint256 deadline);
    error DisputeModule_RulingPending(bytes32 rentalId, uint256 deadline);
    error DisputeModule_InvalidSignature(bytes32 rentalId, address attester);
    error DisputeModule_NotContradictory(bytes32 rentalId);
    error DisputeModule_GpuModelMatches(bytes32 rentalId, bytes32 gpuModelHash);

    /*//////////////////////////////////////////////////////////////
                                RATINGS
    //////////////////////////////////////////////////////////////*/

    error DisputeModule_NotRenter(bytes32 rentalId, address caller);
    error DisputeModule_InvalidScore(uint8 score);
    error DisputeModule_RentalNotClosed(bytes32 rentalId);
    error DisputeModule_AlreadyRated(bytes32 rentalId);
    error DisputeModule_NoFallback(bytes32 rentalId);
    error DisputeModule_FallbackNeedsAttestation(bytes32 rentalId, uint256 refundableAt);
}
