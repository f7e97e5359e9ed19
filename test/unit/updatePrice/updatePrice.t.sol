// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOfferBook} from "../../../contracts/interfaces/IOfferBook.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract UpdatePrice_Unit_Test is Base {
    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(5)));
        vm.prank(provider);
        escrow.updatePrice(5, 1);
    }

    function test_RevertWhen_CallerNotProvider() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotOfferProvider.selector, offerId, owner));
        vm.prank(owner);
        escrow.updatePrice(offerId, 1);
    }

    function test_RevertWhen_Retired() external {
        vm.prank(provider);
        escrow.retireOffer(offerId);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferRetired.selector, offerId));
        vm.prank(provider);
        escrow.updatePrice(offerId, 1);
    }

    function test_RevertWhen_ZeroPrice() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroPrice.selector);
        vm.prank(provider);
        escrow.updatePrice(offerId, 0);
    }

    function test_WhenNonZero() external {
        RentalTerms memory old = openRental(ONE_HOUR_DEPOSIT, "old");
        vm.expectEmit(address(escrow));
        emit IOfferBook.OfferPriceUpdated(offerId, 5_000_000);
        vm.prank(provider);
        escrow.updatePrice(offerId, 5_000_000);
        assertEq(escrow.offer(offerId).pricePerHour, 5_000_000);
        assertEq(escrow.quoteDeposit(offerId, 3600), 5_000_000);

        RentalTerms memory fresh = openRental(5_000_000, "new");
        assertEq(fresh.pricePerHour, 5_000_000);
        assertEq(old.pricePerHour, PRICE);

        vm.warp(old.startedAt + 3600);
        uint256 before = usdc.balanceOf(renter);
        stopAndSettleNow(old, 1, 3600);
        assertEq(usdc.balanceOf(renter), before, "the old rental billed 1 h at the old price: its whole deposit");
        assertEq(quoteOf(fresh).accruedMax, 5_000_000);
    }
}
