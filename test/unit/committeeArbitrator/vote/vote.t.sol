// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitteeArbitratorErrors as Errors} from "../../../../contracts/arbitration/CommitteeArbitratorErrors.sol";
import {IArbitrable} from "../../../../contracts/interfaces/IArbitrable.sol";
import {ICommitteeArbitrator} from "../../../../contracts/interfaces/ICommitteeArbitrator.sol";
import {ArbitrableMock} from "../../../mocks/ArbitrableMock.sol";
import {ERC1271Wallet} from "../../../mocks/ERC1271Wallet.sol";
import {CommitteeArbitratorBase} from "../../../utils/CommitteeArbitratorBase.t.sol";

contract CommitteeArbitrator_Vote_Unit_Test is CommitteeArbitratorBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = openDispute();
    }

    function test_RevertWhen_DisputeNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeNotFound.selector, 1));
        vm.prank(committee[0]);
        arbitrator.vote(1, 1);
    }

    function test_RevertWhen_DisputeAlreadyRuled() external {
        voteAs(0, id, 5001);
        voteAs(1, id, 5001);
        voteAs(2, id, 5001);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeAlreadyRuled.selector, id, 5001));
        vm.prank(committee[3]);
        arbitrator.vote(id, 5001);
        assertRuledOnce(id, 5001);
    }

    function test_RevertWhen_DeadlineReached() external {
        uint256 deadline = arbitrator.dispute(id).deadline;
        voteAs(0, id, 1);
        voteAs(1, id, 1);
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeExpired.selector, id, deadline));
        vm.prank(committee[2]);
        arbitrator.vote(id, 1);
        vm.warp(deadline + 30 days);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeExpired.selector, id, deadline));
        vm.prank(committee[2]);
        arbitrator.vote(id, 1);
        assertNotRuled(id);
        assertEq(uint8(arbitrator.disputeStatus(id)), uint8(ICommitteeArbitrator.DisputeStatus.Expired));
    }

    function test_RevertWhen_RulingAboveChoices() external {
        vm.expectRevert(
            abi.encodeWithSelector(Errors.CommitteeArbitrator_RulingOutOfRange.selector, id, CHOICES + 1, CHOICES)
        );
        vm.prank(committee[0]);
        arbitrator.vote(id, CHOICES + 1);
        assertFalse(arbitrator.hasVoted(id, committee[0]));
    }

    function test_RevertWhen_CallerNotMember() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_NotMember.selector, outsider));
        vm.prank(outsider);
        arbitrator.vote(id, 1);
    }

    function test_RevertWhen_CallerAlreadyVoted() external {
        voteAs(0, id, 7);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_AlreadyVoted.selector, id, committee[0]));
        vm.prank(committee[0]);
        arbitrator.vote(id, 7);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_AlreadyVoted.selector, id, committee[0]));
        vm.prank(committee[0]);
        arbitrator.vote(id, 8);
        assertEq(arbitrator.votesFor(id, 7), 1);
        assertEq(arbitrator.votesFor(id, 8), 0);
    }

    function test_WhenRulingStaysBelowQuorum() external {
        vm.expectEmit(address(arbitrator));
        emit ICommitteeArbitrator.VoteCast(id, committee[3], 10_001);
        voteAs(3, id, 10_001);
        voteAs(4, id, 10_001);
        assertEq(arbitrator.votesFor(id, 10_001), 2);
        assertTrue(arbitrator.hasVoted(id, committee[3]));
        assertTrue(arbitrator.hasVoted(id, committee[4]));
        assertFalse(arbitrator.hasVoted(id, committee[0]));
        assertFalse(arbitrator.hasVoted(id, outsider));
        assertEq(arbitrator.dispute(id).voters, (1 << 3) | (1 << 4));
        assertEq(uint8(arbitrator.disputeStatus(id)), uint8(ICommitteeArbitrator.DisputeStatus.Waiting));
        assertNotRuled(id);
    }

    function test_WhenRulingReachesQuorum() external {
        voteAs(0, id, 2501);
        voteAs(4, id, 1); // another ruling does not count towards 2501
        voteAs(2, id, 2501);
        vm.expectEmit(address(arbitrator));
        emit ICommitteeArbitrator.VoteCast(id, committee[1], 2501);
        vm.expectEmit(address(arbitrator));
        emit ICommitteeArbitrator.DisputeRuled(id, IArbitrable(address(arbitrable)), 2501);
        vm.expectEmit(address(arbitrable));
        emit IArbitrable.Ruling(arbitrator, id, 2501);
        voteAs(1, id, 2501);
        assertEq(arbitrator.votesFor(id, 2501), 3);
        assertRuledOnce(id, 2501);
        assertEq(arbitrable.receivedCount(), 1);
    }

    function test_WhenRulingZeroReachesQuorum() external {
        voteAs(0, id, 0);
        voteAs(1, id, 0);
        voteAs(2, id, 0);
        assertRuledOnce(id, 0);
    }

    function test_WhenVoteInLastSecondBeforeDeadline() external {
        voteAs(0, id, 1);
        voteAs(1, id, 1);
        vm.warp(arbitrator.dispute(id).deadline - 1);
        voteAs(2, id, 1);
        assertRuledOnce(id, 1);
    }

    function test_WhenMemberIsContractWallet() external {
        address walletOwner = makeAddr("walletOwner");
        ERC1271Wallet wallet = new ERC1271Wallet(walletOwner);
        address[] memory m = new address[](2);
        (m[0], m[1]) = (address(wallet), committee[0]);
        ICommitteeArbitrator a = deployArbitrator(m, 2, RULING_PERIOD);
        uint256 d = arbitrable.createDispute(a, 3, "");
        vm.prank(address(wallet));
        a.vote(d, 2);
        assertTrue(a.hasVoted(d, address(wallet)));
        vm.prank(committee[0]);
        a.vote(d, 2);
        assertEq(uint8(a.disputeStatus(d)), uint8(ICommitteeArbitrator.DisputeStatus.Ruled));
        assertEq(arbitrable.ruleCalls(address(a), d), 1);
    }

    function test_WhenVotesSplitWithoutQuorum() external {
        voteAs(0, id, 1);
        voteAs(1, id, 1);
        voteAs(2, id, 2);
        voteAs(3, id, 2);
        voteAs(4, id, 3);
        assertNotRuled(id);
        assertEq(uint8(arbitrator.disputeStatus(id)), uint8(ICommitteeArbitrator.DisputeStatus.Waiting));
        vm.warp(arbitrator.dispute(id).deadline);
        assertEq(uint8(arbitrator.disputeStatus(id)), uint8(ICommitteeArbitrator.DisputeStatus.Expired));
        assertEq(uint8(arbitrator.dispute(id).status), uint8(ICommitteeArbitrator.DisputeStatus.Expired));
        assertNotRuled(id);
    }

    function test_WhenArbitrableRuleReverts() external {
        arbitrable.setRevertOnRule(true);
        voteAs(0, id, 9);
        voteAs(1, id, 9);
        vm.expectRevert(ArbitrableMock.ArbitrableMock_RuleRefused.selector);
        vm.prank(committee[2]);
        arbitrator.vote(id, 9);
        assertEq(arbitrator.votesFor(id, 9), 2);
        assertFalse(arbitrator.hasVoted(id, committee[2]));
        assertEq(uint8(arbitrator.disputeStatus(id)), uint8(ICommitteeArbitrator.DisputeStatus.Waiting));
        // Once the arbitrable accepts rulings again, the same vote goes through.
        arbitrable.setRevertOnRule(false);
        voteAs(2, id, 9);
        assertRuledOnce(id, 9);
    }
}
