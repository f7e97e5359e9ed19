// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IEscrowGovernance} from "../../../contracts/interfaces/IEscrowGovernance.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract SetTokenAllowed_Unit_Test is Base {
    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, renter));
        vm.prank(renter);
        escrow.setTokenAllowed(address(1), true);
    }

    function test_WhenRefusingUnknown() external {
        vm.recordLogs();
        vm.prank(owner);
        escrow.setTokenAllowed(address(0xdead), false);
        assertEq(vm.getRecordedLogs().length, 0);
        assertFalse(escrow.tokenAllowed(address(0xdead)));
    }

    function test_RevertWhen_TooManyTokens() external {
        vm.startPrank(owner);
        // usdc holds id 0: 167 more fill the 168 ids.
        for (uint160 i = 1; i < 168; ++i) {
            escrow.setTokenAllowed(address(0x1000 + i), true);
        }
        assertTrue(escrow.tokenAllowed(address(0x1000 + 167)));
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_TooManyTokens.selector, 168));
        escrow.setTokenAllowed(address(0x9999), true);
        // Refusing and re-allowing a known token still works.
        escrow.setTokenAllowed(address(0x1001), false);
        escrow.setTokenAllowed(address(0x1001), true);
        vm.stopPrank();
        assertTrue(escrow.tokenAllowed(address(0x1001)));
        assertTrue(escrow.tokenAllowed(address(usdc)));
    }

    function test_WhenAllowingNew() external {
        vm.expectEmit(address(escrow));
        emit IEscrowGovernance.TokenAllowed(address(0), true);
        vm.prank(owner);
        escrow.setTokenAllowed(address(0), true);
        assertTrue(escrow.tokenAllowed(address(0)));
        assertEq(escrow.config().allowedTokens, 3); // ids 0 (usdc) and 1 (native)
        vm.prank(provider);
        uint64 o = escrow.createOffer(defaultOffer(address(0)));
        assertEq(escrow.offer(o).tokenId, 1);
    }

    function test_WhenRefusingKnown() external {
        RentalTerms memory running = openRental(ONE_HOUR_DEPOSIT, "running");
        vm.expectEmit(address(escrow));
        emit IEscrowGovernance.TokenAllowed(address(usdc), false);
        vm.prank(owner);
        escrow.setTokenAllowed(address(usdc), false);
        assertFalse(escrow.tokenAllowed(address(usdc)));
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_TokenNotAllowed.selector, address(usdc)));
        vm.prank(provider);
        escrow.createOffer(defaultOffer(address(usdc)));

        vm.warp(running.startedAt + 100);
        stopAndSettleNow(running, 1, 100);
        vm.prank(provider);
        escrow.claimEarnings(offerId);
    }

    function test_WhenAllowingAgain() external {
        vm.startPrank(owner);
        escrow.setTokenAllowed(address(usdc), false);
        escrow.setTokenAllowed(address(usdc), true);
        vm.stopPrank();
        assertTrue(escrow.tokenAllowed(address(usdc)));
        assertEq(escrow.config().allowedTokens, 1);
        openRental(ONE_HOUR_DEPOSIT, "again");
    }
}
