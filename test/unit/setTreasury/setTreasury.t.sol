// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IEscrowGovernance} from "../../../contracts/interfaces/IEscrowGovernance.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetTreasury_Unit_Test is Base {
    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, treasury));
        vm.prank(treasury);
        escrow.setTreasury(treasury);
    }

    function test_RevertWhen_ZeroTreasury() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroTreasury.selector);
        vm.prank(owner);
        escrow.setTreasury(address(0));
    }

    function test_WhenSet() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "x");
        vm.warp(t.startedAt + 3600);
        stopAndSettleNow(t, 1, 3600);
        uint64[] memory ids = new uint64[](1);
        ids[0] = offerId;
        escrow.collectFees(ids);
        uint256 credited = escrow.credit(treasury, address(usdc));
        assertGt(credited, 0);

        address t2 = makeAddr("treasury 2");
        vm.expectEmit(address(escrow));
        emit IEscrowGovernance.TreasuryUpdated(treasury, t2);
        vm.prank(owner);
        escrow.setTreasury(t2);
        assertEq(escrow.treasury(), t2);
        assertEq(escrow.credit(treasury, address(usdc)), credited, "old credit stays");
        assertEq(escrow.credit(t2, address(usdc)), 0);
    }
}
