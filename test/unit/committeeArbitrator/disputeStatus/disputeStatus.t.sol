// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICommitteeArbitrator} from "../../../../contracts/interfaces/ICommitteeArbitrator.sol";
import {CommitteeArbitratorBase} from "../../../utils/CommitteeArbitratorBase.t.sol";

contract CommitteeArbitrator_DisputeStatus_Unit_Test is CommitteeArbitratorBase {
    function statusOf(uint256 disputeID) internal view returns (ICommitteeArbitrator.DisputeStatus) {
        return arbitrator.disputeStatus(disputeID);
    }

    function test_WhenDisputeNotFound() external view {
        assertEq(uint8(statusOf(0)), uint8(ICommitteeArbitrator.DisputeStatus.None));
        ICommitteeArbitrator.Dispute memory d = arbitrator.dispute(0);
        assertEq(address(d.arbitrable), address(0));
        assertEq(d.deadline, 0);
        assertEq(uint8(d.status), uint8(ICommitteeArbitrator.DisputeStatus.None));
        assertEq(d.choices, 0);
    }

    function test_WhenWaitingBeforeDeadline() external {
        uint256 id = openDispute();
        voteAs(0, id, 1);
        vm.warp(block.timestamp + RULING_PERIOD - 1);
        assertEq(uint8(statusOf(id)), uint8(ICommitteeArbitrator.DisputeStatus.Waiting));
    }

    function test_WhenRulingReachedQuorum() external {
        uint256 id = openDispute();
        voteAs(0, id, 1);
        voteAs(1, id, 1);
        voteAs(2, id, 1);
        assertEq(uint8(statusOf(id)), uint8(ICommitteeArbitrator.DisputeStatus.Ruled));
        vm.warp(block.timestamp + RULING_PERIOD + 1);
        assertEq(uint8(statusOf(id)), uint8(ICommitteeArbitrator.DisputeStatus.Ruled));
        assertEq(uint8(arbitrator.dispute(id).status), uint8(ICommitteeArbitrator.DisputeStatus.Ruled));
    }

    function test_WhenDeadlineCameWithoutQuorum() external {
        uint256 id = openDispute();
        voteAs(0, id, 1);
        voteAs(1, id, 1);
        vm.warp(block.timestamp + RULING_PERIOD);
        assertEq(uint8(statusOf(id)), uint8(ICommitteeArbitrator.DisputeStatus.Expired));
        ICommitteeArbitrator.Dispute memory d = arbitrator.dispute(id);
        assertEq(uint8(d.status), uint8(ICommitteeArbitrator.DisputeStatus.Expired));
        assertEq(d.voters, 3);
        assertNotRuled(id);
    }
}
