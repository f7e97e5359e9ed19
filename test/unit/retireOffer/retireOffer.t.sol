// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOfferBook} from "../../../contracts/interfaces/IOfferBook.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OpenParams, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract RetireOffer_Unit_Test is Base {
    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(2)));
        vm.prank(provider);
        escrow.retireOffer(2);
    }

    function test_RevertWhen_CallerNotProvider() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotOfferProvider.selector, offerId, owner));
        vm.prank(owner);
        escrow.retireOffer(offerId);
    }

    function test_RevertWhen_AlreadyRetired() external {
        vm.prank(provider);
        escrow.retireOffer(offerId);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferRetired.selector, offerId));
        vm.prank(provider);
        escrow.retireOffer(offerId);
    }

    function test_WhenValid() external {
        RentalTerms memory running = openRental(ONE_HOUR_DEPOSIT, "running");
        vm.expectEmit(address(escrow));
        emit IOfferBook.OfferRetired(offerId);
        vm.prank(provider);
        escrow.retireOffer(offerId);
        assertTrue(escrow.offer(offerId).retired);
        assertEq(escrow.offer(offerId).capacity, 0);
        assertEq(escrow.offerAccount(offerId).activeRentals, 1);

        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferRetired.selector, offerId));
        vm.prank(renter);
        escrow.open(OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: "new"}), ED25519_ACCESS_KEY);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferRetired.selector, offerId));
        vm.prank(provider);
        escrow.setCapacity(offerId, 8);

        vm.warp(running.startedAt + 600);
        stopAndSettleNow(running, 1, 600);
        assertEq(escrow.offerAccount(offerId).activeRentals, 0);
        vm.prank(provider);
        escrow.claimEarnings(offerId);
        (,, uint256 net) = split(running, 600);
        assertEq(usdc.balanceOf(payout), net);
    }
}
