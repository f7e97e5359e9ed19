// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {Errors} from "../../../../contracts/libraries/Errors.sol";
import {FeeOnTransferToken} from "../../../mocks/FeeOnTransferToken.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract Bond_Unit_Test is DisputeBase {
    function test_RevertWhen_AmountZero() external {
        vm.expectRevert(DisputeModuleErrors.DisputeModule_ZeroAmount.selector);
        vm.prank(provider);
        disputes.bond(address(usdc), 0);
    }

    function test_RevertWhen_NativeValueMismatch() external {
        vm.deal(provider, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NativeValueMismatch.selector, 1 ether, 0.5 ether));
        vm.prank(provider);
        disputes.bond{value: 0.5 ether}(address(0), 1 ether);
        // An ERC-20 bond takes no coin.
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NativeValueMismatch.selector, 0, 1));
        vm.prank(provider);
        disputes.bond{value: 1}(address(usdc), 1e6);
    }

    function test_RevertWhen_FeeOnTransferToken() external {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        fot.mint(provider, 100e18);
        vm.prank(provider);
        fot.approve(address(disputes), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_FeeOnTransferToken.selector, address(fot), 100e18, 99e18)
        );
        vm.prank(provider);
        disputes.bond(address(fot), 100e18);
    }

    function test_WhenERC20() external {
        uint256 moduleBefore = usdc.balanceOf(address(disputes));
        vm.expectEmit(address(disputes));
        emit IDisputeModule.Bonded(provider, address(usdc), 50e6, MIN_BOND + 50e6);
        vm.prank(provider);
        disputes.bond(address(usdc), 50e6);
        assertEq(bondOf(provider).amount, MIN_BOND + 50e6);
        assertEq(bondOf(provider).unbonding, 0);
        assertEq(usdc.balanceOf(address(disputes)), moduleBefore + 50e6);
    }

    function test_WhenNativeCoin() external {
        vm.deal(provider, 1 ether);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.Bonded(provider, address(0), 1 ether, 1 ether);
        vm.prank(provider);
        disputes.bond{value: 1 ether}(address(0), 1 ether);
        assertEq(disputes.bondOf(provider, address(0)).amount, 1 ether);
        assertEq(address(disputes).balance, 1 ether);
        // Bonds are per token.
        assertEq(bondOf(provider).amount, MIN_BOND);
    }
}
