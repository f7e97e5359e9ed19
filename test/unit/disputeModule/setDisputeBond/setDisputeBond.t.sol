// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalTerms} from "../../../../contracts/types/DataTypes.sol";
import {Base} from "../../../utils/Base.t.sol";

contract SetDisputeBond_Unit_Test is Base {
    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, renter));
        vm.prank(renter);
        disputes.setDisputeBond(address(usdc), 0);
    }

    function test_RevertWhen_AboveUint96() external {
        uint256 tooLarge = uint256(type(uint96).max) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                DisputeModuleErrors.DisputeModule_DisputeBondTooLarge.selector, tooLarge, type(uint96).max
            )
        );
        vm.prank(owner);
        disputes.setDisputeBond(address(usdc), tooLarge);
    }

    function test_WhenOwner() external {
        RentalTerms memory before = openRental(ONE_HOUR_DEPOSIT, "before");
        vm.expectEmit(address(disputes));
        emit IDisputeModule.DisputeBondSet(address(usdc), 5e6);
        vm.prank(owner);
        disputes.setDisputeBond(address(usdc), 5e6);
        assertEq(disputes.disputeBond(address(usdc)), 5e6);

        // Disputes opened from now on post it, on rentals opened before too.
        vm.prank(renter);
        usdc.approve(address(disputes), 5e6);
        vm.prank(renter);
        disputes.openDispute(before, "ipfs://e");
        assertEq(disputes.dispute(idOf(before)).bond, 5e6);
        assertEq(usdc.balanceOf(address(disputes)), 5e6);
    }
}
