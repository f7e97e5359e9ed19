// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalStatus, RentalTerms, Usage} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract ProveWrongGpu_Unit_Test is DisputeBase {
    bytes32 internal constant A10 = keccak256("NVIDIA A10");

    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "wrong gpu");
        id = idOf(t);
        vm.warp(t.startedAt + 600);
    }

    function test_RevertWhen_RentalClosed() external {
        (Usage memory u, bytes memory sig) = attestModel(t, 1, 600, A10);
        vm.prank(renter);
        escrow.stopAndSettle(t, u, sig);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RentalNotLive.selector, id, RentalStatus.None)
        );
        disputes.proveWrongGpu(t, u, sig);
    }

    function test_RevertWhen_ModelMatches() external {
        (Usage memory u, bytes memory sig) = attestModel(t, 1, 600, keccak256(bytes(H100)));
        vm.expectRevert(
            abi.encodeWithSelector(
                DisputeModuleErrors.DisputeModule_GpuModelMatches.selector, id, keccak256(bytes(H100))
            )
        );
        disputes.proveWrongGpu(t, u, sig);
    }

    function test_RevertWhen_SignatureNotAttesters() external {
        (Usage memory u,) = attestModel(t, 1, 600, A10);
        bytes memory sig = signUsageWith(renterKey, t, u);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_InvalidSignature.selector, id, attester)
        );
        disputes.proveWrongGpu(t, u, sig);
    }

    function test_WhenSignature65Bytes() external {
        (Usage memory u,) = attestModel(t, 1, 600, A10);
        bytes memory sig = signUsage65(t, u);
        vm.prank(keeper);
        disputes.proveWrongGpu(t, u, sig);
        assertEq(bondOf(provider).amount, MIN_BOND - MIN_BOND / 5);
    }

    function test_WhenModelDiffers() external {
        (Usage memory u, bytes memory sig) = attestModel(t, 1, 600, A10);
        uint256 unpaid = unpaidOf(t);
        uint256 renterBefore = usdc.balanceOf(renter);
        uint256 slash = MIN_BOND * 2000 / 10_000;
        vm.expectEmit(address(disputes));
        emit IDisputeModule.WrongGpuProven(id, provider, A10);
        vm.expectEmit(address(disputes));
        emit IDisputeModule.Slashed(id, provider, address(usdc), slash, keeper, slash / 10, slash / 2);
        vm.prank(keeper);
        disputes.proveWrongGpu(t, u, sig);

        assertEq(usdc.balanceOf(renter), renterBefore + unpaid + slash / 2, "full refund + half the slash");
        assertEq(usdc.balanceOf(keeper), slash / 10, "bounty");
        assertEq(usdc.balanceOf(treasury), slash * 4 / 10, "treasury");
        assertEq(bondOf(provider).amount, MIN_BOND - slash, "20 % slashed");
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
        assertEq(disputes.reputation(provider).slashes, 1);
    }
}
