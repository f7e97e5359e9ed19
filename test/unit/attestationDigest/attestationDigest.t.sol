// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {UsageAttestationHash} from "../../../contracts/libraries/UsageAttestationHash.sol";
import {RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract AttestationDigest_Unit_Test is Base {
    function test_ShouldBeTheEIP712Digest() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "s");
        Usage memory u = usageAt(3, uint64(block.timestamp), 0);
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("GpuEscrow"),
                keccak256("1"),
                block.chainid,
                address(escrow)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256(
                    "UsageAttestation(bytes32 rentalId,uint64 seq,uint64 periodEnd,uint64 uptimeSeconds,"
                    "bytes32 gpuModelHash,bytes32 gpuUuidsHash,uint64 energyJoules,uint16 avgUtilBps)"
                ),
                idOf(t),
                u.seq,
                u.periodEnd,
                u.uptimeSeconds,
                keccak256(bytes(H100)),
                u.gpuUuidsHash,
                u.energyJoules,
                u.avgUtilBps
            )
        );
        assertEq(
            UsageAttestationHash.TYPEHASH,
            keccak256(
                "UsageAttestation(bytes32 rentalId,uint64 seq,uint64 periodEnd,uint64 uptimeSeconds,"
                "bytes32 gpuModelHash,bytes32 gpuUuidsHash,uint64 energyJoules,uint16 avgUtilBps)"
            )
        );
        assertEq(escrow.attestationDigest(t, u), keccak256(abi.encodePacked(hex"1901", domain, structHash)));
    }

    function test_WhenAnythingChanges() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "s");
        Usage memory u = usageAt(3, uint64(block.timestamp), 0);
        bytes32 d = escrow.attestationDigest(t, u);
        u.gpuModelHash = keccak256("NVIDIA A100-SXM4-80GB");
        assertTrue(escrow.attestationDigest(t, u) != d, "model");
        u = usageAt(3, uint64(block.timestamp), 0);
        t = openRental(ONE_HOUR_DEPOSIT, "other");
        assertTrue(escrow.attestationDigest(t, u) != d, "rental");
        t = openRental(ONE_HOUR_DEPOSIT, "s2");
        d = escrow.attestationDigest(t, u);
        u.seq++;
        assertTrue(escrow.attestationDigest(t, u) != d, "seq");
        u = usageAt(3, uint64(block.timestamp), 0);
        u.energyJoules = 1;
        assertTrue(escrow.attestationDigest(t, u) != d, "energy");
        u = usageAt(3, uint64(block.timestamp), 0);
        u.avgUtilBps = 1;
        assertTrue(escrow.attestationDigest(t, u) != d, "util");
        u = usageAt(3, uint64(block.timestamp), 0);
        u.gpuUuidsHash = bytes32(0);
        assertTrue(escrow.attestationDigest(t, u) != d, "uuids");
    }
}
