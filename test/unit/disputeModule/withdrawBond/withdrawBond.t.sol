// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalTerms, Usage} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract WithdrawBond_Unit_Test is DisputeBase {
    function test_RevertWhen_NothingUnbonding() external {
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NothingUnbonding.selector, provider, address(usdc))
        );
        vm.prank(provider);
        disputes.withdrawBond(address(usdc));
    }

    function test_RevertWhen_DelayNotPassed() external {
        bondAs(provider, 50e6);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 50e6);
        uint256 due = block.timestamp + UNBONDING_DELAY;
        vm.warp(due - 1);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_UnbondingNotDue.selector, due));
        vm.prank(provider);
        disputes.withdrawBond(address(usdc));
    }

    function test_RevertWhen_DisputeOpen() external {
        bondAs(provider, 50e6);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 50e6);
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "disputed");
        openDisputeAs(renter, t);
        vm.warp(block.timestamp + UNBONDING_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_BondAtStake.selector, provider, address(usdc), 1)
        );
        vm.prank(provider);
        disputes.withdrawBond(address(usdc));

        // Once the dispute is over (here by the deadline's fallback), the bond may leave.
        disputes.executeRuling(t);
        vm.prank(provider);
        disputes.withdrawBond(address(usdc));
        assertEq(bondOf(provider).amount, MIN_BOND);
    }

    function test_WhenDue() external {
        bondAs(provider, 50e6);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 50e6);
        vm.warp(block.timestamp + UNBONDING_DELAY);
        uint256 before = usdc.balanceOf(provider);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.BondWithdrawn(provider, address(usdc), 50e6);
        vm.prank(provider);
        disputes.withdrawBond(address(usdc));
        assertEq(usdc.balanceOf(provider), before + 50e6);
        IDisputeModule.BondAccount memory b = bondOf(provider);
        assertEq(b.amount, MIN_BOND);
        assertEq(b.unbonding, 0);
        assertEq(b.unbondableAt, 0);
    }

    function test_WhenSlashedWhileUnbonding() external {
        // 1 000 bonded, 900 unbonding; a wrong-GPU proof slashes 20 % (200): 800 stay, so at most 800 can leave.
        bondAs(provider, 900e6);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 900e6);
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "wrong gpu");
        vm.warp(block.timestamp + 60);
        (Usage memory u, bytes memory sig) = attestModel(t, 1, 60, keccak256("NVIDIA A10"));
        vm.prank(keeper);
        disputes.proveWrongGpu(t, u, sig);
        assertEq(bondOf(provider).amount, 800e6);
        assertEq(bondOf(provider).unbonding, 800e6, "unbonding shrinks to what is left");

        vm.warp(block.timestamp + UNBONDING_DELAY);
        uint256 before = usdc.balanceOf(provider);
        vm.prank(provider);
        disputes.withdrawBond(address(usdc));
        assertEq(usdc.balanceOf(provider), before + 800e6);
        assertEq(bondOf(provider).amount, 0);
    }
}
