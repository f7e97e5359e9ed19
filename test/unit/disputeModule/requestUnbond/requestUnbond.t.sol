// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalTerms} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract RequestUnbond_Unit_Test is DisputeBase {
    function test_RevertWhen_AmountZero() external {
        vm.expectRevert(DisputeModuleErrors.DisputeModule_ZeroAmount.selector);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 0);
    }

    function test_RevertWhen_AmountAboveBond() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                DisputeModuleErrors.DisputeModule_InsufficientBond.selector,
                provider,
                address(usdc),
                MIN_BOND + 1,
                MIN_BOND
            )
        );
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), MIN_BOND + 1);
    }

    function test_RevertWhen_BelowMinimumWithLiveOffer() external {
        // The offer is listed: the bond may not go below the minimum, even by one unit.
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_BondInUse.selector, offerId));
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 1);
    }

    function test_RevertWhen_BelowMinimumWithRentalRunning() external {
        openRental(ONE_HOUR_DEPOSIT, "busy");
        vm.prank(provider);
        escrow.retireOffer(offerId);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_BondInUse.selector, offerId));
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), MIN_BOND);
    }

    function test_WhenStayingAtOrAboveMinimum() external {
        bondAs(provider, 50e6);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.UnbondRequested(provider, address(usdc), 50e6, block.timestamp + UNBONDING_DELAY);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 50e6);
        IDisputeModule.BondAccount memory b = bondOf(provider);
        assertEq(b.amount, MIN_BOND + 50e6, "still bonded until withdrawn");
        assertEq(b.unbonding, 50e6);
        assertEq(b.unbondableAt, block.timestamp + UNBONDING_DELAY);
    }

    function test_WhenEveryOfferRetiredAndNoRentalRunning() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "done");
        vm.warp(block.timestamp + 600);
        stopAndSettleNow(t, 1, 600);
        vm.prank(provider);
        escrow.retireOffer(offerId);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), MIN_BOND);
        assertEq(bondOf(provider).unbonding, MIN_BOND);
        // Offers in other tokens are no exposure of the USDC bond.
        assertEq(disputes.offersOf(provider).length, 1);
    }

    function test_WhenRequestedAgain() external {
        bondAs(provider, 50e6);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 50e6);
        vm.warp(block.timestamp + 1 days);
        vm.prank(provider);
        disputes.requestUnbond(address(usdc), 20e6);
        // The new request replaces the old one and restarts the delay.
        assertEq(bondOf(provider).unbonding, 20e6);
        assertEq(bondOf(provider).unbondableAt, block.timestamp + UNBONDING_DELAY);
    }
}
