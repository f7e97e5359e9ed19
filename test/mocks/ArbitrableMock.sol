// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IArbitrable} from "../../contracts/interfaces/IArbitrable.sol";
import {IArbitrator} from "../../contracts/interfaces/IArbitrator.sol";

/// @notice An arbitrable that creates disputes on any arbitrator and records every `rule` call it receives, with the
/// arbitrator's `disputeStatus` as seen from inside the call (to check effects happen before it).
contract ArbitrableMock is IArbitrable {
    struct Received {
        address arbitrator;
        uint256 disputeID;
        uint256 ruling;
        uint256 statusDuringRule;
    }

    Received[] internal _received;
    mapping(address arbitrator => mapping(uint256 disputeID => uint256 calls)) public ruleCalls;
    bool public revertOnRule;

    error ArbitrableMock_RuleRefused();

    function setRevertOnRule(bool value) external {
        revertOnRule = value;
    }

    function createDispute(IArbitrator arbitrator, uint256 choices, bytes calldata extraData)
        external
        payable
        returns (uint256)
    {
        return arbitrator.createDispute{value: msg.value}(choices, extraData);
    }

    function rule(uint256 disputeID, uint256 ruling) external {
        if (revertOnRule) revert ArbitrableMock_RuleRefused();
        (bool ok, bytes memory ret) =
            msg.sender.staticcall(abi.encodeWithSignature("disputeStatus(uint256)", disputeID));
        uint256 status = ok && ret.length == 32 ? abi.decode(ret, (uint256)) : type(uint256).max;
        _received.push(Received(msg.sender, disputeID, ruling, status));
        ++ruleCalls[msg.sender][disputeID];
        emit Ruling(IArbitrator(msg.sender), disputeID, ruling);
    }

    function receivedCount() external view returns (uint256) {
        return _received.length;
    }

    function received(uint256 i) external view returns (Received memory) {
        return _received[i];
    }
}
