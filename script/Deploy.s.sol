// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Script, console} from "forge-std/Script.sol";

import {GpuEscrow} from "../contracts/GpuEscrow.sol";
import {MockERC20} from "../test/mocks/MockERC20.sol";
import {NoReturnToken} from "../test/mocks/NoReturnToken.sol";

/// @notice Deploys the escrow to any RPC and writes `deployments/<chainId>.json` (address, chain id, deploy block,
/// tokens). The signer comes from forge's wallet options (`--private-key`, `--account` keystore, ...).
/// Environment: `ESCROW_OWNER` and `ESCROW_TREASURY` (default: the deployer); `ESCROW_TOKENS`, a comma-separated
/// list of ERC-20 token addresses to allow, listed in the file by symbol (the native coin is always allowed). On a local chain (31337) it also deploys
/// and allows test tokens: USDC (6 decimals, permit), USDT (6 decimals, no return values) and DAI (18, permit).
contract Deploy is Script {
    function run() external returns (GpuEscrow escrow) {
        address deployer = msg.sender;
        address owner = vm.envOr("ESCROW_OWNER", deployer);
        address treasury = vm.envOr("ESCROW_TREASURY", deployer);
        address[] memory extra = vm.envOr("ESCROW_TOKENS", ",", new address[](0));
        uint256 deployBlock = block.number;

        // Allowed ERC-20 tokens by symbol; the native coin (address(0)) is always allowed and not listed.
        string memory tokensJson = "tokens";
        string memory tokens = vm.serializeJson(tokensJson, "{}");

        vm.startBroadcast();
        escrow = new GpuEscrow(deployer, treasury);
        escrow.setTokenAllowed(address(0), true);
        for (uint256 i; i < extra.length; ++i) {
            escrow.setTokenAllowed(extra[i], true);
            tokens = vm.serializeAddress(tokensJson, IERC20Metadata(extra[i]).symbol(), extra[i]);
        }
        if (block.chainid == 31_337) {
            address usdc = address(new MockERC20("USD Coin", "USDC", 6));
            address usdt = address(new NoReturnToken());
            address dai = address(new MockERC20("Dai Stablecoin", "DAI", 18));
            escrow.setTokenAllowed(usdc, true);
            escrow.setTokenAllowed(usdt, true);
            escrow.setTokenAllowed(dai, true);
            vm.serializeAddress(tokensJson, "USDC", usdc);
            vm.serializeAddress(tokensJson, "USDT", usdt);
            tokens = vm.serializeAddress(tokensJson, "DAI", dai);
        }
        if (owner != deployer) escrow.transferOwnership(owner);
        vm.stopBroadcast();

        string memory root = "deployment";
        vm.serializeUint(root, "chainId", block.chainid);
        vm.serializeAddress(root, "escrow", address(escrow));
        vm.serializeUint(root, "deployBlock", deployBlock);
        string memory json = vm.serializeString(root, "tokens", tokens);
        string memory path = string.concat(vm.projectRoot(), "/deployments/", vm.toString(block.chainid), ".json");
        vm.writeJson(json, path);
        console.log("GpuEscrow deployed at", address(escrow));
        console.log("Deployment written to", path);
    }
}
