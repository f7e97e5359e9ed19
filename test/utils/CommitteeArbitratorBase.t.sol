// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Test} from "forge-std/Test.sol";

import {ICommitteeArbitrator} from "../../contracts/interfaces/ICommitteeArbitrator.sol";
import {ArbitrableMock} from "../mocks/ArbitrableMock.sol";

/// @dev Deploys creation code and bubbles up the constructor's revert.
contract CommitteeDeployer {
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

/// @notice Shared fixture: a 3-of-5 committee arbitrator with a 7-day ruling period, deployed from its via-IR
/// artifact, and an arbitrable that creates disputes with gpu-escrow's 10 001 choices.
abstract contract CommitteeArbitratorBase is Test {
    /// @dev Read from out/ by path, as the escrow is (see Base.t.sol): tests only see the interface.
    string internal constant ARBITRATOR_ARTIFACT = "out/CommitteeArbitrator.sol/CommitteeArbitrator.json";
    uint32 internal constant RULING_PERIOD = 7 days;
    uint256 internal constant QUORUM = 3;
    uint256 internal constant COMMITTEE_SIZE = 5;
    /// @dev gpu-escrow's convention: ruling r ≥ 1 is a renter share of r − 1 bps.
    uint256 internal constant CHOICES = 10_001;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant VOTE_TYPEHASH = keccak256("Vote(address arbitrator,uint256 disputeID,uint256 ruling)");

    ICommitteeArbitrator internal arbitrator;
    ArbitrableMock internal arbitrable;
    address[] internal committee;
    uint256[] internal keys;
    address internal outsider;
    uint256 internal outsiderKey;
    address internal relayer = makeAddr("relayer");

    function setUp() public virtual {
        vm.warp(1_750_000_000);
        for (uint256 i; i < COMMITTEE_SIZE; ++i) {
            (address m, uint256 k) = makeAddrAndKey(string.concat("member", vm.toString(i)));
            committee.push(m);
            keys.push(k);
        }
        (outsider, outsiderKey) = makeAddrAndKey("outsider");
        arbitrator = deployArbitrator(committee, QUORUM, RULING_PERIOD);
        arbitrable = new ArbitrableMock();
    }

    function deployArbitrator(address[] memory members_, uint256 quorum_, uint32 period)
        internal
        returns (ICommitteeArbitrator)
    {
        return ICommitteeArbitrator(deployCode(ARBITRATOR_ARTIFACT, abi.encode(members_, quorum_, period)));
    }

    function creationCode(address[] memory members_, uint256 quorum_, uint32 period)
        internal
        view
        returns (bytes memory)
    {
        return bytes.concat(vm.getCode(ARBITRATOR_ARTIFACT), abi.encode(members_, quorum_, period));
    }

    function openDispute() internal returns (uint256) {
        return arbitrable.createDispute(arbitrator, CHOICES, "");
    }

    function voteAs(uint256 member, uint256 disputeID, uint256 ruling) internal {
        vm.prank(committee[member]);
        arbitrator.vote(disputeID, ruling);
    }

    /// @dev The EIP-712 digest of a vote, computed here from the spec (not by the contract).
    function digestOf(address arb, uint256 disputeID, uint256 ruling) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("CommitteeArbitrator"), keccak256("1"), block.chainid, arb)
        );
        bytes32 structHash = keccak256(abi.encode(VOTE_TYPEHASH, arb, disputeID, ruling));
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    /// @dev A 65-byte (r ‖ s ‖ v) signature by `key` of a vote on `arb`.
    function signVote(uint256 key, address arb, uint256 disputeID, uint256 ruling)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digestOf(arb, disputeID, ruling));
        return abi.encodePacked(r, s, v);
    }

    /// @dev Signatures of committee members `idx` for `ruling` on `disputeID` of the fixture's arbitrator.
    function signedVotes(uint256[] memory idx, uint256 disputeID, uint256 ruling)
        internal
        view
        returns (address[] memory who, bytes[] memory sigs)
    {
        who = new address[](idx.length);
        sigs = new bytes[](idx.length);
        for (uint256 i; i < idx.length; ++i) {
            who[i] = committee[idx[i]];
            sigs[i] = signVote(keys[idx[i]], address(arbitrator), disputeID, ruling);
        }
    }

    function list(uint256 a) internal pure returns (uint256[] memory l) {
        l = new uint256[](1);
        l[0] = a;
    }

    function list(uint256 a, uint256 b) internal pure returns (uint256[] memory l) {
        l = new uint256[](2);
        (l[0], l[1]) = (a, b);
    }

    function list(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory l) {
        l = new uint256[](3);
        (l[0], l[1], l[2]) = (a, b, c);
    }

    /// @dev Asserts the arbitrable received exactly one `rule` call for `disputeID`, with `ruling`, at a moment the
    /// arbitrator already reported the dispute as Ruled.
    function assertRuledOnce(uint256 disputeID, uint256 ruling) internal view {
        assertEq(arbitrable.ruleCalls(address(arbitrator), disputeID), 1, "rule calls");
        assertEq(uint8(arbitrator.disputeStatus(disputeID)), uint8(ICommitteeArbitrator.DisputeStatus.Ruled));
        bool found;
        for (uint256 i; i < arbitrable.receivedCount(); ++i) {
            ArbitrableMock.Received memory r = arbitrable.received(i);
            if (r.arbitrator == address(arbitrator) && r.disputeID == disputeID) {
                assertEq(r.ruling, ruling, "ruling");
                assertEq(r.statusDuringRule, uint256(ICommitteeArbitrator.DisputeStatus.Ruled), "status during rule");
                found = true;
            }
        }
        assertTrue(found);
        assertEq(arbitrator.dispute(disputeID).ruling, ruling);
    }

    function assertNotRuled(uint256 disputeID) internal view {
        assertEq(arbitrable.ruleCalls(address(arbitrator), disputeID), 0, "rule calls");
    }
}
