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
        t = openRental(3 * ONE_HOUR_DEPOSIT, "resolve");
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
        // An hour paid by a checkpoint stays the provider's; the freeze at 1 h 30 min stopped the clock: the module
        // takes the cost of the 90 min not yet paid out, the renter gets the other 90 min of deposit back.
        vm.warp(t.startedAt + 1 hours + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 1, uint64(t.startedAt + 1 hours), 3600);
        vm.warp(t.startedAt + 90 minutes + CHALLENGE_WINDOW);
        vm.prank(address(disputes));
        escrow.freeze(t);
        vm.warp(block.timestamp + 2 days);
        uint256 elapsedCost = cost(PRICE, 90 minutes + CHALLENGE_WINDOW);
        (uint256 c, uint256 f, uint256 net) = split(t, 3600);
        uint256 atStake = elapsedCost - net - f;
        uint256 returned = 3 * ONE_HOUR_DEPOSIT - elapsedCost;
        uint256 renterBefore = usdc.balanceOf(renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalResolved(id, uint64(t.startedAt + 90 minutes + CHALLENGE_WINDOW), atStake, returned);
        vm.prank(address(disputes));
        uint256 amount = escrow.resolve(t);
        assertEq(amount, atStake);
        assertEq(usdc.balanceOf(address(disputes)), atStake);
        assertEq(usdc.balanceOf(renter), renterBefore + returned);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
        assertEq(activeOn(offerId), 0, "capacity given back");
        assertEq(escrow.offerAccount(offerId).completed, 0, "not a completed rental");
        assertEq(offerNet(offerId), net);
        assertEq(c, net + f);
    }

    function test_WhenActive() external {
        // An objective proof resolves a running rental: it ends now; the 10 min elapsed are at stake.
        vm.warp(t.startedAt + 10 minutes);
        uint256 renterBefore = usdc.balanceOf(renter);
        vm.prank(address(disputes));
        escrow.resolve(t);
        assertEq(usdc.balanceOf(address(disputes)), cost(PRICE, 10 minutes));
        assertEq(usdc.balanceOf(renter), renterBefore + 3 * ONE_HOUR_DEPOSIT - cost(PRICE, 10 minutes));
        assertEq(usdc.balanceOf(address(escrow)), 0);
    }
}
