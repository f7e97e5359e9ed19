// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOfferBook} from "../../../contracts/interfaces/IOfferBook.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalStatus, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetOfferAttester_Unit_Test is Base {
    function test_RevertWhen_ZeroAttester() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroAddress.selector);
        vm.prank(provider);
        escrow.setOfferAttester(offerId, address(0));
    }

    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(3)));
        vm.prank(provider);
        escrow.setOfferAttester(3, keeper);
    }

    function test_RevertWhen_CallerNotProvider() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotOfferProvider.selector, offerId, attester));
        vm.prank(attester);
        escrow.setOfferAttester(offerId, attester);
    }

    function test_RevertWhen_Retired() external {
        vm.prank(provider);
        escrow.retireOffer(offerId);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferRetired.selector, offerId));
        vm.prank(provider);
        escrow.setOfferAttester(offerId, keeper);
    }

    function test_WhenValid() external {
        RentalTerms memory running = openRental(ONE_HOUR_DEPOSIT, "running");
        (address a2, uint256 k2) = makeAddrAndKey("host 2 attester");
        vm.expectEmit(address(escrow));
        emit IOfferBook.OfferAttesterUpdated(offerId, a2);
        vm.prank(provider);
        escrow.setOfferAttester(offerId, a2);
        assertEq(escrow.offer(offerId).attester, a2);

        RentalTerms memory fresh = openRental(ONE_HOUR_DEPOSIT, "fresh");
        assertEq(fresh.attester, a2);
        assertEq(running.attester, attester);

        vm.warp(running.startedAt + 100);
        // The running rental settles with the old key; the new rental with the new key only.
        stopAndSettleNow(running, 1, 100);
        Usage memory u = usageAt(1, uint64(block.timestamp), 100);
        bytes memory oldKeySig = signUsage(fresh, u);
        bytes memory newKeySig = signUsageWith(k2, fresh, u);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, idOf(fresh), a2));
        vm.prank(renter);
        escrow.stopAndSettle(fresh, u, oldKeySig);
        vm.prank(renter);
        escrow.stopAndSettle(fresh, u, newKeySig);
        assertEq(uint8(stateOf(fresh).status), uint8(RentalStatus.None));
    }
}
