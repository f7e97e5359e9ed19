// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Quote, RentalState, RentalTerms} from "../types/DataTypes.sol";
import {Billing} from "./Billing.sol";

/// @title RentalQuote
/// @notice When a rental ends and where it stands, from its terms and its state alone: no storage, so the escrow,
/// the dispute module, tests and off-chain readers (`protocol::billing::quote` in Rust, the dApp) compute the same
/// numbers from `rentalState` without a view on the escrow.
library RentalQuote {
    /// @notice The earliest of the stop/termination/freeze time (`stoppedAt`, 0: none) and the moment the deposit is
    /// used up (`startedAt + coveredSeconds(deposit)`).
    function endOf(uint256 startedAt, uint256 pricePerHour, uint256 deposit, uint256 stoppedAt)
        internal
        pure
        returns (uint256 end)
    {
        end = startedAt + Billing.coveredSeconds(pricePerHour, deposit);
        if (stoppedAt != 0 && stoppedAt < end) end = stoppedAt;
    }

    /// @notice The rental's live numbers at time `now_`.
    function quote(RentalTerms memory terms, RentalState memory s, uint256 now_)
        internal
        pure
        returns (Quote memory q)
    {
        uint256 end = endOf(terms.startedAt, terms.pricePerHour, s.deposit, s.stoppedAt);
        uint256 until = now_ < end ? now_ : end;
        uint256 elapsed = until > terms.startedAt ? until - terms.startedAt : 0;
        q.elapsed = uint64(elapsed);
        q.accruedMax = Billing.cost(terms.pricePerHour, elapsed);
        q.paid = Billing.paidOut(terms.pricePerHour, terms.feeBps, terms.slaBps, s.paidSeconds);
        q.remaining = s.deposit - q.accruedMax;
        q.endsAt = uint64(end);
        q.ended = now_ >= end;
    }
}
