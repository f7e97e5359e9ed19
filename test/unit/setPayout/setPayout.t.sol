// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IProviderRegistry} from "../../../contracts/interfaces/IProviderRegistry.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetPayout_Unit_Test is Base {
    function test_RevertWhen_NotRegistered() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_ProviderNotRegistered.selector, renter));
        vm.prank(renter);
        escrow.setPayout(renter);
    }

    function test_RevertWhen_ZeroAddress() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroAddress.selector);
        vm.prank(provider);
        escrow.setPayout(address(0));
    }

    function test_WhenNonZero() external {
        address p2 = makeAddr("payout 2");
        vm.expectEmit(address(escrow));
        emit IProviderRegistry.PayoutUpdated(provider, p2);
        vm.prank(provider);
        escrow.setPayout(p2);
        assertEq(escrow.provider(provider).payout, p2);

        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "x");
        vm.warp(t.startedAt + 100);
        stopAndSettleNow(t, 1, 100);
        vm.prank(provider);
        escrow.claimEarnings(offerId);
        (,, uint256 net) = split(t, 100);
        assertEq(usdc.balanceOf(p2), net);
        assertEq(usdc.balanceOf(payout), 0);
    }
}
