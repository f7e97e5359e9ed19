// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {Provider} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract RegisterProvider_Unit_Test is Base {
    address internal newcomer = makeAddr("newcomer");

    function test_RevertWhen_AlreadyRegistered() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_ProviderAlreadyRegistered.selector, provider));
        vm.prank(provider);
        escrow.registerProvider(payout, attester, "");
    }

    function test_RevertWhen_ZeroPayout() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroAddress.selector);
        vm.prank(newcomer);
        escrow.registerProvider(address(0), attester, "");
    }

    function test_RevertWhen_ZeroAttester() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroAddress.selector);
        vm.prank(newcomer);
        escrow.registerProvider(payout, address(0), "");
    }

    function test_RevertWhen_EndpointTooLong() external {
        string memory endpoint = string(new bytes(257));
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_EndpointTooLong.selector, 257, 256));
        vm.prank(newcomer);
        escrow.registerProvider(payout, attester, endpoint);
    }

    function test_WhenValid() external {
        string memory endpoint = string(new bytes(256));
        vm.expectEmit(address(escrow));
        emit IProviderRegistry.ProviderRegistered(newcomer, payout, attester, endpoint);
        vm.prank(newcomer);
        escrow.registerProvider(payout, attester, endpoint);
        Provider memory p = escrow.provider(newcomer);
        assertTrue(p.registered);
        assertEq(p.payout, payout);
        assertEq(p.attester, attester);
        assertEq(p.endpoint, endpoint);
    }

    function test_WhenEndpointEmpty() external {
        vm.prank(newcomer);
        escrow.registerProvider(payout, attester, "");
        assertTrue(escrow.provider(newcomer).registered);
    }
}
