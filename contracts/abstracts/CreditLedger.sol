// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ICreditLedger} from "../interfaces/ICreditLedger.sol";
import {TokenTransfer} from "../libraries/TokenTransfer.sol";

/// @title CreditLedger
/// @notice The pull-payment ledger of {ICreditLedger}, written once for the escrow and the dispute module: pay, or
/// credit when the push fails; withdraw a credit. Each contract names its errors through the two hooks below.
abstract contract CreditLedger is ICreditLedger, ReentrancyGuardTransient {
    mapping(address account => mapping(address token => uint256)) internal _credit;

    function credit(address account, address token) external view override returns (uint256) {
        return _credit[account][token];
    }

    function withdraw(address token, uint256 amount) external override nonReentrant {
        _withdraw(token, msg.sender, amount);
    }

    function withdrawTo(address token, address to, uint256 amount) external override nonReentrant {
        if (to == address(0)) _revertZeroAddress();
        _withdraw(token, to, amount);
    }

    /// @dev Pays `amount` to `to`, or credits it to `to` when the transfer fails.
    function _payOrCredit(address token, address to, uint256 amount) internal {
        if (amount == 0 || TokenTransfer.tryPush(token, to, amount)) return;
        _credit[to][token] += amount;
        emit Credited(to, token, amount);
    }

    /// @dev Reverts with the contract's zero-address error; never returns.
    function _revertZeroAddress() internal pure virtual;

    /// @dev Reverts with the contract's insufficient-credit error; never returns.
    function _revertInsufficientCredit(address account, address token, uint256 requested, uint256 available)
        internal
        pure
        virtual;

    function _withdraw(address token, address to, uint256 amount) private {
        uint256 available = _credit[msg.sender][token];
        if (amount > available) _revertInsufficientCredit(msg.sender, token, amount, available);
        // amount ≤ available: the hook above reverts otherwise.
        unchecked {
            _credit[msg.sender][token] = available - amount;
        }
        emit Withdrawn(msg.sender, token, to, amount);
        TokenTransfer.push(token, to, amount);
    }
}
