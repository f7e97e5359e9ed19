// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ErrorData
/// @notice Custom errors as data: a check that may either revert (a single call) or be skipped and reported (one
/// item of a batch) returns its error ABI-encoded, exactly the bytes a `revert` with it would carry. Every argument
/// is one word, so `(bytes32, uint64, uint256)` and `(bytes32, uint256, uint256)` encode alike.
library ErrorData {
    function encode(bytes4 selector, bytes32 id, uint256 a) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id, a);
    }

    function encode(bytes4 selector, bytes32 id, uint256 a, uint256 b) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, id, a, b);
    }

    /// @notice Reverts with `err` unless it is empty.
    function revertIf(bytes memory err) internal pure {
        if (err.length != 0) {
            assembly ("memory-safe") {
                revert(add(err, 0x20), mload(err))
            }
        }
    }
}
