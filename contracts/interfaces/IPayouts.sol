// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICreditLedger} from "./ICreditLedger.sol";

/// @title IPayouts
/// @notice Money held in the escrow for its owners. Provider earnings accrue per offer at each settlement and
/// checkpoint, together with the fee they carry (one storage write instead of transfers per rental; see
/// `IOfferBook.offerAccount`). A renter's refund is pushed at settlement and lands in the renter's credit only if
/// the transfer failed (blacklisted or reverting receiver); the treasury's fees are its credit too
/// (`ICreditLedger`: `credit`, `withdraw`, `withdrawTo`). Nobody but the owner of a balance can move it.
interface IPayouts is ICreditLedger {
    event EarningsClaimed(
        uint64 indexed offerId, address indexed provider, address token, address payout, uint256 net, uint256 fees
    );
    event FeesCollected(uint64 indexed offerId, address indexed token, uint256 fees);

    /// @notice Pays an offer's accrued net earnings to its provider's payout address and credits the fees they
    /// carry to the treasury. Earnings flushed to the payout address's credit (an accrual that would have
    /// overflowed the offer's counters) are paid with them, so a claim always finds everything earned.
    /// @dev Requirements: offer exists (`GpuEscrow_OfferNotFound`); caller is its provider
    /// (`GpuEscrow_NotOfferProvider`); something accrued (`GpuEscrow_NothingToClaim`). Reverts if the transfer to
    /// the payout address fails (`GpuEscrow_NativeTransferFailed` for the native coin).
    /// @param offerId The offer.
    function claimEarnings(uint64 offerId) external;

    /// @notice Credits the fees accrued on `offerIds` to the treasury. Anyone may call it.
    /// @dev Requirements: every offer exists (`GpuEscrow_OfferNotFound`).
    /// @param offerIds The offers, in any order (repeats credit nothing more).
    function collectFees(uint64[] calldata offerIds) external;
}
