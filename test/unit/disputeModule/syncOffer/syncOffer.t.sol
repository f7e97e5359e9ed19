// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOfferBook} from "../../../../contracts/interfaces/IOfferBook.sol";
import {Errors} from "../../../../contracts/libraries/Errors.sol";
import {OfferStanding, OpenParams, RentalTerms} from "../../../../contracts/types/DataTypes.sol";
import {ED25519_ACCESS_KEY} from "../../../utils/AccessKeys.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract SyncOffer_Unit_Test is DisputeBase {
    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, 99));
        disputes.syncOffer(99);
    }

    function test_WhenBondBelowMinimum() external {
        RentalTerms memory running = openRental(ONE_HOUR_DEPOSIT, "running");
        // The minimum rises above the provider's bond: anyone suspends its offer.
        vm.prank(owner);
        disputes.setMinBond(address(usdc), MIN_BOND + 1);
        vm.expectEmit(address(escrow));
        emit IOfferBook.OfferSuspended(offerId, true);
        vm.prank(keeper);
        disputes.syncOffer(offerId);
        assertEq(uint8(escrow.offerAccount(offerId).standing), uint8(OfferStanding.Suspended));
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferSuspended.selector, offerId));
        vm.prank(renter);
        escrow.open(OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: "refused"}), ED25519_ACCESS_KEY);
        // The running rental is untouched.
        vm.warp(running.startedAt + 600);
        stopAndSettleNow(running, 1, 600);
    }

    function test_WhenBondBackAtMinimum() external {
        vm.prank(owner);
        disputes.setMinBond(address(usdc), MIN_BOND + 1);
        disputes.syncOffer(offerId);
        bondAs(provider, 1);
        vm.expectEmit(address(escrow));
        emit IOfferBook.OfferSuspended(offerId, false);
        disputes.syncOffer(offerId);
        assertEq(uint8(escrow.offerAccount(offerId).standing), uint8(OfferStanding.Listed));
        openRental(ONE_HOUR_DEPOSIT, "again");
    }
}
