// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IEscrowGovernance} from "../../../contracts/interfaces/IEscrowGovernance.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetFee_Unit_Test is Base {
    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, provider));
        vm.prank(provider);
        escrow.setFee(0);
    }

    function test_RevertWhen_FeeTooHigh() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_FeeTooHigh.selector, 1501, 1500));
        vm.prank(owner);
        escrow.setFee(1501);
    }

    function test_WhenAtMost15Percent() external {
        RentalTerms memory running = openRental(ONE_HOUR_DEPOSIT, "running");
        vm.expectEmit(address(escrow));
        emit IEscrowGovernance.FeeUpdated(FEE_BPS, 1500);
        vm.prank(owner);
        escrow.setFee(1500);
        assertEq(escrow.config().feeBps, 1500);
        RentalTerms memory fresh = openRental(ONE_HOUR_DEPOSIT, "fresh");
        assertEq(fresh.feeBps, 1500);
        assertEq(running.feeBps, FEE_BPS);

        vm.prank(owner);
        escrow.setFee(0);
        RentalTerms memory free = openRental(ONE_HOUR_DEPOSIT, "free");
        vm.warp(free.startedAt + 3600);
        stopAndSettleNow(free, 1, 3600);
        assertEq(offerFees(offerId), 0, "zero fee");
        assertEq(offerNet(offerId), ONE_HOUR_DEPOSIT);
    }
}
