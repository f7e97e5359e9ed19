// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Errors} from "../../../contracts/libraries/Errors.sol";
import {UsageAttestationHash} from "../../../contracts/libraries/UsageAttestationHash.sol";
import {Config, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";
import {IGpuEscrowFull} from "../../utils/IGpuEscrowFull.sol";

/// @dev Deploys creation code and bubbles up the constructor's revert.
contract Deployer {
    function deploy(bytes memory code) external returns (address addr) {
        assembly ("memory-safe") {
            addr := create(0, add(code, 0x20), mload(code))
            if iszero(addr) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
    }
}

contract Constructor_Unit_Test is Base {
    function test_RevertWhen_ZeroTreasury() external {
        Deployer deployer = new Deployer();
        bytes memory code = bytes.concat(vm.getCode(ESCROW_ARTIFACT), abi.encode(owner, address(0)));
        vm.expectRevert(Errors.GpuEscrow_ZeroTreasury.selector);
        deployer.deploy(code);
    }

    function test_WhenTreasurySet() external {
        IGpuEscrowFull e = deployEscrow(owner, treasury);
        assertEq(e.owner(), owner);
        assertEq(e.treasury(), treasury);
        Config memory c = e.config();
        assertEq(c.feeBps, FEE_BPS);
        assertEq(c.challengeWindow, CHALLENGE_WINDOW);
        assertEq(c.gracePeriod, GRACE_PERIOD);
        assertFalse(c.paused);
        assertEq(c.allowedTokens, 0);
        assertEq(e.MAX_FEE_BPS(), 1500);
        assertEq(e.offerCount(), 0);
    }

    function test_WhenTreasurySet_AttestationDomain() external {
        // Attesters sign under the EIP-712 domain ("GpuEscrow", "1", chain id, the escrow's address).
        IGpuEscrowFull e = deployEscrow(owner, treasury);
        RentalTerms memory terms;
        terms.renter = renter;
        Usage memory u = usageAt(3, 1000, 900);
        bytes32 separator = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("GpuEscrow"),
                keccak256("1"),
                block.chainid,
                address(e)
            )
        );
        bytes32 structHash = keccak256(abi.encode(UsageAttestationHash.TYPEHASH, keccak256(abi.encode(terms)), u));
        assertEq(e.attestationDigest(terms, u), keccak256(abi.encodePacked(hex"1901", separator, structHash)));
    }
}
