// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeModule} from "../../contracts/interfaces/IDisputeModule.sol";

/// @notice Everything the deployed DisputeModule answers: its own interface plus Ownable2Step.
interface IDisputeModuleFull is IDisputeModule {
    function owner() external view returns (address);
    function pendingOwner() external view returns (address);
    function transferOwnership(address newOwner) external;
    function acceptOwnership() external;
}
