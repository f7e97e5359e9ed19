// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IArbitrable} from "../interfaces/IArbitrable.sol";
import {IArbitrator} from "../interfaces/IArbitrator.sol";
import {ICommitteeArbitrator} from "../interfaces/ICommitteeArbitrator.sol";
import {SignatureCheck} from "../libraries/SignatureCheck.sol";
import {CommitteeArbitratorErrors as Errors} from "./CommitteeArbitratorErrors.sol";

/// @title CommitteeArbitrator
/// @notice An ERC-792 arbitrator decided by a fixed m-of-n committee. The rules are in `ICommitteeArbitrator`.
contract CommitteeArbitrator is ICommitteeArbitrator, EIP712 {
    /// @inheritdoc ICommitteeArbitrator
    uint256 public constant override MAX_MEMBERS = 32;

    /// @inheritdoc ICommitteeArbitrator
    bytes32 public constant override VOTE_TYPEHASH =
        keccak256("Vote(address arbitrator,uint256 disputeID,uint256 ruling)");

    /// @inheritdoc ICommitteeArbitrator
    uint256 public immutable override quorum;

    /// @inheritdoc ICommitteeArbitrator
    uint256 public immutable override rulingPeriod;

    /// @inheritdoc ICommitteeArbitrator
    uint256 public override disputeCount;

    /// @dev The committee in deployment order; written only by the constructor.
    address[] private _members;

    /// @dev 1 << (index in `_members`) for a member, 0 for anyone else: the member's bit in `Dispute.voters`.
    mapping(address account => uint256 bit) private _memberBit;

    /// @dev Stored status is None, Waiting or Ruled; Expired is derived from the deadline by `_status`.
    mapping(uint256 disputeID => Dispute) private _disputes;

    mapping(uint256 disputeID => mapping(uint256 ruling => uint256 votes)) private _votes;

    /// @param members_ The committee: 1 to MAX_MEMBERS distinct non-zero addresses (EOAs or ERC-1271 wallets).
    /// @param quorum_ Votes a ruling needs, 1 ≤ quorum_ ≤ members_.length.
    /// @param rulingPeriod_ Seconds a dispute stays open for votes, at least 1.
    constructor(address[] memory members_, uint256 quorum_, uint32 rulingPeriod_) EIP712("CommitteeArbitrator", "1") {
        uint256 n = members_.length;
        if (n == 0 || n > MAX_MEMBERS) revert Errors.CommitteeArbitrator_InvalidCommitteeSize(n, MAX_MEMBERS);
        if (quorum_ == 0 || quorum_ > n) revert Errors.CommitteeArbitrator_InvalidQuorum(quorum_, n);
        if (rulingPeriod_ == 0) revert Errors.CommitteeArbitrator_ZeroRulingPeriod();
        for (uint256 i; i < n; ++i) {
            address m = members_[i];
            if (m == address(0)) revert Errors.CommitteeArbitrator_ZeroMember(i);
            if (_memberBit[m] != 0) revert Errors.CommitteeArbitrator_DuplicateMember(m);
            _memberBit[m] = 1 << i;
        }
        _members = members_;
        quorum = quorum_;
        rulingPeriod = rulingPeriod_;
    }

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICommitteeArbitrator
    function createDispute(uint256 choices, bytes calldata) external payable override returns (uint256 disputeID) {
        if (msg.value != 0) revert Errors.CommitteeArbitrator_ValueMismatch(0, msg.value);
        if (choices == 0) revert Errors.CommitteeArbitrator_NoChoices();
        disputeID = disputeCount;
        // One id per call: 2^256 disputes can never be created.
        unchecked {
            disputeCount = disputeID + 1;
        }
        // Field by field: slot 0 in one write, and the zero ruling and voter set not written at all.
        Dispute storage d = _disputes[disputeID];
        d.arbitrable = IArbitrable(msg.sender);
        // rulingPeriod < 2^32 and block.timestamp < 2^39 for the next ~17 000 years: the sum fits in 40 bits.
        d.deadline = uint40(block.timestamp + rulingPeriod);
        d.status = DisputeStatus.Waiting;
        d.choices = choices;
        emit DisputeCreation(disputeID, IArbitrable(msg.sender));
    }

    /// @inheritdoc ICommitteeArbitrator
    function vote(uint256 disputeID, uint256 ruling) external override {
        Dispute storage d = _openDispute(disputeID, ruling);
        if (_castVote(disputeID, d, msg.sender, ruling) >= quorum) _rule(disputeID, d, ruling);
    }

    /// @inheritdoc ICommitteeArbitrator
    function voteBySignatures(
        uint256 disputeID,
        uint256 ruling,
        address[] calldata members_,
        bytes[] calldata signatures
    ) external override {
        Dispute storage d = _openDispute(disputeID, ruling);
        uint256 n = members_.length;
        if (n == 0) revert Errors.CommitteeArbitrator_NoVotes();
        if (n != signatures.length) revert Errors.CommitteeArbitrator_LengthMismatch(n, signatures.length);
        bytes32 digest = voteDigest(disputeID, ruling);
        uint256 votes;
        for (uint256 i; i < n; ++i) {
            address member = members_[i];
            // Membership and double votes first (in `_castVote`), so a non-member's contract is never called.
            votes = _castVote(disputeID, d, member, ruling);
            if (!SignatureCheck.isValidNow(member, digest, signatures[i])) {
                revert Errors.CommitteeArbitrator_InvalidSignature(disputeID, member);
            }
        }
        if (votes >= quorum) _rule(disputeID, d, ruling);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IArbitrator
    function arbitrationCost(bytes calldata) external pure override returns (uint256) {
        return 0;
    }

    /// @inheritdoc ICommitteeArbitrator
    function members() external view override returns (address[] memory) {
        return _members;
    }

    /// @inheritdoc ICommitteeArbitrator
    function isMember(address account) external view override returns (bool) {
        return _memberBit[account] != 0;
    }

    /// @inheritdoc ICommitteeArbitrator
    function dispute(uint256 disputeID) external view override returns (Dispute memory d) {
        d = _disputes[disputeID];
        d.status = _status(d);
    }

    /// @inheritdoc ICommitteeArbitrator
    function disputeStatus(uint256 disputeID) external view override returns (DisputeStatus) {
        return _status(_disputes[disputeID]);
    }

    /// @inheritdoc ICommitteeArbitrator
    function votesFor(uint256 disputeID, uint256 ruling) external view override returns (uint256) {
        return _votes[disputeID][ruling];
    }

    /// @inheritdoc ICommitteeArbitrator
    function hasVoted(uint256 disputeID, address member) external view override returns (bool) {
        return _disputes[disputeID].voters & _memberBit[member] != 0;
    }

    /// @inheritdoc ICommitteeArbitrator
    function voteDigest(uint256 disputeID, uint256 ruling) public view override returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(VOTE_TYPEHASH, address(this), disputeID, ruling)));
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Reverts unless dispute `disputeID` is Waiting and `ruling` is one of its choices.
    function _openDispute(uint256 disputeID, uint256 ruling) private view returns (Dispute storage d) {
        d = _disputes[disputeID];
        DisputeStatus status = d.status;
        if (status == DisputeStatus.None) revert Errors.CommitteeArbitrator_DisputeNotFound(disputeID);
        if (status == DisputeStatus.Ruled) revert Errors.CommitteeArbitrator_DisputeAlreadyRuled(disputeID, d.ruling);
        if (block.timestamp >= d.deadline) revert Errors.CommitteeArbitrator_DisputeExpired(disputeID, d.deadline);
        if (ruling > d.choices) revert Errors.CommitteeArbitrator_RulingOutOfRange(disputeID, ruling, d.choices);
    }

    /// @dev Records `member`'s vote for `ruling`; returns the ruling's vote count after it.
    function _castVote(uint256 disputeID, Dispute storage d, address member, uint256 ruling)
        private
        returns (uint256 votes)
    {
        uint256 bit = _memberBit[member];
        if (bit == 0) revert Errors.CommitteeArbitrator_NotMember(member);
        uint32 voters = d.voters;
        if (voters & bit != 0) revert Errors.CommitteeArbitrator_AlreadyVoted(disputeID, member);
        // bit is 1 << i with i < MAX_MEMBERS = 32, so it fits in 32 bits.
        d.voters = voters | uint32(bit);
        // Each member votes once per dispute: a count never exceeds MAX_MEMBERS.
        unchecked {
            votes = _votes[disputeID][ruling] + 1;
        }
        _votes[disputeID][ruling] = votes;
        emit VoteCast(disputeID, member, ruling);
    }

    /// @dev Makes `ruling` final, then tells the arbitrable (effects before the call: a re-entering vote sees Ruled).
    function _rule(uint256 disputeID, Dispute storage d, uint256 ruling) private {
        d.status = DisputeStatus.Ruled;
        d.ruling = ruling;
        IArbitrable arbitrable = d.arbitrable;
        emit DisputeRuled(disputeID, arbitrable, ruling);
        arbitrable.rule(disputeID, ruling);
    }

    function _status(Dispute memory d) private view returns (DisputeStatus) {
        if (d.status == DisputeStatus.Waiting && block.timestamp >= d.deadline) return DisputeStatus.Expired;
        return d.status;
    }
}
