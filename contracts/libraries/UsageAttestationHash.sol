// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Usage} from "../types/DataTypes.sol";

/// @title UsageAttestationHash
/// @notice EIP-712 struct hash of a `UsageAttestation`, rebuilt from the `Usage` submitted on-chain and the rental
/// id the contract derives from the rental's terms.
library UsageAttestationHash {
    bytes32 internal constant TYPEHASH = keccak256(
        "UsageAttestation(bytes32 rentalId,uint64 seq,uint64 periodEnd,uint64 uptimeSeconds,bytes32 gpuModelHash,"
        "bytes32 gpuUuidsHash,uint64 energyJoules,uint16 avgUtilBps)"
    );

    /// @dev keccak256(abi.encode(TYPEHASH, rentalId, usage...)): `Usage` lists the typed fields after `rentalId` in
    /// the type's order, and a calldata struct of value types is its own ABI encoding (seven words), so it is copied
    /// as one block. Words with dirty high bits hash to a digest nobody signed.
    function structHash(bytes32 rentalId, Usage calldata usage) internal pure returns (bytes32 h) {
        bytes32 typehash = TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typehash)
            mstore(add(m, 0x20), rentalId)
            calldatacopy(add(m, 0x40), usage, 0xe0)
            h := keccak256(m, 0x120)
        }
    }
}
