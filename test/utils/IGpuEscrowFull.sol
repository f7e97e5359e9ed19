// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IGpuEscrow} from "../../contracts/interfaces/IGpuEscrow.sol";

/// @notice Everything the deployed GpuEscrow answers: its own interface plus what it inherits from OpenZeppelin
/// (Ownable2Step). Tests talk to the escrow through this interface and deploy it from its via-IR
/// artifact (`deployCode`), so the test files themselves compile without the IR pipeline (see foundry.toml).
interface IGpuEscrowFull is IGpuEscrow {
    function owner() external view returns (address);
    function pendingOwner() external view returns (address);
    function transferOwnership(address newOwner) external;
    function acceptOwnership() external;
    function renounceOwnership() external;
}
