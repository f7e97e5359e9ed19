// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPayouts} from "../../../contracts/interfaces/IPayouts.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract CollectFees_Unit_Test is Base {
    uint64 internal offer2;
    uint256 internal fee1;
    uint256 internal fee2;
    uint256 internal net1;

    function setUp() public override {
        super.setUp();
        offer2 = createOfferIn(address(usdc), 3_000_000);
        RentalTerms memory a = openRental(ONE_HOUR_DEPOSIT, "a");
        RentalTerms memory b = openRentalFrom(renter, offer2, 3_000_000, "b");
        vm.warp(a.startedAt + 1000);
        stopAndSettleNow(a, 1, 1000);
        stopAndSettleNow(b, 1, 900);
        (, fee1, net1) = split(a, 1000);
        (, fee2,) = split(b, 900);
    }

    function test_RevertWhen_OfferNotFound() external {
        uint64[] memory ids = new uint64[](2);
        (ids[0], ids[1]) = (offerId, 9);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(9)));
        escrow.collectFees(ids);
    }

    function test_WhenEmpty() external {
        escrow.collectFees(new uint64[](0));
        assertEq(offerFees(offerId), fee1);
    }

    function test_WhenNotEmpty() external {
        address newTreasury = makeAddr("new treasury");
        vm.prank(owner);
        escrow.setTreasury(newTreasury);
        uint64[] memory ids = new uint64[](3);
        (ids[0], ids[1], ids[2]) = (offerId, offer2, offerId);
        vm.expectEmit(address(escrow));
        emit IPayouts.FeesCollected(offerId, address(usdc), fee1);
        vm.expectEmit(address(escrow));
        emit IPayouts.FeesCollected(offer2, address(usdc), fee2);
        vm.expectEmit(address(escrow));
        emit IPayouts.FeesCollected(offerId, address(usdc), 0);
        vm.prank(keeper);
        escrow.collectFees(ids);
        assertEq(escrow.credit(newTreasury, address(usdc)), fee1 + fee2);
        assertEq(escrow.credit(treasury, address(usdc)), 0);
        assertEq(offerFees(offerId), 0);
        assertEq(offerFees(offer2), 0);
        assertEq(offerNet(offerId), net1, "net untouched");
    }
}
