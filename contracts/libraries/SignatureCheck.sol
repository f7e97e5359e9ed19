// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title SignatureCheck
/// @notice Whether `signer` signed `digest`: an EOA with a 65-byte (r ‖ s ‖ v) or 64-byte EIP-2098 (r ‖ vs)
/// signature, recovered straight from calldata, or else an ERC-1271 contract wallet. ECDSA comes first, so EOA
/// signers never pay for a cold code lookup. Used by the escrow (attesters), the dispute module (attesters) and the
/// committee arbitrator (members).
library SignatureCheck {
    /// @notice Gas given to an ERC-1271 signer's `isValidSignature`: enough for a multisig wallet checking a few
    /// owners, bounded so a contract attester cannot make a keeper's settlement cost millions.
    uint256 internal constant ERC1271_GAS = 100_000;

    /// @notice The caller did not leave enough gas for the ERC-1271 check, which would otherwise fail for lack of
    /// gas and read as an invalid signature.
    error SignatureCheck_InsufficientGas(uint256 gasLeft, uint256 needed);

    function isValidNow(address signer, bytes32 digest, bytes calldata signature) internal view returns (bool) {
        address recovered;
        if (signature.length == 64) {
            (recovered,,) = ECDSA.tryRecover(digest, bytes32(signature[0:32]), bytes32(signature[32:64]));
        } else if (signature.length == 65) {
            (recovered,,) =
                ECDSA.tryRecover(digest, uint8(signature[64]), bytes32(signature[0:32]), bytes32(signature[32:64]));
        }
        if (recovered == signer && recovered != address(0)) return true;
        return isValidErc1271Now(signer, digest, signature);
    }

    /// @dev ERC-1271 with at most ERC1271_GAS for the signer and at most one word of its answer copied (a signer
    /// returning megabytes costs the caller nothing). Reverts when fewer than ERC1271_GAS would reach the signer
    /// (the 63/64 rule), so a caller cannot starve the check into a false "invalid".
    function isValidErc1271Now(address signer, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (bool valid)
    {
        if (signer.code.length == 0) return false;
        bytes memory data = abi.encodeCall(IERC1271.isValidSignature, (digest, signature));
        uint256 needed = ERC1271_GAS + ERC1271_GAS / 63 + 5000;
        if (gasleft() < needed) revert SignatureCheck_InsufficientGas(gasleft(), needed);
        bytes4 magic = IERC1271.isValidSignature.selector;
        uint256 gasLimit = ERC1271_GAS;
        assembly ("memory-safe") {
            let ok := staticcall(gasLimit, signer, add(data, 0x20), mload(data), 0, 0x20)
            valid := and(and(ok, gt(returndatasize(), 0x1f)), eq(mload(0), magic))
        }
    }
}
