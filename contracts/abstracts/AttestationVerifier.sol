// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {Errors} from "../libraries/Errors.sol";
import {SignatureCheck} from "../libraries/SignatureCheck.sol";
import {UsageAttestationHash} from "../libraries/UsageAttestationHash.sol";
import {RentalState, RentalTerms, Usage} from "../types/DataTypes.sol";

/// @title AttestationVerifier
/// @notice Checks a provider's EIP-712 `UsageAttestation` against the rental it claims to describe.
abstract contract AttestationVerifier is EIP712 {
    constructor() EIP712("GpuEscrow", "1") {}

    /// @dev The digest an attester signs for `usage` of rental `id`.
    function _usageDigest(bytes32 id, Usage calldata usage) internal view returns (bytes32) {
        return _hashTypedDataV4(UsageAttestationHash.structHash(id, usage));
    }

    /// @dev Reverts unless `usage` is a well-formed next attestation of rental `id`, signed by the rental's attester.
    /// Signature last: the cheap checks fail first. ECDSA (65 or 64-byte EIP-2098) is tried before ERC-1271.
    function _verifyUsage(
        bytes32 id,
        RentalTerms calldata terms,
        RentalState memory s,
        Usage calldata usage,
        bytes calldata signature
    ) internal view {
        if (usage.seq <= s.lastSeq) revert Errors.GpuEscrow_StaleSeq(id, usage.seq, s.lastSeq);
        if (usage.periodEnd > block.timestamp) {
            revert Errors.GpuEscrow_AttestationFromFuture(id, usage.periodEnd, block.timestamp);
        }
        if (usage.periodEnd < terms.startedAt) {
            revert Errors.GpuEscrow_AttestationBeforeStart(id, usage.periodEnd, terms.startedAt);
        }
        // periodEnd ≥ startedAt was checked just above.
        unchecked {
            uint256 elapsed = usage.periodEnd - terms.startedAt;
            if (usage.uptimeSeconds > elapsed) {
                revert Errors.GpuEscrow_UptimeExceedsElapsed(id, usage.uptimeSeconds, elapsed);
            }
        }
        if (usage.uptimeSeconds < s.paidSeconds) {
            revert Errors.GpuEscrow_UptimeDecreased(id, usage.uptimeSeconds, s.paidSeconds);
        }
        if (!SignatureCheck.isValidNow(terms.attester, _usageDigest(id, usage), signature)) {
            revert Errors.GpuEscrow_InvalidAttestationSignature(id, terms.attester);
        }
    }
}
