// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Errors} from "../../../contracts/libraries/Errors.sol";
import {Config} from "../../../contracts/types/DataTypes.sol";
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
        assertEq(e.STOP_ATTESTATION_MAX_AGE(), 10 minutes);
        assertEq(e.offerCount(), 0);
        (, string memory name, string memory version, uint256 chainId, address verifying,,) = e.eip712Domain();
        assertEq(name, "GpuEscrow");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifying, address(e));
    }
}
