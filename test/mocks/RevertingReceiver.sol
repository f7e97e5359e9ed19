// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice A renter contract that refuses native coin, to check that a failed refund is credited instead.
contract RevertingReceiver {
    receive() external payable {
        revert("no thanks");
    }

    /// @notice Forwards a call (e.g. `open`, `stopAndSettle`) to `target` with `value`.
    function execute(address target, uint256 value, bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }
}
