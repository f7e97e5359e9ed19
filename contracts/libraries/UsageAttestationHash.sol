// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Usage} from "../types/DataTypes.sol";

/// @title UsageAttestationHash
/// @notice EIP-712 struct hash of a `UsageAttestation`, rebuilt from the compact `Usage` submitted on-chain and the
/// two fields the contract already knows (rental id and GPU model hash, both bound by the rental's terms).
library UsageAttestationHash {
    bytes32 internal constant TYPEHASH = keccak256(
        "UsageAttestation(bytes32 rentalId,uint64 seq,uint64 periodEnd,uint64 uptimeSeconds,bytes32 gpuModelHash,"
        "bytes32 gpuUuidsHash,uint64 energyJoules,uint16 avgUtilBps)"
    );

    function structHash(bytes32 rentalId, bytes32 gpuModelHash, Usage calldata usage) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                TYPEHASH,
                rentalId,
                usage.seq,
                usage.periodEnd,
                usage.uptimeSeconds,
                gpuModelHash,
                usage.gpuUuidsHash,
                usage.energyJoules,
                usage.avgUtilBps
            )
        );
    }
}
