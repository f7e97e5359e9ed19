// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOfferBook} from "../../../contracts/interfaces/IOfferBook.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OpenParams, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetCapacity_Unit_Test is Base {
    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(0)));
        vm.prank(provider);
        escrow.setCapacity(0, 1);
    }

    function test_RevertWhen_CallerNotProvider() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotOfferProvider.selector, offerId, renter));
        vm.prank(renter);
        escrow.setCapacity(offerId, 100);
    }

    function test_RevertWhen_Retired() external {
        vm.prank(provider);
        escrow.retireOffer(offerId);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferRetired.selector, offerId));
        vm.prank(provider);
        escrow.setCapacity(offerId, 1);
    }

    function test_WhenValid() external {
        vm.expectEmit(address(escrow));
        emit IOfferBook.OfferCapacityUpdated(offerId, 1000);
        vm.prank(provider);
        escrow.setCapacity(offerId, 1000);
        assertEq(escrow.offer(offerId).capacity, 1000);
    }

    function test_WhenZero() external {
        vm.prank(provider);
        escrow.setCapacity(offerId, 0);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferAtCapacity.selector, offerId, uint16(0)));
        vm.prank(renter);
        escrow.open(OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: "x"}), ED25519_ACCESS_KEY);
        assertFalse(escrow.offer(offerId).retired);
        vm.prank(provider);
        escrow.setCapacity(offerId, 1);
        openRental(ONE_HOUR_DEPOSIT, "x");
    }

    function test_WhenBelowRunningCount() external {
        RentalTerms memory a = openRental(ONE_HOUR_DEPOSIT, "a");
        RentalTerms memory b = openRental(ONE_HOUR_DEPOSIT, "b");
        vm.prank(provider);
        escrow.setCapacity(offerId, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferAtCapacity.selector, offerId, uint16(1)));
        vm.prank(renter);
        escrow.open(OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: "c"}), ED25519_ACCESS_KEY);
        vm.warp(a.startedAt + 100);
        stopAndSettleNow(a, 1, 100);
        stopAndSettleNow(b, 1, 100);
        assertEq(activeOn(offerId), 0);
        openRental(ONE_HOUR_DEPOSIT, "c");
    }
}
