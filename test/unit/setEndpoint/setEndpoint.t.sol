// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetEndpoint_Unit_Test is Base {
    function test_RevertWhen_NotRegistered() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_ProviderNotRegistered.selector, renter));
        vm.prank(renter);
        escrow.setEndpoint("https://x");
    }

    function test_RevertWhen_EndpointTooLong() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_EndpointTooLong.selector, 300, 256));
        vm.prank(provider);
        escrow.setEndpoint(string(new bytes(300)));
    }

    function test_WhenValid() external {
        vm.expectEmit(address(escrow));
        emit IProviderRegistry.EndpointUpdated(provider, "https://oracle.example:7070");
        vm.prank(provider);
        escrow.setEndpoint("https://oracle.example:7070");
        assertEq(escrow.provider(provider).endpoint, "https://oracle.example:7070");
    }
}
