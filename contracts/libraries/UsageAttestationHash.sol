// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Usage} from "../types/DataTypes.sol";

/// @title UsageAttestationHash
/// @notice EIP-712 struct hash of a `UsageAttestation`, rebuilt from the `Usage` submitted on-chain and the rental
/// id the contract derives from the rental's terms, and the escrow's EIP-712 domain
/// (name "GpuEscrow", version "1", chain id, the escrow's address).
library UsageAttestationHash {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("GpuEscrow");
    bytes32 internal constant VERSION_HASH = keccak256("1");

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

    /// @notice The EIP-712 domain separator of the escrow at `escrow` on this chain.
    function domainSeparator(address escrow) internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, escrow));
    }

    /// @notice keccak256("\x19\x01" ‖ separator ‖ structHash), the digest an attester signs.
    function digest(bytes32 separator, bytes32 structHash_) internal pure returns (bytes32 d) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, hex"1901")
            mstore(add(m, 0x02), separator)
            mstore(add(m, 0x22), structHash_)
            d := keccak256(m, 0x42)
        }
    }
}
