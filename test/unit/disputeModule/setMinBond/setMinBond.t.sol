// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {OfferStanding} from "../../../../contracts/types/DataTypes.sol";
import {Base} from "../../../utils/Base.t.sol";

contract SetMinBond_Unit_Test is Base {
    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, provider));
        vm.prank(provider);
        disputes.setMinBond(address(usdc), 0);
    }

    function test_WhenOwner() external {
        vm.expectEmit(address(disputes));
        emit IDisputeModule.MinBondSet(address(usdc), 100e6);
        vm.prank(owner);
        disputes.setMinBond(address(usdc), 100e6);
        assertEq(disputes.minBond(address(usdc)), 100e6);
        assertEq(disputes.minBond(address(0)), 0, "per token");

        // It applies to offers created from now on; the existing offer stays listed.
        vm.expectRevert(
            abi.encodeWithSelector(
                DisputeModuleErrors.DisputeModule_BondBelowMinimum.selector, provider, address(usdc), 0, 100e6
            )
        );
        vm.prank(provider);
        escrow.createOffer(defaultOffer(address(usdc)));
        assertEq(uint8(escrow.offerAccount(offerId).standing), uint8(OfferStanding.Listed));
        openRental(ONE_HOUR_DEPOSIT, "still open");
    }
}
