// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";

import {IArbitrable} from "./IArbitrable.sol";
import {IArbitrator} from "./IArbitrator.sol";

/// @title ICommitteeArbitrator
/// @notice An ERC-792 arbitrator decided by a fixed m-of-n committee, for local and small deployments.
///
/// Rules:
/// - The committee (1 to MAX_MEMBERS distinct non-zero members), its quorum (1 ≤ quorum ≤ members) and the ruling
///   period (at least 1 s) are set at deployment and never change. The constructor reverts with
///   `CommitteeArbitrator_InvalidCommitteeSize`, `CommitteeArbitrator_InvalidQuorum`,
///   `CommitteeArbitrator_ZeroRulingPeriod`, `CommitteeArbitrator_ZeroMember(index)` or
///   `CommitteeArbitrator_DuplicateMember(member)` otherwise.
/// - Any contract may create a dispute; it is the arbitrable that receives the ruling. Creation is free
///   (`arbitrationCost` is 0) and sending value is refused.
/// - Each member has one vote per dispute, for a ruling in 0..choices, cast on-chain (`vote`) or as an EIP-712
///   signature that anyone relays (`voteBySignatures`). A vote cannot be changed.
/// - The first ruling to reach `quorum` votes is final: the dispute becomes Ruled and
///   `IArbitrable(arbitrable).rule(disputeID, ruling)` is called exactly once, in the same transaction.
/// - Votes count only before the dispute's deadline (`createdAt + rulingPeriod`). From the deadline on, a dispute
///   without quorum is Expired: it is never ruled, and the arbitrable applies its own fallback. An arbitrable may
///   therefore run its fallback at `deadline` without racing a ruling.
/// - If the arbitrable's `rule` reverts, the vote that reached quorum reverts with it; the dispute stays Waiting
///   and expires unless another ruling reaches quorum.
///
/// Signed votes are EIP-712 typed data `Vote(address arbitrator,uint256 disputeID,uint256 ruling)` under the domain
/// ("CommitteeArbitrator", "1", chainId, this contract), checked with ECDSA and, for contract-wallet members,
/// ERC-1271; a signature is valid for one arbitrator, dispute and ruling only.
interface ICommitteeArbitrator is IArbitrator, IERC5267 {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @dev None: no such dispute. Waiting: open for votes. Ruled: a ruling reached quorum and was sent to the
    /// arbitrable. Expired: the deadline passed without quorum (never stored; derived from the deadline).
    enum DisputeStatus {
        None,
        Waiting,
        Ruled,
        Expired
    }

    /// @param arbitrable The contract that created the dispute and receives the ruling.
    /// @param deadline First second at which votes are refused.
    /// @param status As `disputeStatus` reports it (Expired included).
    /// @param voters Bit i set when `members()[i]` voted.
    /// @param choices Highest ruling a member may vote for.
    /// @param ruling The final ruling; meaningful only when status is Ruled.
    struct Dispute {
        IArbitrable arbitrable;
        uint40 deadline;
        DisputeStatus status;
        uint32 voters;
        uint256 choices;
        uint256 ruling;
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `member` voted for `ruling` on dispute `disputeID` (on-chain or by a relayed signature).
    event VoteCast(uint256 indexed disputeID, address indexed member, uint256 ruling);

    /// @notice `ruling` reached quorum on dispute `disputeID` and was sent to `arbitrable`.
    event DisputeRuled(uint256 indexed disputeID, IArbitrable indexed arbitrable, uint256 ruling);

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Opens a dispute for the caller (the arbitrable, which will receive the ruling) between `choices`
    /// options. Free: `arbitrationCost` is 0. Ids count from 0, one per dispute. Emits `DisputeCreation`.
    /// @dev Requirements: no value sent (`CommitteeArbitrator_ValueMismatch(0, msg.value)`); choices ≥ 1
    /// (`CommitteeArbitrator_NoChoices`).
    /// @param choices The number of options a ruling can pick, not counting 0 ("refused to arbitrate").
    /// @param extraData Ignored.
    /// @return disputeID The dispute's id, as passed back in `IArbitrable.rule`.
    function createDispute(uint256 choices, bytes calldata extraData)
        external
        payable
        override
        returns (uint256 disputeID);

