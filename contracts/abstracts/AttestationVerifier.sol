// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ErrorData} from "../libraries/ErrorData.sol";
import {Errors} from "../libraries/Errors.sol";
import {SignatureCheck} from "../libraries/SignatureCheck.sol";
import {UsageAttestationHash} from "../libraries/UsageAttestationHash.sol";
import {RentalState, RentalTerms, Usage} from "../types/DataTypes.sol";

/// @title AttestationVerifier
/// @notice Checks a provider's EIP-712 `UsageAttestation` against the rental it claims to describe.
/// The domain separator is computed once and recomputed only on a chain that forked off with another id.
abstract contract AttestationVerifier {
    bytes32 private immutable _cachedSeparator = UsageAttestationHash.domainSeparator(address(this));
    uint256 private immutable _cachedChainId = block.chainid;

    /// @dev The digest an attester signs for `usage` of rental `id`.
    function _usageDigest(bytes32 id, Usage calldata usage) internal view returns (bytes32) {
        bytes32 separator =
            block.chainid == _cachedChainId ? _cachedSeparator : UsageAttestationHash.domainSeparator(address(this));
        return UsageAttestationHash.digest(separator, UsageAttestationHash.structHash(id, usage));
    }

    /// @dev Why `usage` is not a well-formed next attestation of rental `id` signed by the rental's attester, as an
    /// ABI-encoded custom error (empty: it is). Signature last: the cheap checks fail first. ECDSA (65 or 64-byte
    /// EIP-2098) is tried before ERC-1271.
    function _usageError(
        bytes32 id,
        RentalTerms calldata terms,
        RentalState memory s,
        Usage calldata usage,
        bytes calldata signature
    ) internal view returns (bytes memory err) {
        if (usage.seq <= s.lastSeq) {
            return ErrorData.encode(Errors.GpuEscrow_StaleSeq.selector, id, uint256(usage.seq), uint256(s.lastSeq));
        }
        if (usage.periodEnd > block.timestamp) {
            return ErrorData.encode(
                Errors.GpuEscrow_AttestationFromFuture.selector, id, uint256(usage.periodEnd), block.timestamp
            );
        }
        if (usage.periodEnd < terms.startedAt) {
            return ErrorData.encode(
                Errors.GpuEscrow_AttestationBeforeStart.selector, id, uint256(usage.periodEnd), uint256(terms.startedAt)
            );
        }
        // periodEnd ≥ startedAt was checked just above.
        unchecked {
            uint256 elapsed = usage.periodEnd - terms.startedAt;
            if (usage.uptimeSeconds > elapsed) {
                return ErrorData.encode(
                    Errors.GpuEscrow_UptimeExceedsElapsed.selector, id, uint256(usage.uptimeSeconds), elapsed
                );
            }
        }
        if (usage.uptimeSeconds < s.paidSeconds) {
            return ErrorData.encode(
                Errors.GpuEscrow_UptimeDecreased.selector, id, uint256(usage.uptimeSeconds), uint256(s.paidSeconds)
            );
        }
        if (!SignatureCheck.isValidNow(terms.attester, _usageDigest(id, usage), signature)) {
            return ErrorData.encode(
                Errors.GpuEscrow_InvalidAttestationSignature.selector, id, uint256(uint160(terms.attester))
            );
        }
        // Valid: the empty default, with no allocation.
    }
}
