// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitteeArbitratorErrors as Errors} from "../../contracts/arbitration/CommitteeArbitratorErrors.sol";
import {ICommitteeArbitrator} from "../../contracts/interfaces/ICommitteeArbitrator.sol";
import {ArbitrableMock} from "../mocks/ArbitrableMock.sol";
import {CommitteeArbitratorBase} from "../utils/CommitteeArbitratorBase.t.sol";

/// @notice Random committees and random vote sequences (on-chain votes and relayed signature bundles, with time
/// passing) against a model: a dispute is ruled iff some ruling got `quorum` votes before the deadline, and the
/// arbitrable then receives exactly that ruling, once.
contract CommitteeArbitrator_Fuzz_Test is CommitteeArbitratorBase {
    uint256 internal constant FUZZ_CHOICES = 3;
    uint256 internal constant MAX_STEPS = 64;
    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    /// @dev What the arbitrator should have done so far.
    struct Model {
        uint256 n;
        uint256 quorum;
        uint256 deadline;
        bool[] voted;
        uint256[] votes;
        bool ruled;
        uint256 ruling;
    }

    ICommitteeArbitrator internal a;
    uint256 internal id;
    address[] internal fm;
    uint256[] internal fk;

    function setupCommittee(uint256 n, uint256 q) internal returns (Model memory model) {
        for (uint256 i; i < n; ++i) {
            uint256 k = bound(uint256(keccak256(abi.encode("fuzz-member", i))), 1, SECP256K1_N - 1);
            fk.push(k);
            fm.push(vm.addr(k));
        }
        a = deployArbitrator(fm, q, RULING_PERIOD);
        id = arbitrable.createDispute(a, FUZZ_CHOICES, "");
        model.n = n;
        model.quorum = q;
        model.deadline = block.timestamp + RULING_PERIOD;
        model.voted = new bool[](n);
        model.votes = new uint256[](FUZZ_CHOICES + 1);
    }

    /// @dev The error the dispute checks give, if any (the ruling is always within the choices here).
    function disputeError(Model memory model) internal view returns (bytes memory) {
        if (model.ruled) {
            return abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeAlreadyRuled.selector, id, model.ruling);
        }
        if (block.timestamp >= model.deadline) {
            return abi.encodeWithSelector(Errors.CommitteeArbitrator_DisputeExpired.selector, id, model.deadline);
        }
        return "";
    }

    function stepVote(Model memory model, uint256 who, uint256 ruling) internal {
        bytes memory err = disputeError(model);
        if (err.length == 0 && model.voted[who]) {
            err = abi.encodeWithSelector(Errors.CommitteeArbitrator_AlreadyVoted.selector, id, fm[who]);
        }
        if (err.length != 0) vm.expectRevert(err);
        vm.prank(fm[who]);
        a.vote(id, ruling);
        if (err.length == 0) {
            model.voted[who] = true;
            if (++model.votes[ruling] >= model.quorum) (model.ruled, model.ruling) = (true, ruling);
        }
    }

    function stepBundle(Model memory model, uint256 r, uint256 ruling) internal {
        uint256 size = 1 + (r >> 40) % 3;
        address[] memory who = new address[](size);
        bytes[] memory sigs = new bytes[](size);
        uint256[] memory idx = new uint256[](size);
        bytes memory err = disputeError(model);
        bool[] memory seen = new bool[](model.n);
        for (uint256 j; j < size; ++j) {
            idx[j] = (r >> (48 + 8 * j)) % model.n;
            who[j] = fm[idx[j]];
            sigs[j] = signVote(fk[idx[j]], address(a), id, ruling);
            if (err.length == 0 && (model.voted[idx[j]] || seen[idx[j]])) {
                err = abi.encodeWithSelector(Errors.CommitteeArbitrator_AlreadyVoted.selector, id, who[j]);
            }
            seen[idx[j]] = true;
        }
        if (err.length != 0) vm.expectRevert(err);
        vm.prank(relayer);
        a.voteBySignatures(id, ruling, who, sigs);
        if (err.length == 0) {
            for (uint256 j; j < size; ++j) {
                model.voted[idx[j]] = true;
            }
            model.votes[ruling] += size;
            if (model.votes[ruling] >= model.quorum) (model.ruled, model.ruling) = (true, ruling);
        }
    }

    function testFuzz_RuledIffQuorumBeforeDeadline(uint256 n, uint256 q, uint256 seed) external {
        n = bound(n, 1, 32);
        q = bound(q, 1, n);
        Model memory model = setupCommittee(n, q);

        uint256 steps = 1 + seed % MAX_STEPS;
        for (uint256 s; s < steps; ++s) {
            uint256 r = uint256(keccak256(abi.encode(seed, s)));
            // One step in four lets up to a quarter of the ruling period pass first.
            if ((r >> 24) % 4 == 0) vm.warp(block.timestamp + (r >> 32) % (RULING_PERIOD / 4));
            uint256 ruling = (r >> 8) % (FUZZ_CHOICES + 1);
            if ((r >> 16) % 2 == 0) stepVote(model, r % n, ruling);
            else stepBundle(model, r, ruling);
        }

        ICommitteeArbitrator.DisputeStatus expected = model.ruled
            ? ICommitteeArbitrator.DisputeStatus.Ruled
            : block.timestamp >= model.deadline
                ? ICommitteeArbitrator.DisputeStatus.Expired
                : ICommitteeArbitrator.DisputeStatus.Waiting;
        assertEq(uint8(a.disputeStatus(id)), uint8(expected), "status");
        for (uint256 c; c <= FUZZ_CHOICES; ++c) {
            assertEq(a.votesFor(id, c), model.votes[c], "votes");
        }
        for (uint256 i; i < n; ++i) {
            assertEq(a.hasVoted(id, fm[i]), model.voted[i], "voted");
        }
        assertEq(arbitrable.ruleCalls(address(a), id), model.ruled ? 1 : 0, "rule calls");
        assertEq(arbitrable.receivedCount(), model.ruled ? 1 : 0, "received");
        if (model.ruled) {
            ArbitrableMock.Received memory got = arbitrable.received(0);
            assertEq(got.arbitrator, address(a));
            assertEq(got.disputeID, id);
            assertEq(got.ruling, model.ruling, "ruling");
            assertEq(a.dispute(id).ruling, model.ruling);
        }
    }
}
