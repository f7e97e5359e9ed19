// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IPayouts} from "../interfaces/IPayouts.sol";
import {Errors} from "../libraries/Errors.sol";
import {TokenTransfer} from "../libraries/TokenTransfer.sol";
import {Offer, OfferAccount} from "../types/DataTypes.sol";
import {OfferBook} from "./OfferBook.sol";

/// @title Payouts
/// @notice Balances held for their owners: per-offer earnings (with the fees they carry) and credits.
/// See {IPayouts}.
abstract contract Payouts is OfferBook, ReentrancyGuardTransient, IPayouts {
    mapping(address account => mapping(address token => uint256)) internal _credit;

    function credit(address account, address token) external view override returns (uint256) {
        return _credit[account][token];
    }

    function withdraw(address token, uint256 amount) external override nonReentrant {
        _withdraw(token, msg.sender, amount);
    }

    function withdrawTo(address token, address to, uint256 amount) external override nonReentrant {
        if (to == address(0)) revert Errors.GpuEscrow_ZeroAddress();
        _withdraw(token, to, amount);
    }

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

    function _withdraw(address token, address to, uint256 amount) private {
        uint256 available = _credit[msg.sender][token];
        if (amount > available) revert Errors.GpuEscrow_InsufficientCredit(msg.sender, token, amount, available);
        // amount ≤ available was checked just above.
        unchecked {
            _credit[msg.sender][token] = available - amount;
        }
        emit Withdrawn(msg.sender, token, to, amount);
        TokenTransfer.push(token, to, amount);
    }

    /// @dev Pays `amount` to `to`, or credits it to `to` when the transfer fails.
    function _payOrCredit(address token, address to, uint256 amount) internal {
        if (amount == 0 || TokenTransfer.tryPush(token, to, amount)) return;
        _credit[to][token] += amount;
        emit Credited(to, token, amount);
    }
}
