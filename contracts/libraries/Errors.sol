// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalStatus} from "../types/DataTypes.sol";

/// @title Errors
/// @notice Every revert of the escrow, named `Contract_Condition(args)` with the values that explain it.
library Errors {
    /*//////////////////////////////////////////////////////////////
                               GOVERNANCE
    //////////////////////////////////////////////////////////////*/

    error GpuEscrow_FeeTooHigh(uint256 feeBps, uint256 maxFeeBps);
    error GpuEscrow_ZeroTreasury();
    error GpuEscrow_ChallengeWindowOutOfBounds(uint256 challengeWindow, uint256 min, uint256 max);
    error GpuEscrow_GracePeriodOutOfBounds(uint256 gracePeriod, uint256 min, uint256 max);
    error GpuEscrow_Paused();
    error GpuEscrow_TooManyTokens(uint256 max);
    error GpuEscrow_DisputeModuleFixed();
    error GpuEscrow_NoDisputeModule();

    /*//////////////////////////////////////////////////////////////
                               PROVIDERS
    //////////////////////////////////////////////////////////////*/

    error GpuEscrow_ProviderAlreadyRegistered(address provider);
    error GpuEscrow_ProviderNotRegistered(address provider);
    error GpuEscrow_ZeroAddress();
    error GpuEscrow_EndpointTooLong(uint256 length, uint256 maxLength);

    /*//////////////////////////////////////////////////////////////
                                 OFFERS
    //////////////////////////////////////////////////////////////*/

    error GpuEscrow_OfferNotFound(uint64 offerId);
    error GpuEscrow_NotOfferProvider(uint64 offerId, address caller);
    error GpuEscrow_NothingToClaim(uint64 offerId);
    error GpuEscrow_OfferRetired(uint64 offerId);
    error GpuEscrow_OfferAtCapacity(uint64 offerId, uint16 capacity);
    error GpuEscrow_OfferSuspended(uint64 offerId);
    error GpuEscrow_TokenNotAllowed(address token);
    error GpuEscrow_ZeroPrice();
    error GpuEscrow_InvalidDurationBounds(uint32 minDuration, uint32 maxDuration);
    error GpuEscrow_InvalidSla(uint16 slaBps);
    error GpuEscrow_InvalidGpuSpec();
    error GpuEscrow_StringTooLong(uint256 length, uint256 maxLength);

    /*//////////////////////////////////////////////////////////////
                                RENTALS
    //////////////////////////////////////////////////////////////*/

    error GpuEscrow_RentalExists(bytes32 rentalId);
    error GpuEscrow_RentalNotActive(bytes32 rentalId, RentalStatus status);
    error GpuEscrow_RentalNotFrozen(bytes32 rentalId, RentalStatus status);
    error GpuEscrow_DurationOutOfBounds(uint64 offerId, uint256 seconds_, uint32 minDuration, uint32 maxDuration);
    error GpuEscrow_DepositTooLarge(uint256 deposit);
    error GpuEscrow_InvalidAccessKeyLength(uint256 length, uint256 max);
    error GpuEscrow_NotRenter(bytes32 rentalId, address caller);
    error GpuEscrow_NotProvider(bytes32 rentalId, address caller);
    error GpuEscrow_RentalEnded(bytes32 rentalId, uint256 endedAt);
    error GpuEscrow_RentalNotEnded(bytes32 rentalId, uint256 endsAt);
    error GpuEscrow_ChallengeWindowOpen(bytes32 rentalId, uint256 settleableAt);
    error GpuEscrow_SettlementDeadlinePassed(bytes32 rentalId, uint256 deadline);
    error GpuEscrow_RefundNotDue(bytes32 rentalId, uint256 refundableAt);
    error GpuEscrow_NativeValueMismatch(uint256 expected, uint256 received);
    error GpuEscrow_FeeOnTransferToken(address token, uint256 expected, uint256 received);
    error GpuEscrow_PermitOnNativeCoin(uint64 offerId);
    error GpuEscrow_EmptyBatch();
    error GpuEscrow_BatchLengthMismatch(uint256 terms, uint256 usages, uint256 signatures);
    error GpuEscrow_NotDisputeModule(address caller);

    /*//////////////////////////////////////////////////////////////
                              ATTESTATIONS
    //////////////////////////////////////////////////////////////*/

    error GpuEscrow_InvalidAttestationSignature(bytes32 rentalId, address attester);
    error GpuEscrow_StaleSeq(bytes32 rentalId, uint64 seq, uint64 lastSeq);
    error GpuEscrow_AttestationFromFuture(bytes32 rentalId, uint64 periodEnd, uint256 now_);
    error GpuEscrow_AttestationBeforeStart(bytes32 rentalId, uint64 periodEnd, uint40 startedAt);
    error GpuEscrow_UptimeExceedsElapsed(bytes32 rentalId, uint64 uptimeSeconds, uint256 elapsed);
    error GpuEscrow_UptimeDecreased(bytes32 rentalId, uint64 uptimeSeconds, uint32 paidSeconds);
    error GpuEscrow_AttestationNotFinal(bytes32 rentalId, uint64 periodEnd, uint256 endedAt);
    error GpuEscrow_AttestationInChallengeWindow(bytes32 rentalId, uint256 usableAt);

    /*//////////////////////////////////////////////////////////////
                                PAYOUTS
    //////////////////////////////////////////////////////////////*/

    error GpuEscrow_InsufficientCredit(address account, address token, uint256 requested, uint256 available);
    error GpuEscrow_NativeTransferFailed(address to, uint256 amount);
}
