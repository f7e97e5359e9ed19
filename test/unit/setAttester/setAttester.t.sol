// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetAttester_Unit_Test is Base {
    function test_RevertWhen_NotRegistered() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_ProviderNotRegistered.selector, keeper));
        vm.prank(keeper);
        escrow.setAttester(keeper);
    }

    function test_RevertWhen_ZeroAddress() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroAddress.selector);
        vm.prank(provider);
        escrow.setAttester(address(0));
    }

    function test_WhenNonZero() external {
        address a2 = makeAddr("attester 2");
        vm.expectEmit(address(escrow));
        emit IProviderRegistry.AttesterUpdated(provider, a2);
        vm.prank(provider);
        escrow.setAttester(a2);
        assertEq(escrow.provider(provider).attester, a2);
        vm.prank(provider);
        uint64 o2 = escrow.createOffer(defaultOffer(address(usdc)));
        assertEq(escrow.offer(o2).attester, a2, "new offer");
        assertEq(escrow.offer(offerId).attester, attester, "existing offer");
    }
}
