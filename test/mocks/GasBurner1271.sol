// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @notice A hostile contract attester: `isValidSignature` burns every unit of gas it is given before answering
/// "valid", so an uncapped check would make whoever settles its rentals pay for all of it.
contract GasBurner1271 is IERC1271 {
    function isValidSignature(bytes32, bytes calldata) external view returns (bytes4) {
        uint256 x;
        while (gasleft() > 2000) {
            x = uint256(keccak256(abi.encode(x)));
        }
        return IERC1271.isValidSignature.selector;
    }
}
