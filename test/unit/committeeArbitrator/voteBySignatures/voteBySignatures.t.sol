// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitteeArbitratorErrors as Errors} from "../../../../contracts/arbitration/CommitteeArbitratorErrors.sol";
import {IArbitrable} from "../../../../contracts/interfaces/IArbitrable.sol";
import {ICommitteeArbitrator} from "../../../../contracts/interfaces/ICommitteeArbitrator.sol";
import {ERC1271Wallet} from "../../../mocks/ERC1271Wallet.sol";
import {CommitteeArbitratorBase} from "../../../utils/CommitteeArbitratorBase.t.sol";

contract CommitteeArbitrator_VoteBySignatures_Unit_Test is CommitteeArbitratorBase {
    uint256 internal id;

    function setUp() public override {
        super.setUp();
        id = openDispute();
    }

    function relay(uint256 disputeID, uint256 ruling, address[] memory who, bytes[] memory sigs) internal {
        vm.prank(relayer);
        arbitrator.voteBySignatures(disputeID, ruling, who, sigs);
    }

    function expectInvalidSignature(address member) internal {
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_InvalidSignature.selector, id, member));
    }

    function test_RevertWhen_DisputeNotOpenOrRulingOutOfRange() external {
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(0), 5, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeNotFound.selector, 5));
        relay(5, 1, who, sigs);

        (who, sigs) = signedVotes(list(0), id, CHOICES + 1);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.CommitteeArbitrator_RulingOutOfRange.selector, id, CHOICES + 1, CHOICES)
        );
        relay(id, CHOICES + 1, who, sigs);

        (who, sigs) = signedVotes(list(0), id, 1);
        uint256 deadline = arbitrator.dispute(id).deadline;
        vm.warp(deadline);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeExpired.selector, id, deadline));
        relay(id, 1, who, sigs);

        uint256 id2 = openDispute();
        (who, sigs) = signedVotes(list(0, 1, 2), id2, 4);
        relay(id2, 4, who, sigs);
        (who, sigs) = signedVotes(list(3), id2, 4);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeAlreadyRuled.selector, id2, 4));
        relay(id2, 4, who, sigs);
        assertRuledOnce(id2, 4);
    }

    function test_RevertWhen_NoSignature() external {
        vm.expectRevert(Errors.CommitteeArbitrator_NoVotes.selector);
        relay(id, 1, new address[](0), new bytes[](0));
    }

    function test_RevertWhen_LengthsDiffer() external {
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(0, 1), id, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_LengthMismatch.selector, 2, 1));
        relay(id, 1, who, new bytes[](1));
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_LengthMismatch.selector, 1, 2));
        relay(id, 1, new address[](1), sigs);
    }

    function test_RevertWhen_SignerNotMember() external {
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(0, 1), id, 1);
        who[1] = outsider;
        sigs[1] = signVote(outsiderKey, address(arbitrator), id, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_NotMember.selector, outsider));
        relay(id, 1, who, sigs);
    }

    function test_RevertWhen_MemberAlreadyVotedOnChain() external {
        voteAs(1, id, 2);
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(0, 1), id, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_AlreadyVoted.selector, id, committee[1]));
        relay(id, 1, who, sigs);
    }

    function test_RevertWhen_MemberTwiceInList() external {
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(0, 1, 0), id, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_AlreadyVoted.selector, id, committee[0]));
        relay(id, 1, who, sigs);
        assertNotRuled(id);
    }

    function test_RevertWhen_SignedForAnotherRuling() external {
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(0, 1), id, 1);
        sigs[1] = signVote(keys[1], address(arbitrator), id, 2);
        expectInvalidSignature(committee[1]);
        relay(id, 1, who, sigs);
    }

    function test_RevertWhen_SignedForAnotherDispute() external {
        uint256 id2 = openDispute();
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(0), id2, 1);
        expectInvalidSignature(committee[0]);
        relay(id, 1, who, sigs);
    }

    function test_RevertWhen_SignedForAnotherArbitrator() external {
        ICommitteeArbitrator other = deployArbitrator(committee, QUORUM, RULING_PERIOD);
        assertEq(arbitrable.createDispute(other, CHOICES, ""), id); // same id on both
        address[] memory who = new address[](1);
        bytes[] memory sigs = new bytes[](1);
        who[0] = committee[0];
        sigs[0] = signVote(keys[0], address(other), id, 1);
        expectInvalidSignature(committee[0]);
        relay(id, 1, who, sigs);
        // It is valid where it was meant to be.
        vm.prank(relayer);
        other.voteBySignatures(id, 1, who, sigs);
        assertEq(other.votesFor(id, 1), 1);
    }

    function test_RevertWhen_SignedByAnotherKey() external {
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(0), id, 1);
        sigs[0] = signVote(keys[1], address(arbitrator), id, 1);
        expectInvalidSignature(committee[0]);
        relay(id, 1, who, sigs);
        sigs[0] = hex"1234";
        expectInvalidSignature(committee[0]);
        relay(id, 1, who, sigs);
    }

    function test_WhenVotesStayBelowQuorum() external {
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(3, 1), id, 77);
        vm.expectEmit(address(arbitrator));
        emit ICommitteeArbitrator.VoteCast(id, committee[3], 77);
        vm.expectEmit(address(arbitrator));
        emit ICommitteeArbitrator.VoteCast(id, committee[1], 77);
        relay(id, 77, who, sigs);
        assertEq(arbitrator.votesFor(id, 77), 2);
        assertTrue(arbitrator.hasVoted(id, committee[3]));
        assertTrue(arbitrator.hasVoted(id, committee[1]));
        assertNotRuled(id);
    }

    function test_WhenSignaturesAloneReachQuorum() external {
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(4, 0, 2), id, 10_001);
        vm.expectEmit(address(arbitrator));
        emit ICommitteeArbitrator.DisputeRuled(id, IArbitrable(address(arbitrable)), 10_001);
        // Anyone may relay, a member or not.
        vm.prank(outsider);
        arbitrator.voteBySignatures(id, 10_001, who, sigs);
        assertRuledOnce(id, 10_001);
    }

    function test_WhenOnChainVotesAndSignaturesReachQuorum() external {
        voteAs(2, id, 3333);
        voteAs(0, id, 1); // a vote for another ruling changes nothing
        (address[] memory who, bytes[] memory sigs) = signedVotes(list(1), id, 3333);
        relay(id, 3333, who, sigs);
        assertNotRuled(id);
        (who, sigs) = signedVotes(list(4), id, 3333);
        relay(id, 3333, who, sigs);
        assertEq(arbitrator.votesFor(id, 3333), 3);
        assertRuledOnce(id, 3333);
        // The last member's vote is refused now.
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeAlreadyRuled.selector, id, 3333));
        voteAs(3, id, 3333);
    }

    function test_WhenMoreSignaturesThanQuorum() external {
        uint256[] memory idx = new uint256[](5);
        for (uint256 i; i < 5; ++i) {
            idx[i] = i;
        }
        (address[] memory who, bytes[] memory sigs) = signedVotes(idx, id, 6);
        relay(id, 6, who, sigs);
        assertEq(arbitrator.votesFor(id, 6), 5);
        assertRuledOnce(id, 6);
        assertEq(arbitrable.receivedCount(), 1);
    }

    function test_WhenSignatures64Bytes() external {
        address[] memory who = new address[](3);
        bytes[] memory sigs = new bytes[](3);
        for (uint256 i; i < 3; ++i) {
            who[i] = committee[i];
            (bytes32 r, bytes32 vs) = vm.signCompact(keys[i], digestOf(address(arbitrator), id, 2));
            sigs[i] = abi.encodePacked(r, vs);
        }
        relay(id, 2, who, sigs);
        assertRuledOnce(id, 2);
    }

    function deployWithWallet() internal returns (ICommitteeArbitrator a, uint256 d, address wallet, uint256 ownerKey) {
        address walletOwner;
        (walletOwner, ownerKey) = makeAddrAndKey("walletOwner");
        wallet = address(new ERC1271Wallet(walletOwner));
        address[] memory m = new address[](2);
        (m[0], m[1]) = (committee[0], wallet);
        a = deployArbitrator(m, 2, RULING_PERIOD);
        d = arbitrable.createDispute(a, 3, "");
    }

    function test_WhenMemberIsERC1271WalletAndOwnerSigned() external {
        (ICommitteeArbitrator a, uint256 d, address wallet, uint256 ownerKey) = deployWithWallet();
        address[] memory who = new address[](2);
        bytes[] memory sigs = new bytes[](2);
        (who[0], who[1]) = (committee[0], wallet);
        sigs[0] = signVote(keys[0], address(a), d, 3);
        sigs[1] = signVote(ownerKey, address(a), d, 3);
        vm.prank(relayer);
        a.voteBySignatures(d, 3, who, sigs);
        assertTrue(a.hasVoted(d, wallet));
        assertEq(uint8(a.disputeStatus(d)), uint8(ICommitteeArbitrator.DisputeStatus.Ruled));
        assertEq(arbitrable.ruleCalls(address(a), d), 1);
    }

    function test_RevertWhen_MemberIsERC1271WalletAndAnotherKeySigned() external {
        (ICommitteeArbitrator a, uint256 d, address wallet,) = deployWithWallet();
        address[] memory who = new address[](1);
        bytes[] memory sigs = new bytes[](1);
        who[0] = wallet;
        sigs[0] = signVote(outsiderKey, address(a), d, 3);
        vm.expectRevert(abi.encodeWithSelector(Errors.CommitteeArbitrator_InvalidSignature.selector, d, wallet));
        vm.prank(relayer);
        a.voteBySignatures(d, 3, who, sigs);
    }
}
