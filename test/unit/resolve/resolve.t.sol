// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Resolve_Unit_Test is Base {
    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(2 * ONE_HOUR_DEPOSIT, "resolve");
        id = idOf(t);
    }

    function test_RevertWhen_CallerNotModule() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotDisputeModule.selector, renter));
        vm.prank(renter);
        escrow.resolve(t);
    }

    function test_RevertWhen_RentalClosed() external {
        vm.warp(block.timestamp + 60);
        stopAndSettleNow(t, 1, 60);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.None));
        vm.prank(address(disputes));
        escrow.resolve(t);
    }

    function test_WhenFrozen() external {
        // An hour already paid by a checkpoint stays the provider's; the module takes the rest.
        vm.warp(t.startedAt + 1 hours + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 1, uint64(t.startedAt + 1 hours), 3600);
        vm.prank(address(disputes));
        escrow.freeze(t);
        uint256 unpaid = 2 * ONE_HOUR_DEPOSIT - cost(PRICE, 3600);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalResolved(id, unpaid);
        vm.prank(address(disputes));
        uint256 amount = escrow.resolve(t);
        assertEq(amount, unpaid);
        assertEq(usdc.balanceOf(address(disputes)), unpaid);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
        assertEq(activeOn(offerId), 0, "capacity given back");
        assertEq(escrow.offerAccount(offerId).completed, 0, "not a completed rental");
        (,, uint256 net) = split(t, 3600);
        assertEq(offerNet(offerId), net);
    }

    function test_WhenActive() external {
        // An objective proof resolves a rental that is not frozen.
        vm.prank(address(disputes));
        escrow.resolve(t);
        assertEq(usdc.balanceOf(address(disputes)), 2 * ONE_HOUR_DEPOSIT);
        assertEq(usdc.balanceOf(address(escrow)), 0);
    }
}
