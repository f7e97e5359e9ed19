// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title CommitteeArbitratorErrors
/// @notice Every revert of the committee arbitrator, named `CommitteeArbitrator_Condition(args)` with the values that
/// explain it.
library CommitteeArbitratorErrors {
    /*//////////////////////////////////////////////////////////////
                               COMMITTEE
    //////////////////////////////////////////////////////////////*/

    error CommitteeArbitrator_InvalidCommitteeSize(uint256 members, uint256 maxMembers);
    error CommitteeArbitrator_InvalidQuorum(uint256 quorum, uint256 members);
    error CommitteeArbitrator_ZeroMember(uint256 index);
    error CommitteeArbitrator_DuplicateMember(address member);
    error CommitteeArbitrator_ZeroRulingPeriod();

    /*//////////////////////////////////////////////////////////////
                                DISPUTES
    //////////////////////////////////////////////////////////////*/

    error CommitteeArbitrator_ValueMismatch(uint256 expected, uint256 received);
    error CommitteeArbitrator_NoChoices();
    error CommitteeArbitrator_DisputeNotFound(uint256 disputeID);
    error CommitteeArbitrator_DisputeAlreadyRuled(uint256 disputeID, uint256 ruling);
    error CommitteeArbitrator_DisputeExpired(uint256 disputeID, uint256 deadline);

    /*//////////////////////////////////////////////////////////////
                                 VOTES
    //////////////////////////////////////////////////////////////*/

    error CommitteeArbitrator_RulingOutOfRange(uint256 disputeID, uint256 ruling, uint256 choices);
    error CommitteeArbitrator_NotMember(address account);
    error CommitteeArbitrator_AlreadyVoted(uint256 disputeID, address member);
    error CommitteeArbitrator_NoVotes();
    error CommitteeArbitrator_LengthMismatch(uint256 members, uint256 signatures);
    error CommitteeArbitrator_InvalidSignature(uint256 disputeID, address member);
}
