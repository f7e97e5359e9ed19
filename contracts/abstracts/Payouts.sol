// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPayouts} from "../interfaces/IPayouts.sol";
import {Errors} from "../libraries/Errors.sol";
import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {Offer, OfferAccount} from "../types/DataTypes.sol";
import {CreditLedger} from "./CreditLedger.sol";
import {OfferBook} from "./OfferBook.sol";

/// @title Payouts
/// @notice Balances held for their owners: per-offer earnings (with the fees they carry) and credits (the
/// {CreditLedger} shared with the dispute module). See {IPayouts}.
abstract contract Payouts is OfferBook, CreditLedger, IPayouts {
    function claimEarnings(uint64 offerId) external override nonReentrant {
        Offer storage o = _existingOffer(offerId);
        if (o.provider != msg.sender) revert Errors.GpuEscrow_NotOfferProvider(offerId, msg.sender);
        OfferAccount storage a = _accounts[offerId];
        uint256 net = a.net;
        uint256 fees = a.fees;
        address token = o.token;
        address payout = _providers[msg.sender].payout;
        // Earnings `_accrue` flushed to the payout's credit are claimed with the offer's.
        uint256 flushed = _credit[payout][token];
        if (net == 0 && fees == 0 && flushed == 0) revert Errors.GpuEscrow_NothingToClaim(offerId);
        a.net = 0;
        a.fees = 0;
        if (flushed != 0) {
            _credit[payout][token] = 0;
            net += flushed;
        }
        _credit[_treasury][token] += fees;
        emit EarningsClaimed(offerId, msg.sender, token, payout, net, fees);
        if (net != 0) TokenTransfer.push(token, payout, net);
    }

    function collectFees(uint64[] calldata offerIds) external override nonReentrant {
        address treasury_ = _treasury;
        for (uint256 i; i < offerIds.length; ++i) {
            uint64 offerId = offerIds[i];
            address token = _existingOffer(offerId).token;
            uint256 fees = _accounts[offerId].fees;
            _accounts[offerId].fees = 0;
            _credit[treasury_][token] += fees;
            emit FeesCollected(offerId, token, fees);
        }
    }

    function _revertZeroAddress() internal pure override {
        revert Errors.GpuEscrow_ZeroAddress();
    }

    function _revertInsufficientCredit(address account, address token, uint256 requested, uint256 available)
        internal
        pure
        override
    {
        revert Errors.GpuEscrow_InsufficientCredit(account, token, requested, available);
    }
}
