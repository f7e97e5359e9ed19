// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OpenParams, RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {ED25519_ACCESS_KEY} from "../utils/AccessKeys.sol";
import {Base} from "../utils/Base.t.sol";

/// @notice Gas of what users pay in the steady state: escrow, provider/offer account, payout, treasury and renter
/// balances already non-zero, approval given, a rental already running on the offer. Run with
/// `forge snapshot --isolate`: each call is then its own transaction and `snapshotGasLastCall` equals the gasUsed of
/// an anvil receipt. Each test is setup plus the one measured call.
contract LifecycleGasTest is Base {
    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");

    RentalTerms internal warm;
    uint64 internal nativeOffer;

    function setUp() public override {
        super.setUp();
        // A previous rental settled and was claimed: earnings, fee, payout and treasury slots are non-zero.
        RentalTerms memory first = openRental(ONE_HOUR_DEPOSIT, bytes32(uint256(1)));
        vm.warp(block.timestamp + 600);
        Usage memory u = usageAt(1, uint64(block.timestamp), 600);
        bytes memory sig = signUsage(first, u);
        vm.prank(renter);
        escrow.stopAndSettle(first, u, sig);
        vm.prank(provider);
        escrow.claimEarnings(offerId);
        vm.prank(treasury);
        escrow.withdraw(address(usdc), 1);
        // The renter has used a permit before (its nonce is non-zero).
        (uint8 v, bytes32 r, bytes32 s) = _permit(type(uint256).max, block.timestamp);
        usdc.permit(renter, address(escrow), type(uint256).max, block.timestamp, v, r, s);

        // Another rental keeps the offer busy.
        warm = openRental(ONE_HOUR_DEPOSIT, bytes32(uint256(2)));
        vm.prank(renter);
        usdc.approve(address(escrow), ONE_HOUR_DEPOSIT);

        // The same on the native coin.
        nativeOffer = createOfferIn(address(0), 0.01 ether);
        vm.deal(renter, 10 ether);
        vm.prank(renter);
        escrow.open{value: 0.01 ether}(
            OpenParams({offerId: nativeOffer, deposit: 0.01 ether, salt: bytes32(uint256(2))}), ED25519_ACCESS_KEY
        );
    }

    function _permit(uint256 value, uint256 deadline) internal view returns (uint8 v, bytes32 r, bytes32 s) {
        bytes32 structHash =
            keccak256(abi.encode(PERMIT_TYPEHASH, renter, address(escrow), value, usdc.nonces(renter), deadline));
        (v, r, s) = vm.sign(renterKey, keccak256(abi.encodePacked(hex"1901", usdc.DOMAIN_SEPARATOR(), structHash)));
    }

    function test_Gas_Open() public {
        vm.prank(renter);
        escrow.open(
            OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: bytes32(uint256(3))}), ED25519_ACCESS_KEY
        );
        vm.snapshotGasLastCall("open");
    }

    function test_Gas_OpenWithPermit() public {
        vm.prank(renter);
        usdc.approve(address(escrow), 0);
        (uint8 v, bytes32 r, bytes32 s) = _permit(ONE_HOUR_DEPOSIT, block.timestamp + 1 hours);
        vm.prank(renter);
        escrow.openWithPermit(
            OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: bytes32(uint256(3))}),
            ED25519_ACCESS_KEY,
            block.timestamp + 1 hours,
            v,
            r,
            s
        );
        vm.snapshotGasLastCall("openWithPermit");
    }

    function test_Gas_OpenNative() public {
        vm.prank(renter);
        escrow.open{value: 0.01 ether}(
            OpenParams({offerId: nativeOffer, deposit: 0.01 ether, salt: bytes32(uint256(3))}), ED25519_ACCESS_KEY
        );
        vm.snapshotGasLastCall("openNative");
    }

    function test_Gas_Extend() public {
        vm.warp(block.timestamp + 1800);
        vm.prank(renter);
        escrow.extend(warm, ONE_HOUR_DEPOSIT);
        vm.snapshotGasLastCall("extend");
    }

    function test_Gas_StopAndSettle() public {
        vm.warp(block.timestamp + 1800);
        Usage memory u = usageAt(1, uint64(block.timestamp - 5), 1790);
        bytes memory sig = signUsage(warm, u);
        vm.prank(renter);
        escrow.stopAndSettle(warm, u, sig);
        vm.snapshotGasLastCall("stopAndSettle");
    }

    function test_Gas_Stop() public {
        vm.warp(block.timestamp + 1800);
        vm.prank(renter);
        escrow.stop(warm);
        vm.snapshotGasLastCall("stop");
    }

    function test_Gas_Settle() public {
        // The deposit ran out at start + 1 h; a keeper settles once the challenge window has passed.
        vm.warp(warm.startedAt + 1 hours + CHALLENGE_WINDOW);
        Usage memory u = usageAt(1, uint64(warm.startedAt + 1 hours), 3590);
        bytes memory sig = signUsage(warm, u);
        vm.prank(keeper);
        escrow.settle(warm, u, sig);
        vm.snapshotGasLastCall("settle");
    }

    function test_Gas_Checkpoint() public {
        // A long rental, paid as it runs.
        RentalTerms memory long = openRental(ONE_HOUR_DEPOSIT, bytes32(uint256(3)));
        vm.prank(renter);
        usdc.approve(address(escrow), 9 * uint256(ONE_HOUR_DEPOSIT));
        vm.prank(renter);
        escrow.extend(long, 9 * ONE_HOUR_DEPOSIT);
        vm.warp(long.startedAt + 1 hours + CHALLENGE_WINDOW);
        Usage memory u = usageAt(1, uint64(long.startedAt + 1 hours), 3590);
        bytes memory sig = signUsage(long, u);
        vm.prank(keeper);
        escrow.checkpoint(long, u, sig);
        vm.snapshotGasLastCall("checkpoint");
    }

    function test_Gas_SettleBatch10() public {
        uint256 n = 10;
        vm.prank(provider);
        escrow.setCapacity(offerId, 16);
        vm.prank(renter);
        usdc.approve(address(escrow), type(uint256).max);
        RentalTerms[] memory ts = new RentalTerms[](n);
        Usage[] memory us = new Usage[](n);
        bytes[] memory sigs = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            ts[i] = openRental(ONE_HOUR_DEPOSIT, bytes32(100 + i));
        }
        vm.warp(block.timestamp + 1 hours + CHALLENGE_WINDOW);
        for (uint256 i; i < n; ++i) {
            us[i] = usageAt(1, uint64(ts[i].startedAt + 1 hours), uint64(3500 + i));
            sigs[i] = signUsage(ts[i], us[i]);
        }
        vm.prank(keeper);
        escrow.settleBatch(ts, us, sigs);
        uint256 total = vm.snapshotGasLastCall("settleBatch");
        vm.snapshotValue("settleBatch_perRental", total / n);
    }

    function test_Gas_Refund() public {
        vm.warp(warm.startedAt + 1 hours + GRACE_PERIOD + 1);
        vm.prank(keeper);
        escrow.refund(warm);
        vm.snapshotGasLastCall("refund");
    }

    function test_Gas_ClaimEarnings() public {
        vm.warp(block.timestamp + 1800);
        Usage memory u = usageAt(1, uint64(block.timestamp), 1800);
        bytes memory sig = signUsage(warm, u);
        vm.prank(renter);
        escrow.stopAndSettle(warm, u, sig);
        vm.prank(provider);
        escrow.claimEarnings(offerId);
        vm.snapshotGasLastCall("claimEarnings");
    }

    function test_Gas_Withdraw() public {
        uint256 credit = escrow.credit(treasury, address(usdc));
        vm.prank(treasury);
        escrow.withdraw(address(usdc), credit);
        vm.snapshotGasLastCall("withdraw");
    }
}
