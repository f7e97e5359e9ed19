// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OpenParams, RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {Base} from "../utils/Base.t.sol";

/// @notice Gas of what users pay in the steady state: escrow, provider, treasury and renter balances already
/// non-zero, approval given, a rental already running on the offer. Run with `forge snapshot --isolate`.
contract LifecycleGasTest is Base {
    RentalTerms internal warm;

    function setUp() public override {
        super.setUp();
        // A previous rental settled: earnings and fee slots are non-zero; another rental keeps the offer busy.
        RentalTerms memory first = openRental(ONE_HOUR_DEPOSIT, bytes32(uint256(1)));
        vm.warp(block.timestamp + 600);
        Usage memory u = usageAt(1, uint64(block.timestamp), 600);
        bytes memory sig = signUsage(first, u);
        vm.prank(renter);
        escrow.stopAndSettle(first, u, sig);
        warm = openRental(ONE_HOUR_DEPOSIT, bytes32(uint256(2)));
        vm.prank(renter);
        usdc.approve(address(escrow), ONE_HOUR_DEPOSIT);
    }

    function test_Gas_Open() public {
        vm.prank(renter);
        escrow.open(OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: bytes32(uint256(3))}));
        vm.snapshotGasLastCall("open");
    }

    function test_Gas_StopAndSettle() public {
        vm.warp(block.timestamp + 1800);
        Usage memory u = usageAt(1, uint64(block.timestamp - 5), 1790);
        bytes memory sig = signUsage(warm, u);
        vm.prank(renter);
        escrow.stopAndSettle(warm, u, sig);
        vm.snapshotGasLastCall("stopAndSettle");
    }
}