    /// @notice The caller, a member, votes for `ruling` on dispute `disputeID`; rules the dispute if that ruling
    /// reaches quorum.
    /// @dev Requirements, in this order:
    /// - the dispute exists (`CommitteeArbitrator_DisputeNotFound`), is not ruled
    ///   (`CommitteeArbitrator_DisputeAlreadyRuled`) and its deadline has not come (`CommitteeArbitrator_DisputeExpired`);
    /// - ruling ≤ choices (`CommitteeArbitrator_RulingOutOfRange`);
    /// - the caller is a member (`CommitteeArbitrator_NotMember`) that has not voted on it
    ///   (`CommitteeArbitrator_AlreadyVoted`).
    /// Emits `VoteCast`, and `DisputeRuled` when quorum is reached; a revert of the arbitrable's `rule` reverts the
    /// vote.
    /// @param disputeID The dispute.
    /// @param ruling 0 (refuse to arbitrate) to the dispute's choices.
    function vote(uint256 disputeID, uint256 ruling) external;

    /// @notice Counts one vote for `ruling` on dispute `disputeID` per (member, EIP-712 signature) pair, then rules the
    /// dispute if that ruling has reached quorum. Anyone may relay the signatures.
    /// @dev Requirements: the dispute and ruling rules of `vote` (`CommitteeArbitrator_DisputeNotFound`,
    /// `CommitteeArbitrator_DisputeAlreadyRuled`, `CommitteeArbitrator_DisputeExpired`,
    /// `CommitteeArbitrator_RulingOutOfRange`); at least one signature (`CommitteeArbitrator_NoVotes`); as many
    /// signatures as members (`CommitteeArbitrator_LengthMismatch`); each `members_[i]` is a member
    /// (`CommitteeArbitrator_NotMember`), has not voted, on-chain or earlier in the list
    /// (`CommitteeArbitrator_AlreadyVoted`), and signed `voteDigest(disputeID, ruling)`: ECDSA (65 or 64 bytes) or
    /// ERC-1271 with at most `SignatureCheck.ERC1271_GAS` gas (`CommitteeArbitrator_InvalidSignature`;
    /// `SignatureCheck_InsufficientGas` when the caller left too little gas for that check).
    /// Emits `VoteCast` per vote, and `DisputeRuled` when quorum is reached.
    /// @param disputeID The dispute.
    /// @param ruling The ruling every signature is for.
    /// @param members_ The members who signed, in the order of `signatures`.
    /// @param signatures Their signatures of `voteDigest(disputeID, ruling)`.
    function voteBySignatures(
        uint256 disputeID,
        uint256 ruling,
        address[] calldata members_,
        bytes[] calldata signatures
    ) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The largest committee.
    /// @return 32.
    function MAX_MEMBERS() external view returns (uint256);

    /// @notice keccak256("Vote(address arbitrator,uint256 disputeID,uint256 ruling)").
    /// @return The type hash.
    function VOTE_TYPEHASH() external view returns (bytes32);

    /// @notice Votes a ruling needs to be final.
    /// @return The quorum.
    function quorum() external view returns (uint256);

    /// @notice Seconds a dispute stays open for votes after its creation.
    /// @return The ruling period, in seconds.
    function rulingPeriod() external view returns (uint256);

    /// @notice The committee, in the order given at deployment.
    /// @return The members.
    function members() external view returns (address[] memory);

    /// @notice Whether `account` is on the committee.
    /// @param account Any address.
    /// @return True for a member.
    function isMember(address account) external view returns (bool);

    /// @notice How many disputes were created; the next one gets this id.
    /// @return The count.
    function disputeCount() external view returns (uint256);

    /// @notice Dispute `disputeID`, with its status as `disputeStatus` reports it (all zero when it does not exist).
    /// @param disputeID The dispute.
    /// @return The dispute.
    function dispute(uint256 disputeID) external view returns (Dispute memory);

    /// @notice None, Waiting, Ruled, or Expired (deadline reached without quorum).
    /// @param disputeID The dispute.
    /// @return Its status now.
    function disputeStatus(uint256 disputeID) external view returns (DisputeStatus);

    /// @notice Votes cast for `ruling` on dispute `disputeID`.
    /// @param disputeID The dispute.
    /// @param ruling The ruling.
    /// @return The number of votes.
    function votesFor(uint256 disputeID, uint256 ruling) external view returns (uint256);

    /// @notice Whether `member` voted on dispute `disputeID` (false for non-members).
    /// @param disputeID The dispute.
    /// @param member The member.
    /// @return True once it voted.
    function hasVoted(uint256 disputeID, address member) external view returns (bool);

    /// @notice The EIP-712 digest a member signs to vote for `ruling` on dispute `disputeID`.
    /// @param disputeID The dispute.
    /// @param ruling The ruling.
    /// @return The digest.
    function voteDigest(uint256 disputeID, uint256 ruling) external view returns (bytes32);
}
