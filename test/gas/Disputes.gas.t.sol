// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../utils/DisputeBase.t.sol";

/// @notice Gas of the dispute paths in the steady state: the provider already bonded, module and escrow balances
/// non-zero, a rental running. Run with `forge snapshot --isolate` (see LifecycleGasTest). Each test is setup plus
/// the one measured call.
contract DisputesGasTest is DisputeBase {
    RentalTerms internal warm;

    function setUp() public override {
        super.setUp();
        warm = openRental(4 * ONE_HOUR_DEPOSIT, bytes32(uint256(1)));
        vm.warp(block.timestamp + 1800);
    }

    function test_Gas_Bond() public {
        vm.prank(provider);
        disputes.bond(address(usdc), 10e6);
        vm.snapshotGasLastCall("bond");
    }

    function test_Gas_OpenDispute() public {
        vm.prank(renter);
        disputes.openDispute(warm, EVIDENCE);
        vm.snapshotGasLastCall("openDispute");
    }

    function test_Gas_RuleByQuorumVote() public {
        uint256 disputeId = openDisputeAs(renter, warm);
        vm.prank(judge1);
        committee.vote(disputeId, 7001);
        // The second vote reaches the quorum: the committee rules on the module in the same call.
        vm.prank(judge2);
        committee.vote(disputeId, 7001);
        vm.snapshotGasLastCall("rule_quorumVote");
    }

    function test_Gas_ExecuteRuling() public {
        uint256 disputeId = openDisputeAs(renter, warm);
        ruleByCommittee(disputeId, 7001);
        vm.prank(keeper);
        disputes.executeRuling(warm);
        vm.snapshotGasLastCall("executeRuling");
    }

    function test_Gas_ProveEquivocation() public {
        Usage memory a = usageAt(1, uint64(block.timestamp), 1700);
        Usage memory b = usageAt(1, uint64(block.timestamp), 1790);
        bytes memory sa = signUsage(warm, a);
        bytes memory sb = signUsage(warm, b);
        vm.prank(keeper);
        disputes.proveEquivocation(warm, a, sa, b, sb);
        vm.snapshotGasLastCall("proveEquivocation");
    }

    function test_Gas_Rate() public {
        Usage memory u = usageAt(1, uint64(block.timestamp), 1790);
        bytes memory sig = signUsage(warm, u);
        vm.prank(renter);
        escrow.stopAndSettle(warm, u, sig);
        vm.prank(renter);
        disputes.rate(warm, u, sig, 5);
        vm.snapshotGasLastCall("rate");
    }
}
