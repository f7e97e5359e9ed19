// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OpenParams, Quote, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {MockERC20} from "../../mocks/MockERC20.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract Extend_Unit_Test is Base {
    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "x");
        id = idOf(t);
    }

    function test_RevertWhen_RentalNotActive() external {
        RentalTerms memory other = t;
        other.salt = "never opened";
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, idOf(other), RentalStatus.None)
        );
        vm.prank(renter);
        escrow.extend(other, 1);
    }

    function test_RevertWhen_RentalClosed() external {
        vm.warp(block.timestamp + 60);
        stopAndSettleNow(t, 1, 60);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.None));
        vm.prank(renter);
        escrow.extend(t, 1);
    }

    function test_RevertWhen_CallerNotRenter() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotRenter.selector, id, keeper));
        vm.prank(keeper);
        escrow.extend(t, 1);
    }

    function test_RevertWhen_DepositRanOut() external {
        uint256 end = depositEnd(t, ONE_HOUR_DEPOSIT);
        vm.warp(end);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, id, end));
        vm.prank(renter);
        escrow.extend(t, 1);
    }

    function test_RevertWhen_RentalStopped() external {
        vm.warp(block.timestamp + 100);
        vm.prank(renter);
        escrow.stop(t);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, id, block.timestamp));
        vm.prank(renter);
        escrow.extend(t, 1);
    }

    function test_RevertWhen_DepositTooLarge() external {
        // An offer at the highest price: 60 s cost ceil(p / 60); a top-up of 2^96 - 1 overflows uint96.
        MockERC20 big = new MockERC20("Big", "BIG", 18);
        uint64 o = createOfferIn(address(big), type(uint96).max);
        uint96 deposit = uint96(escrow.quoteDeposit(o, 60));
        big.mint(renter, type(uint256).max / 2);
        vm.prank(renter);
        big.approve(address(escrow), type(uint256).max);
        RentalTerms memory bt = openRentalFrom(renter, o, deposit, "big");
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_DepositTooLarge.selector, uint256(deposit) + type(uint96).max)
        );
        vm.prank(renter);
        escrow.extend(bt, type(uint96).max);
    }

    function test_RevertWhen_BeyondMaxDuration() external {
        uint96 amount = uint96(escrow.quoteDeposit(offerId, 30 days - 3600 + 1));
        uint256 covered = uint256(ONE_HOUR_DEPOSIT + amount) * 3600 / PRICE;
        assertEq(covered, 30 days + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.GpuEscrow_DurationOutOfBounds.selector, offerId, covered, uint32(60), uint32(30 days)
            )
        );
        vm.prank(renter);
        escrow.extend(t, amount);
    }

    function test_RevertWhen_NativeValueSentWithToken() external {
        vm.deal(renter, 1);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NativeValueMismatch.selector, 0, 1));
        vm.prank(renter);
        escrow.extend{value: 1}(t, ONE_HOUR_DEPOSIT);
    }

    function test_RevertWhen_NativeValueMismatch() external {
        uint64 o = createOfferIn(address(0), 1e18);
        vm.deal(renter, 10 ether);
        vm.recordLogs();
        vm.prank(renter);
        escrow.open{value: 1e18}(OpenParams({offerId: o, deposit: 1e18, salt: "n"}), ED25519_ACCESS_KEY);
        RentalTerms memory nt = openedTerms();
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NativeValueMismatch.selector, 1e18, 1e17));
        vm.prank(renter);
        escrow.extend{value: 1e17}(nt, 1e18);

        vm.prank(renter);
        escrow.extend{value: 1e18}(nt, 1e18);
        assertEq(escrow.rentalState(idOf(nt)).deposit, 2e18);
        assertEq(address(escrow).balance, 2e18);
    }

    function test_WhenTopUpArrives() external {
        vm.warp(block.timestamp + 1800);
        uint256 before = usdc.balanceOf(renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalExtended(id, ONE_HOUR_DEPOSIT, 2 * uint256(ONE_HOUR_DEPOSIT));
        vm.prank(renter);
        escrow.extend(t, ONE_HOUR_DEPOSIT);

        assertEq(usdc.balanceOf(renter), before - ONE_HOUR_DEPOSIT, "pulled");
        assertEq(usdc.balanceOf(address(escrow)), 2 * uint256(ONE_HOUR_DEPOSIT), "escrowed");
        assertEq(escrow.rentalState(id).deposit, 2 * ONE_HOUR_DEPOSIT, "deposit");
        Quote memory q = quoteOf(t);
        assertEq(q.endsAt, t.startedAt + 2 hours, "end moved by one hour");

        // Runs past the old end and bills the whole time.
        vm.warp(t.startedAt + 2 hours);
        (uint256 c,, uint256 net) = split(t, 2 hours);
        assertEq(c, 2 * uint256(PRICE));
        settleAs(renter, t, 1, uint64(block.timestamp), 2 hours);
        assertEq(offerNet(offerId), net);
        assertEq(usdc.balanceOf(renter), before - ONE_HOUR_DEPOSIT + (2 * uint256(ONE_HOUR_DEPOSIT) - c));
    }
}
