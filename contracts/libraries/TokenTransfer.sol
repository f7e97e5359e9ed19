// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {Errors} from "./Errors.sol";

/// @title TokenTransfer
/// @notice Moves the native coin (token == address(0)) and ERC-20 tokens in and out of the escrow.
library TokenTransfer {
    using SafeERC20 for IERC20;

    address internal constant NATIVE = address(0);

    /// @dev Gas forwarded to a native-coin receiver: enough for a contract wallet's `receive`, bounded so a
    /// receiver cannot make a keeper's settlement arbitrarily expensive.
    uint256 internal constant NATIVE_PUSH_GAS = 100_000;

    /// @notice Takes exactly `amount` from `from`. For the native coin the caller must have sent exactly `amount`.
    /// ERC-20 tokens that deliver less than `amount` (fee-on-transfer, rebasing down) are refused.
    function pullExact(address token, address from, uint256 amount) internal {
        if (token == NATIVE) {
            if (msg.value != amount) revert Errors.GpuEscrow_NativeValueMismatch(amount, msg.value);
            return;
        }
        if (msg.value != 0) revert Errors.GpuEscrow_NativeValueMismatch(0, msg.value);
        pullExactErc20(token, from, amount);
    }

    /// @notice Takes exactly `amount` of ERC-20 `token` from `from`, whatever `msg.value` carries for other purposes.
    function pullExactErc20(address token, address from, uint256 amount) internal {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(from, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert Errors.GpuEscrow_FeeOnTransferToken(token, amount, received);
    }

    /// @notice Sends `amount` to `to` and reports failure instead of reverting (a blacklisted or reverting
    /// receiver), so the caller can credit the amount as a withdrawable balance.
    function tryPush(address token, address to, uint256 amount) internal returns (bool ok) {
        if (token == NATIVE) {
            (ok,) = to.call{value: amount, gas: NATIVE_PUSH_GAS}("");
            return ok;
        }
        return IERC20(token).trySafeTransfer(to, amount);
    }

    /// @notice Sends `amount` to `to`, reverting on failure (used for withdrawals, where the caller asked).
    function push(address token, address to, uint256 amount) internal {
        if (token == NATIVE) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert Errors.GpuEscrow_NativeTransferFailed(to, amount);
            return;
        }
        IERC20(token).safeTransfer(to, amount);
    }
}
