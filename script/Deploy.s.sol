// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {Script, console} from "forge-std/Script.sol";

import {GpuEscrow} from "../contracts/GpuEscrow.sol";
import {CommitteeArbitrator} from "../contracts/arbitration/CommitteeArbitrator.sol";
import {DisputeModule} from "../contracts/disputes/DisputeModule.sol";
import {IArbitrator} from "../contracts/interfaces/IArbitrator.sol";
import {MockERC20} from "../test/mocks/MockERC20.sol";
import {NoReturnToken} from "../test/mocks/NoReturnToken.sol";

/// @notice Deploys the escrow and its dispute module to any RPC and writes `deployments/<chainId>.json` (addresses,
/// chain id, deploy block, tokens). The signer comes from forge's wallet options (`--private-key`, `--account`
/// keystore, ...).
/// Environment: `ESCROW_OWNER` and `ESCROW_TREASURY` (default: the deployer); `ESCROW_TOKENS`, a comma-separated
/// list of ERC-20 token addresses to allow, listed in the file by symbol (the native coin is always allowed);
/// `ARBITRATOR`, an existing ERC-792 arbitrator, or else a committee arbitrator is deployed with `COMMITTEE_MEMBERS`
/// (comma-separated, default: the owner) and `COMMITTEE_QUORUM` (default: a majority); `RULING_PERIOD` (seconds,
/// default 3 days) and `UNBONDING_DELAY` (default 14 days). Minimum and dispute bonds start at zero on a real network
/// (the owner sets them with `setMinBond` / `setDisputeBond`). On a local chain (31337) it also deploys and allows
/// test tokens, USDC (6 decimals, permit), USDT (6 decimals, no return values) and DAI (18, permit), with minimum
/// bonds of 100 units (0.05 ETH for the native coin) and dispute bonds of 5 units (0.0025 ETH).
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

        uint256 rulingPeriod = vm.envOr("RULING_PERIOD", uint256(3 days));
        uint256 unbondingDelay = vm.envOr("UNBONDING_DELAY", uint256(14 days));

        vm.startBroadcast();
        escrow = new GpuEscrow(deployer, treasury);
        IArbitrator arbitrator = IArbitrator(vm.envOr("ARBITRATOR", address(0)));
        if (address(arbitrator) == address(0)) {
            address[] memory members = vm.envOr("COMMITTEE_MEMBERS", ",", new address[](0));
            if (members.length == 0) {
                members = new address[](1);
                members[0] = owner;
            }
            uint256 quorum = vm.envOr("COMMITTEE_QUORUM", members.length / 2 + 1);
            arbitrator = new CommitteeArbitrator(members, quorum, uint32(rulingPeriod));
        }
        DisputeModule disputes =
            new DisputeModule(deployer, address(escrow), arbitrator, "", rulingPeriod, unbondingDelay);
        escrow.setDisputeModule(address(disputes));
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
            (address[4] memory local, uint256[4] memory unit) =
                ([usdc, usdt, dai, address(0)], [uint256(1e6), 1e6, 1e18, 0.0005 ether]);
            for (uint256 i; i < 4; ++i) {
                disputes.setMinBond(local[i], 100 * unit[i]);
                disputes.setDisputeBond(local[i], 5 * unit[i]);
            }
            vm.serializeAddress(tokensJson, "USDC", usdc);
            vm.serializeAddress(tokensJson, "USDT", usdt);
            tokens = vm.serializeAddress(tokensJson, "DAI", dai);
        }
        if (owner != deployer) {
            escrow.transferOwnership(owner);
            disputes.transferOwnership(owner);
        }
        vm.stopBroadcast();

        string memory root = "deployment";
        vm.serializeUint(root, "chainId", block.chainid);
        vm.serializeAddress(root, "escrow", address(escrow));
        vm.serializeAddress(root, "disputeModule", escrow.disputeModule());
        vm.serializeAddress(root, "arbitrator", address(DisputeModule(payable(escrow.disputeModule())).arbitrator()));
        vm.serializeUint(root, "deployBlock", deployBlock);
        string memory json = vm.serializeString(root, "tokens", tokens);
        string memory path = string.concat(vm.projectRoot(), "/deployments/", vm.toString(block.chainid), ".json");
        vm.writeJson(json, path);
        console.log("GpuEscrow deployed at", address(escrow));
        console.log("Deployment written to", path);
    }
}
