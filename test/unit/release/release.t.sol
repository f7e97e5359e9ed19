// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalStatus, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Release_Unit_Test is Base {
    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(2 * ONE_HOUR_DEPOSIT, "release");
        id = idOf(t);
        vm.warp(t.startedAt + 30 minutes);
    }

    function freeze() internal {
        vm.prank(address(disputes));
        escrow.freeze(t);
    }

    function releaseWith(Usage memory u, bytes memory sig) internal {
        vm.prank(address(disputes));
        escrow.release(t, u, sig);
    }

    function test_RevertWhen_CallerNotModule() external {
        freeze();
        Usage memory u;
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotDisputeModule.selector, renter));
        vm.prank(renter);
        escrow.release(t, u, "");
    }

    function test_RevertWhen_NotFrozen() external {
        Usage memory u;
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalNotFrozen.selector, id, RentalStatus.Active));
        releaseWith(u, "");
    }

    function test_WhenNoAttestation() external {
        freeze();
        Usage memory u;
        uint256 before = usdc.balanceOf(renter);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalRefunded(id, 2 * ONE_HOUR_DEPOSIT);
        releaseWith(u, "");
        assertEq(usdc.balanceOf(renter), before + 2 * ONE_HOUR_DEPOSIT);
        assertEq(activeOn(offerId), 0);
    }

    function test_RevertWhen_NotFinal() external {
        freeze();
        Usage memory u = usageAt(1, uint64(block.timestamp - 1), 1000);
        bytes memory sig = signUsage(t, u);
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.GpuEscrow_AttestationNotFinal.selector, id, uint64(block.timestamp - 1), block.timestamp
            )
        );
        releaseWith(u, sig);
    }

    function test_WhenFinalAndValid() external {
        freeze();
        uint256 frozenAt = block.timestamp;
        vm.warp(frozenAt + 3 days);
        Usage memory u = usageAt(1, uint64(frozenAt + 1 days), 1700);
        bytes memory sig = signUsage(t, u);
        (uint256 c,, uint256 net) = split(t, 1700);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(id, 1700, uint64(frozenAt), c, 2 * ONE_HOUR_DEPOSIT - c, 0);
        releaseWith(u, sig);
        assertEq(offerNet(offerId), net);
        assertEq(escrow.offerAccount(offerId).secondsRented, 30 minutes);
    }
}
