// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeModule} from "../../../contracts/interfaces/IDisputeModule.sol";
import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OfferParams, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Terminate_Unit_Test is Base {
    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "x");
        id = idOf(t);
    }

    function test_RevertWhen_CallerNotProvider() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotProvider.selector, id, renter));
        vm.prank(renter);
        escrow.terminate(t);
        // Neither the attester nor the payout address may terminate.
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotProvider.selector, id, attester));
        vm.prank(attester);
        escrow.terminate(t);
    }

    function test_RevertWhen_RentalNotActive() external {
        vm.warp(block.timestamp + 60);
        stopAndSettleNow(t, 1, 60);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.None));
        vm.prank(provider);
        escrow.terminate(t);
    }

    function test_RevertWhen_RentalEnded() external {
        vm.warp(block.timestamp + 20);
        vm.prank(renter);
        escrow.stop(t);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, id, t.startedAt + 20));
        vm.prank(provider);
        escrow.terminate(t);
    }

    function test_WhenRentalRunning() external {
        vm.warp(t.startedAt + 600);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalStopped(id, provider, uint40(t.startedAt + 600));
        vm.prank(provider);
        escrow.terminate(t);
        assertEq(escrow.rentalState(id).stoppedAt, t.startedAt + 600);

        // The keeper settles after the challenge window; the uptime claimed past termination is not billed.
        vm.warp(t.startedAt + 600 + CHALLENGE_WINDOW);
        settleAs(keeper, t, 1, uint64(t.startedAt + 700), 700);
        (,, uint256 net) = split(t, 600);
        assertEq(offerNet(offerId), net);
    }

    function test_WhenOnDemandRentalPaysPenalty() external {
        usdc.mint(provider, 100e6);
        vm.startPrank(provider);
        usdc.approve(address(disputes), 100e6);
        disputes.bond(address(usdc), 100e6);
        vm.stopPrank();
        vm.warp(t.startedAt + 600);
        uint256 renterBefore = usdc.balanceOf(renter);
        uint256 penalty = cost(PRICE, 600) * 1000 / 10_000;
        vm.expectEmit(address(disputes));
        emit IDisputeModule.TerminationPenalized(id, provider, penalty);
        vm.prank(provider);
        escrow.terminate(t);
        // 10 % of the cost of the 10 min rented, from the bond to the renter.
        assertEq(usdc.balanceOf(renter), renterBefore + penalty);
        assertEq(disputes.bondOf(provider, address(usdc)).amount, 100e6 - penalty);
        assertEq(disputes.reputation(provider).terminations, 1);
    }

    function test_WhenPenaltyAboveBond() external {
        // The penalty is at most the bond: here there is none, so it is zero and the termination still counts.
        vm.warp(t.startedAt + 600);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.TerminationPenalized(id, provider, 0);
        vm.prank(provider);
        escrow.terminate(t);
        assertEq(disputes.reputation(provider).terminations, 1);
    }

    function test_WhenSpotRental() external {
        usdc.mint(provider, 100e6);
        vm.startPrank(provider);
        usdc.approve(address(disputes), 100e6);
        disputes.bond(address(usdc), 100e6);
        OfferParams memory p = defaultOffer(address(usdc));
        p.spot = true;
        uint64 spot = escrow.createOffer(p);
        vm.stopPrank();
        RentalTerms memory s = openRentalFrom(renter, spot, ONE_HOUR_DEPOSIT, "spot");
        vm.warp(s.startedAt + 600);
        uint256 renterBefore = usdc.balanceOf(renter);
        vm.prank(provider);
        escrow.terminate(s);
        // A spot rental may be preempted: no penalty, not counted.
        assertEq(usdc.balanceOf(renter), renterBefore);
        assertEq(disputes.bondOf(provider, address(usdc)).amount, 100e6);
        assertEq(disputes.reputation(provider).terminations, 0);
    }
}
