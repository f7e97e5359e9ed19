// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IArbitrator} from "./IArbitrator.sol";

/// @title IArbitrable
/// @notice The arbitrable side of ERC-792: a contract whose disputes an `IArbitrator` decides.
///
/// Rulings: 0 means "refused to arbitrate"; 1..choices are the options the arbitrable defined when it created the
/// dispute. In gpu-escrow's dispute module (`choices = 10 001`), a ruling r in 1..10 001 gives the renter r − 1 bps
/// of the frozen amount.
interface IArbitrable {
    /// @notice Emitted by the arbitrable when it applies `ruling` of `arbitrator` on dispute `disputeID`.
    event Ruling(IArbitrator indexed arbitrator, uint256 indexed disputeID, uint256 ruling);

    /// @notice Gives the final ruling of a dispute. Only the dispute's arbitrator may call it, once per dispute.
    /// @dev Requirements (for implementers): the caller is the arbitrator the dispute was created on; the dispute was
    /// not already ruled; ruling ≤ choices. gpu-escrow's dispute module names its errors in `IDisputeModule.rule`.
    /// @param disputeID The arbitrator's id of the dispute.
    /// @param ruling 0 (refused to arbitrate) or one of the dispute's choices.
    function rule(uint256 disputeID, uint256 ruling) external;
}
