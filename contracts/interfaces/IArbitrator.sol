// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IArbitrable} from "./IArbitrable.sol";

/// @title IArbitrator
/// @notice The arbitrator side of ERC-792 (the interface Kleros arbitrators implement): an arbitrable contract opens
/// a dispute with `createDispute`, paying `arbitrationCost`, and the arbitrator later calls back
/// `IArbitrable.rule(disputeID, ruling)` once, with 0 ≤ ruling ≤ choices.
///
/// Rulings: 0 means "refused to arbitrate"; 1..choices are the options the arbitrable defined. The convention of
/// gpu-escrow's dispute module: `choices = 10 001`, and a ruling r in 1..10 001 gives the renter a share of
/// r − 1 bps (0..10 000) of the frozen amount, the provider the rest; ruling 0 leaves the dispute to the module's
/// fallback.
///
/// Only the part of ERC-792 the dispute module calls is declared here (no appeals).
interface IArbitrator {
    /// @notice A dispute was created; `arbitrable` will receive the ruling.
    event DisputeCreation(uint256 indexed disputeID, IArbitrable indexed arbitrable);

    /// @notice Opens a dispute for the caller (the arbitrable) between `choices` options.
    /// @param choices The number of options a ruling can pick, not counting 0 ("refused to arbitrate").
    /// @param extraData Arbitrator-specific parameters (e.g. a Kleros court and juror count); may be empty.
    /// @dev Requirements: `msg.value == arbitrationCost(extraData)`.
    /// @return disputeID The arbitrator's id of the dispute, as passed back in `rule`.
    function createDispute(uint256 choices, bytes calldata extraData) external payable returns (uint256 disputeID);

    /// @notice What `createDispute` must be paid with these `extraData`, in the native coin.
    /// @param extraData As in `createDispute`.
    /// @return cost The fee, in wei.
    function arbitrationCost(bytes calldata extraData) external view returns (uint256 cost);
}
