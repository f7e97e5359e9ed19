// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OfferAccount} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Offer_Unit_Test is Base {
    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(0)));
        escrow.offer(0);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(2)));
        escrow.offerAccount(2);
    }

    function test_WhenOfferExists() external {
        openRental(ONE_HOUR_DEPOSIT, "x");
        assertEq(escrow.offerCount(), 1);
        assertEq(escrow.offer(offerId).provider, provider);
        assertEq(escrow.offer(offerId).gpuModelHash, keccak256(bytes(H100)));
        OfferAccount memory a = escrow.offerAccount(offerId);
        assertEq(a.activeRentals, 1);
        assertEq(escrow.offer(offerId).capacity, 8);
        assertEq(a.net, 0);
        assertEq(a.fees, 0);
    }
}
