// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Vm} from "forge-std/Vm.sol";

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OpenParams, RentalState, RentalStatus, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {FeeOnTransferToken} from "../../mocks/FeeOnTransferToken.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract Open_Unit_Test is Base {
    bytes32 internal constant SALT = bytes32(uint256(42));

    function params(uint96 deposit) internal view returns (OpenParams memory) {
        return OpenParams({offerId: offerId, deposit: deposit, salt: SALT});
    }

    function test_RevertWhen_Paused() external {
        vm.prank(owner);
        escrow.setPaused(true);
        vm.expectRevert(Errors.GpuEscrow_Paused.selector);
        vm.prank(renter);
        escrow.open(params(ONE_HOUR_DEPOSIT), ED25519_ACCESS_KEY);
    }

    function test_RevertWhen_AccessKeyEmpty() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_InvalidAccessKeyLength.selector, 0, 1024));
        vm.prank(renter);
        escrow.open(params(ONE_HOUR_DEPOSIT), "");
    }

    function test_RevertWhen_AccessKeyTooLong() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_InvalidAccessKeyLength.selector, 1025, 1024));
        vm.prank(renter);
        escrow.open(params(ONE_HOUR_DEPOSIT), new bytes(1025));
    }

    function test_WhenAccessKeyAtMaxLength() external {
        bytes memory key = new bytes(1024);
        key[1023] = 0x01;
        vm.recordLogs();
        vm.prank(renter);
        escrow.open(params(ONE_HOUR_DEPOSIT), key);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        // The event comes before the token's Transfer: state first, then the pull.
        assertEq(logs[0].topics[0], IRentals.RentalOpened.selector, "RentalOpened first");
        (,,,,,,,,,, bytes memory emitted) = abi.decode(
            logs[0].data, (address, uint96, bytes32, address, uint40, uint16, uint32, uint32, bytes32, uint256, bytes)
        );
        assertEq(emitted, key, "key emitted as given");
    }

    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(99)));
        vm.prank(renter);
        escrow.open(OpenParams({offerId: 99, deposit: ONE_HOUR_DEPOSIT, salt: SALT}), ED25519_ACCESS_KEY);
    }

    function test_RevertWhen_TokenNoLongerAllowed() external {
        vm.prank(owner);
        escrow.setTokenAllowed(address(usdc), false);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_TokenNotAllowed.selector, address(usdc)));
        vm.prank(renter);
        escrow.open(params(ONE_HOUR_DEPOSIT), ED25519_ACCESS_KEY);
    }

    function test_RevertWhen_DepositBelowMinDuration() external {
        // 59 s at 2.50/h is 40 972.2 units: 40 972 pays for 58 s.
        uint96 deposit = uint96(escrow.quoteDeposit(offerId, 59));
        uint256 covered = uint256(deposit) * 3600 / PRICE;
        assertEq(covered, 59);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.GpuEscrow_DurationOutOfBounds.selector, offerId, covered, uint32(60), uint32(30 days)
            )
        );
        vm.prank(renter);
        escrow.open(params(deposit), ED25519_ACCESS_KEY);
    }

    function test_RevertWhen_DepositZero() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.GpuEscrow_DurationOutOfBounds.selector, offerId, uint256(0), uint32(60), uint32(30 days)
            )
        );
        vm.prank(renter);
        escrow.open(params(0), ED25519_ACCESS_KEY);
    }

    function test_RevertWhen_DepositAboveMaxDuration() external {
        uint96 deposit = uint96(escrow.quoteDeposit(offerId, 30 days + 1));
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.GpuEscrow_DurationOutOfBounds.selector,
                offerId,
                uint256(30 days + 1),
                uint32(60),
                uint32(30 days)
            )
        );
        vm.prank(renter);
        escrow.open(params(deposit), ED25519_ACCESS_KEY);
    }

    function test_WhenDepositAtTheBounds() external {
        vm.startPrank(renter);
        escrow.open(
            OpenParams({offerId: offerId, deposit: uint96(escrow.quoteDeposit(offerId, 60)), salt: "min"}),
            ED25519_ACCESS_KEY
        );
        escrow.open(
            OpenParams({offerId: offerId, deposit: uint96(escrow.quoteDeposit(offerId, 30 days)), salt: "max"}),
            ED25519_ACCESS_KEY
        );
        vm.stopPrank();
        assertEq(activeOn(offerId), 2);
    }

    function test_RevertWhen_OfferRetired() external {
        vm.prank(provider);
        escrow.retireOffer(offerId);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferRetired.selector, offerId));
        vm.prank(renter);
        escrow.open(params(ONE_HOUR_DEPOSIT), ED25519_ACCESS_KEY);
    }

    function test_RevertWhen_OfferAtCapacity() external {
        vm.prank(provider);
        escrow.setCapacity(offerId, 2);
        openRental(ONE_HOUR_DEPOSIT, "a");
        openRental(ONE_HOUR_DEPOSIT, "b");
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferAtCapacity.selector, offerId, uint16(2)));
        vm.prank(renter);
        escrow.open(params(ONE_HOUR_DEPOSIT), ED25519_ACCESS_KEY);
    }

    function test_WhenCapacityFreedBySettlement() external {
        vm.prank(provider);
        escrow.setCapacity(offerId, 1);
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "a");
        vm.warp(block.timestamp + 60);
        stopAndSettleNow(t, 1, 60);
        openRental(ONE_HOUR_DEPOSIT, "b");
        assertEq(activeOn(offerId), 1);
    }

    function test_RevertWhen_RentalExists() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, SALT);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalExists.selector, idOf(t)));
        vm.prank(renter);
        escrow.open(params(ONE_HOUR_DEPOSIT), ED25519_ACCESS_KEY);
    }

    function test_WhenSameSaltLaterSecond() external {
        RentalTerms memory a = openRental(ONE_HOUR_DEPOSIT, SALT);
        vm.warp(block.timestamp + 1);
        RentalTerms memory b = openRental(ONE_HOUR_DEPOSIT, SALT);
        assertTrue(idOf(a) != idOf(b));
    }

    function test_RevertWhen_NativeValueSentWithToken() external {
        vm.deal(renter, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NativeValueMismatch.selector, 0, 1));
        vm.prank(renter);
        escrow.open{value: 1}(params(ONE_HOUR_DEPOSIT), ED25519_ACCESS_KEY);
    }

    function test_RevertWhen_FeeOnTransferToken() external {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        uint64 id = createOfferIn(address(fot), 1e18);
        fot.mint(renter, 10e18);
        vm.prank(renter);
        fot.approve(address(escrow), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_FeeOnTransferToken.selector, address(fot), 1e18, 0.99e18)
        );
        vm.prank(renter);
        escrow.open(OpenParams({offerId: id, deposit: 1e18, salt: SALT}), ED25519_ACCESS_KEY);
    }

    function test_WhenTokenIsERC20() external {
        RentalTerms memory expected = RentalTerms({
            renter: renter,
            offerId: offerId,
            token: address(usdc),
            pricePerHour: PRICE,
            attester: attester,
            startedAt: uint40(block.timestamp),
            feeBps: FEE_BPS,
            slaBps: 0,
            challengeWindow: CHALLENGE_WINDOW,
            gracePeriod: GRACE_PERIOD,
            salt: SALT
        });
        bytes32 expectedId = keccak256(abi.encode(expected));
        uint256 renterBefore = usdc.balanceOf(renter);

        vm.expectEmit(address(escrow));
        emit IRentals.RentalOpened(
            expectedId,
            renter,
            offerId,
            address(usdc),
            PRICE,
            attester,
            uint40(block.timestamp),
            FEE_BPS,
            0,
            CHALLENGE_WINDOW,
            GRACE_PERIOD,
            SALT,
            ONE_HOUR_DEPOSIT,
            ED25519_ACCESS_KEY
        );
        vm.prank(renter);
        bytes32 id = escrow.open(params(ONE_HOUR_DEPOSIT), ED25519_ACCESS_KEY);

        assertEq(id, expectedId, "id");
        assertEq(keccak256(abi.encode(expected)), expectedId, "rentalId = keccak256(abi.encode(terms))");
        assertEq(usdc.balanceOf(renter), renterBefore - ONE_HOUR_DEPOSIT, "renter paid");
        assertEq(usdc.balanceOf(address(escrow)), ONE_HOUR_DEPOSIT, "escrowed");
        assertEq(activeOn(offerId), 1, "capacity taken");
        RentalState memory s = escrow.rentalState(id);
        assertEq(s.deposit, ONE_HOUR_DEPOSIT);
        assertEq(s.paidSeconds, 0);
        assertEq(s.lastSeq, 0);
        assertEq(s.stoppedAt, 0);
        assertEq(uint8(s.status), uint8(RentalStatus.Active));
    }

    function test_RevertWhen_NativeValueMismatch() external {
        uint64 id = createOfferIn(address(0), 1e18);
        vm.deal(renter, 10 ether);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NativeValueMismatch.selector, 1e18, 1e18 - 1));
        vm.prank(renter);
        escrow.open{value: 1e18 - 1}(OpenParams({offerId: id, deposit: 1e18, salt: SALT}), ED25519_ACCESS_KEY);

        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NativeValueMismatch.selector, 1e18, 0));
        vm.prank(renter);
        escrow.open(OpenParams({offerId: id, deposit: 1e18, salt: SALT}), ED25519_ACCESS_KEY);
    }

    function test_WhenTokenIsNative() external {
        uint64 id = createOfferIn(address(0), 1e18);
        vm.deal(renter, 10 ether);
        vm.recordLogs();
        vm.prank(renter);
        bytes32 rid = escrow.open{value: 1e18}(OpenParams({offerId: id, deposit: 1e18, salt: SALT}), ED25519_ACCESS_KEY);
        RentalTerms memory t = openedTerms();
        assertEq(t.token, address(0));
        assertEq(rid, idOf(t));
        assertEq(address(escrow).balance, 1e18);
        assertEq(renter.balance, 9 ether);
        assertEq(escrow.rentalState(rid).deposit, 1e18);
        assertEq(activeOn(id), 1);
    }
}
