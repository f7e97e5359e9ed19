// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitteeArbitratorErrors as Errors} from "../../../../contracts/arbitration/CommitteeArbitratorErrors.sol";
import {IArbitrable} from "../../../../contracts/interfaces/IArbitrable.sol";
import {IArbitrator} from "../../../../contracts/interfaces/IArbitrator.sol";
import {ICommitteeArbitrator} from "../../../../contracts/interfaces/ICommitteeArbitrator.sol";
import {ArbitrableMock} from "../../../mocks/ArbitrableMock.sol";
import {CommitteeArbitratorBase} from "../../../utils/CommitteeArbitratorBase.t.sol";

contract CommitteeArbitrator_CreateDispute_Unit_Test is CommitteeArbitratorBase {
    function test_RevertWhen_ValueSent() external {
        vm.deal(address(this), 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_ValueMismatch.selector, 0, 1 wei));
        arbitrable.createDispute{value: 1 wei}(arbitrator, CHOICES, "");
        assertEq(arbitrator.disputeCount(), 0);
    }

    function test_RevertWhen_ChoicesZero() external {
        vm.expectRevert(Errors.CommitteeArbitrator_NoChoices.selector);
        arbitrable.createDispute(arbitrator, 0, "");
    }

    function test_WhenNoValueAndChoicesAtLeastOne() external {
        vm.expectEmit(address(arbitrator));
        emit IArbitrator.DisputeCreation(0, IArbitrable(address(arbitrable)));
        uint256 id = arbitrable.createDispute(arbitrator, CHOICES, hex"deadbeef");
        assertEq(id, 0);
        assertEq(arbitrator.disputeCount(), 1);
        ICommitteeArbitrator.Dispute memory d = arbitrator.dispute(id);
        assertEq(address(d.arbitrable), address(arbitrable));
        assertEq(d.choices, CHOICES);
        assertEq(d.deadline, block.timestamp + RULING_PERIOD);
        assertEq(uint8(d.status), uint8(ICommitteeArbitrator.DisputeStatus.Waiting));
        assertEq(d.voters, 0);
        assertEq(d.ruling, 0);
        assertEq(uint8(arbitrator.disputeStatus(id)), uint8(ICommitteeArbitrator.DisputeStatus.Waiting));
    }

    function test_WhenCalledAgain() external {
        assertEq(openDispute(), 0);
        ArbitrableMock other = new ArbitrableMock();
        vm.warp(block.timestamp + 100);
        vm.expectEmit(address(arbitrator));
        emit IArbitrator.DisputeCreation(1, IArbitrable(address(other)));
        assertEq(other.createDispute(arbitrator, 1, ""), 1);
        assertEq(arbitrator.disputeCount(), 2);
        ICommitteeArbitrator.Dispute memory d = arbitrator.dispute(1);
        assertEq(address(d.arbitrable), address(other));
        assertEq(d.choices, 1);
        assertEq(d.deadline, block.timestamp + RULING_PERIOD);
        assertEq(address(arbitrator.dispute(0).arbitrable), address(arbitrable));
    }
}
