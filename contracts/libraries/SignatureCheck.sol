// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

/// @title SignatureCheck
/// @notice Whether `signer` signed `digest`: an EOA with a 65-byte (r ‖ s ‖ v) or 64-byte EIP-2098 (r ‖ vs)
/// signature, recovered straight from calldata, or else an ERC-1271 contract wallet. ECDSA comes first, so EOA
/// signers never pay for a cold code lookup. Used by the escrow (attesters), the dispute module (attesters) and the
/// committee arbitrator (members).
library SignatureCheck {
    function isValidNow(address signer, bytes32 digest, bytes calldata signature) internal view returns (bool) {
        address recovered;
        if (signature.length == 64) {
            (recovered,,) = ECDSA.tryRecover(digest, bytes32(signature[0:32]), bytes32(signature[32:64]));
        } else if (signature.length == 65) {
            (recovered,,) =
                ECDSA.tryRecover(digest, uint8(signature[64]), bytes32(signature[0:32]), bytes32(signature[32:64]));
        }
        if (recovered == signer && recovered != address(0)) return true;
        return SignatureChecker.isValidERC1271SignatureNow(signer, digest, signature);
    }
}
