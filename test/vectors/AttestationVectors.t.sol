// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {UsageAttestationHash} from "../../contracts/libraries/UsageAttestationHash.sol";
import {Usage} from "../../contracts/types/DataTypes.sol";
import {Base} from "../utils/Base.t.sol";

/// @dev `UsageAttestationHash.structHash` takes the usage from calldata: this puts it there.
contract UsageAttestationHashHarness {
    function structHash(bytes32 rentalId, Usage calldata usage) external pure returns (bytes32) {
        return UsageAttestationHash.structHash(rentalId, usage);
    }

    function domainSeparator(address escrow) external view returns (bytes32) {
        return UsageAttestationHash.domainSeparator(escrow);
    }
}

/// @notice The EIP-712 vectors produced by the Rust protocol crate (test/vectors/attestations.json): Solidity and
/// Rust must agree on the type hash, every struct hash, the escrow's domain separator, every digest and signer.
/// All integers in the file are decimal strings; object keys are sorted.
contract AttestationVectors_Test is Base {
    string internal json;
    UsageAttestationHashHarness internal harness;

    function setUp() public override {
        super.setUp();
        json = vm.readFile(string.concat(vm.projectRoot(), "/test/vectors/attestations.json"));
        harness = new UsageAttestationHashHarness();
    }

    function _uint(string memory key) internal view returns (uint256) {
        return vm.parseUint(vm.parseJsonString(json, key));
    }

    /// @dev The domain separator the escrow's attestations use at the vectors' verifyingContract on their chain id;
    /// the vectors' name and version must be the escrow's.
    function _vectorDomain() internal returns (bytes32 domainSeparator) {
        vm.chainId(_uint(".domain.chainId"));
        address at = vm.parseJsonAddress(json, ".domain.verifyingContract");
        assertEq(keccak256(bytes(vm.parseJsonString(json, ".domain.name"))), UsageAttestationHash.NAME_HASH);
        assertEq(keccak256(bytes(vm.parseJsonString(json, ".domain.version"))), UsageAttestationHash.VERSION_HASH);
        domainSeparator = harness.domainSeparator(at);
    }

    function test_TypeHash() external view {
        assertEq(vm.parseJsonBytes32(json, ".typeHash"), UsageAttestationHash.TYPEHASH);
        assertEq(keccak256(bytes(vm.parseJsonString(json, ".typeString"))), UsageAttestationHash.TYPEHASH);
    }

    function test_DomainSeparator() external {
        bytes32 domainSeparator = _vectorDomain();
        assertEq(domainSeparator, vm.parseJsonBytes32(json, ".domainSeparator"));
    }

    function test_Vectors() external {
        bytes32 domainSeparator = _vectorDomain();
        uint256 n;
        for (; vm.keyExistsJson(json, string.concat(".vectors[", vm.toString(n), "]")); ++n) {
            _checkVector(string.concat(".vectors[", vm.toString(n), "]"), domainSeparator);
        }
        assertEq(n, 5, "vector count");
    }

    function _checkVector(string memory v, bytes32 domainSeparator) internal view {
        string memory a = string.concat(v, ".attestation");
        Usage memory u = Usage({
            seq: uint64(_uint(string.concat(a, ".seq"))),
            periodEnd: uint64(_uint(string.concat(a, ".periodEnd"))),
            uptimeSeconds: uint64(_uint(string.concat(a, ".uptimeSeconds"))),
            gpuModelHash: vm.parseJsonBytes32(json, string.concat(a, ".gpuModelHash")),
            gpuUuidsHash: vm.parseJsonBytes32(json, string.concat(a, ".gpuUuidsHash")),
            energyJoules: uint64(_uint(string.concat(a, ".energyJoules"))),
            avgUtilBps: uint16(_uint(string.concat(a, ".avgUtilBps")))
        });
        string memory name = vm.parseJsonString(json, string.concat(v, ".name"));
        bytes32 structHash = harness.structHash(vm.parseJsonBytes32(json, string.concat(a, ".rentalId")), u);
        assertEq(structHash, vm.parseJsonBytes32(json, string.concat(v, ".structHash")), name);

        bytes32 digest = keccak256(abi.encodePacked(hex"1901", domainSeparator, structHash));
        assertEq(digest, vm.parseJsonBytes32(json, string.concat(v, ".digest")), name);

        address signer = vm.parseJsonAddress(json, string.concat(v, ".signer"));
        bytes memory sig = vm.parseJsonBytes(json, string.concat(v, ".signature"));
        bytes memory compact = vm.parseJsonBytes(json, string.concat(v, ".compactSignature"));
        assertEq(sig.length, 65, name);
        assertEq(compact.length, 64, name);
        assertEq(ECDSA.recover(digest, sig), signer, name);
        (bytes32 r, bytes32 vs) = abi.decode(compact, (bytes32, bytes32));
        assertEq(ECDSA.recover(digest, r, vs), signer, name);
    }

    function test_GpuModelHashes() external view {
        for (uint256 i; vm.keyExistsJson(json, string.concat(".gpuModelHashes[", vm.toString(i), "]")); ++i) {
            string memory k = string.concat(".gpuModelHashes[", vm.toString(i), "]");
            string memory model = vm.parseJsonString(json, string.concat(k, ".name"));
            assertEq(keccak256(bytes(model)), vm.parseJsonBytes32(json, string.concat(k, ".hash")), model);
        }
    }

    /// @dev keccak256(abi.encode(string[] uuids sorted by their bytes)), duplicates kept (protocol::gpu_uuids_hash).
    function test_GpuUuidsHashes() external view {
        uint256 i;
        for (; vm.keyExistsJson(json, string.concat(".gpuUuidsHashes[", vm.toString(i), "]")); ++i) {
            string memory k = string.concat(".gpuUuidsHashes[", vm.toString(i), "]");
            string[] memory uuids = vm.parseJsonStringArray(json, string.concat(k, ".uuids"));
            _sort(uuids);
            assertEq(keccak256(abi.encode(uuids)), vm.parseJsonBytes32(json, string.concat(k, ".hash")));
        }
        assertEq(i, 3);
    }

    function _sort(string[] memory a) internal pure {
        for (uint256 i = 1; i < a.length; ++i) {
            for (uint256 j = i; j > 0 && _less(a[j], a[j - 1]); --j) {
                (a[j], a[j - 1]) = (a[j - 1], a[j]);
            }
        }
    }

    function _less(string memory x, string memory y) internal pure returns (bool) {
        bytes memory a = bytes(x);
        bytes memory b = bytes(y);
        uint256 n = a.length < b.length ? a.length : b.length;
        for (uint256 i; i < n; ++i) {
            if (a[i] != b[i]) return a[i] < b[i];
        }
        return a.length < b.length;
    }
}
