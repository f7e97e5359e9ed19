// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IArbitrable} from "../../../../contracts/interfaces/IArbitrable.sol";
import {IArbitrator} from "../../../../contracts/interfaces/IArbitrator.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalTerms} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract Rule_Unit_Test is DisputeBase {
    RentalTerms internal t;
    bytes32 internal id;
    uint256 internal disputeId;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "rule");
        id = idOf(t);
        disputeId = openDisputeAs(renter, t);
    }

    function test_RevertWhen_CallerNotArbitrator() external {
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotArbitrator.selector, owner));
        vm.prank(owner);
        disputes.rule(disputeId, 1);
        // Not even a committee member directly.
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotArbitrator.selector, judge1));
        vm.prank(judge1);
        disputes.rule(disputeId, 1);
    }

    function test_RevertWhen_UnknownDispute() external {
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_UnknownArbitratorDispute.selector, 7));
        vm.prank(address(committee));
        disputes.rule(7, 1);
    }

    function test_RevertWhen_AlreadyRuled() external {
        vm.prank(address(committee));
        disputes.rule(disputeId, 1);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_AlreadyRuled.selector, id));
        vm.prank(address(committee));
        disputes.rule(disputeId, 2);
    }

    function test_RevertWhen_AfterDeadline() external {
        uint256 deadline = disputes.dispute(id).deadline;
        vm.warp(deadline);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RulingAfterDeadline.selector, id, deadline)
        );
        vm.prank(address(committee));
        disputes.rule(disputeId, 1);
    }

    function test_RevertWhen_RulingOutOfRange() external {
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RulingOutOfRange.selector, 10_002, 10_001)
        );
        vm.prank(address(committee));
        disputes.rule(disputeId, 10_002);
    }

    function test_WhenCommitteeReachesQuorum() external {
        vm.prank(judge1);
        committee.vote(disputeId, 7001);
        assertEq(uint8(disputes.dispute(id).status), uint8(IDisputeModule.DisputeStatus.Open), "one vote of two");

        vm.expectEmit(address(disputes));
        emit IArbitrable.Ruling(IArbitrator(address(committee)), disputeId, 7001);
        vm.prank(judge2);
        committee.vote(disputeId, 7001);
        IDisputeModule.Dispute memory d = disputes.dispute(id);
        assertEq(uint8(d.status), uint8(IDisputeModule.DisputeStatus.Ruled));
        assertEq(d.ruling, 7001);
    }

    function test_WhenHighestRuling() external {
        vm.prank(address(committee));
        disputes.rule(disputeId, 10_001);
        assertEq(disputes.dispute(id).ruling, 10_001);
    }
}
