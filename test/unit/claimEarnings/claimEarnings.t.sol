// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPayouts} from "../../../contracts/interfaces/IPayouts.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OfferAccount, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract ClaimEarnings_Unit_Test is Base {
    function settleOne(uint64 uptime) internal returns (RentalTerms memory t) {
        t = openRental(ONE_HOUR_DEPOSIT, bytes32(uint256(uptime)));
        vm.warp(t.startedAt + uptime);
        stopAndSettleNow(t, 1, uptime);
    }

    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(7)));
        vm.prank(provider);
        escrow.claimEarnings(7);
    }

    function test_RevertWhen_CallerNotProvider() external {
        settleOne(600);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotOfferProvider.selector, offerId, payout));
        vm.prank(payout);
        escrow.claimEarnings(offerId);
    }

    function test_RevertWhen_NothingAccrued() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NothingToClaim.selector, offerId));
        vm.prank(provider);
        escrow.claimEarnings(offerId);
    }

    function test_WhenOnlyFeesAccrued() external {
        // 1 s at 2.50/h costs 695 units: fee 70, net 625. A price of 1 unit per hour: cost 1, fee 1, net 0.
        uint64 o = createOfferIn(address(usdc), 1);
        vm.prank(provider);
        escrow.setCapacity(o, 1);
        RentalTerms memory t = openRentalFrom(renter, o, 1, "tiny");
        vm.warp(t.startedAt + 1);
        stopAndSettleNow(t, 1, 1);
        assertEq(offerNet(o), 0);
        assertEq(offerFees(o), 1);
        vm.prank(provider);
        escrow.claimEarnings(o);
        assertEq(escrow.credit(treasury, address(usdc)), 1);
        assertEq(usdc.balanceOf(payout), 0);
        assertEq(offerFees(o), 0);
    }

    function test_WhenEarningsAccrued() external {
        RentalTerms memory a = settleOne(600);
        settleOne(1800);
        RentalTerms memory running = openRental(ONE_HOUR_DEPOSIT, "running");
        (, uint256 f1, uint256 n1) = split(a, 600);
        (, uint256 f2, uint256 n2) = split(a, 1800);
        address newPayout = makeAddr("new payout");
        vm.prank(provider);
        escrow.setPayout(newPayout);

        vm.expectEmit(address(escrow));
        emit IPayouts.EarningsClaimed(offerId, provider, address(usdc), newPayout, n1 + n2, f1 + f2);
        vm.prank(provider);
        escrow.claimEarnings(offerId);

        assertEq(usdc.balanceOf(newPayout), n1 + n2);
        assertEq(usdc.balanceOf(payout), 0);
        assertEq(escrow.credit(treasury, address(usdc)), f1 + f2);
        OfferAccount memory acc = escrow.offerAccount(offerId);
        assertEq(acc.net, 0);
        assertEq(acc.fees, 0);
        assertEq(acc.activeRentals, 1);
        assertEq(acc.completed, 2);
        assertEq(escrow.offer(offerId).capacity, 8);
        assertEq(usdc.balanceOf(address(escrow)), ONE_HOUR_DEPOSIT + f1 + f2, "running deposit + treasury credit");
        assertEq(running.offerId, offerId);
    }
}
