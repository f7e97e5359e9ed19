// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOfferBook} from "../../../contracts/interfaces/IOfferBook.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OfferStanding, OpenParams} from "../../../contracts/types/DataTypes.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetOfferSuspended_Unit_Test is Base {
    function test_RevertWhen_CallerNotModule() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotDisputeModule.selector, provider));
        vm.prank(provider);
        escrow.setOfferSuspended(offerId, false);
    }

    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, 42));
        vm.prank(address(disputes));
        escrow.setOfferSuspended(42, true);
    }

    function test_WhenModuleSuspendsAndReinstates() external {
        vm.expectEmit(address(escrow));
        emit IOfferBook.OfferSuspended(offerId, true);
        vm.prank(address(disputes));
        escrow.setOfferSuspended(offerId, true);
        assertEq(uint8(escrow.offerAccount(offerId).standing), uint8(OfferStanding.Suspended));
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferSuspended.selector, offerId));
        vm.prank(renter);
        escrow.open(OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: "s"}), ED25519_ACCESS_KEY);

        vm.prank(address(disputes));
        escrow.setOfferSuspended(offerId, false);
        assertEq(uint8(escrow.offerAccount(offerId).standing), uint8(OfferStanding.Listed));
        openRental(ONE_HOUR_DEPOSIT, "s");
    }
}
