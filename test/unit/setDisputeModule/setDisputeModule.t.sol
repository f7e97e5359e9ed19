// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {IEscrowGovernance} from "../../../contracts/interfaces/IEscrowGovernance.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {Base} from "../../utils/Base.t.sol";
import {IGpuEscrowFull} from "../../utils/IGpuEscrowFull.sol";

contract SetDisputeModule_Unit_Test is Base {
    IGpuEscrowFull internal bare;

    function setUp() public override {
        super.setUp();
        // An escrow as deployed, before its module is set.
        bare = IGpuEscrowFull(deployCode(ESCROW_ARTIFACT, abi.encode(owner, treasury)));
    }

    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, provider));
        vm.prank(provider);
        bare.setDisputeModule(address(disputes));
    }

    function test_RevertWhen_ZeroAddress() external {
        vm.expectRevert(Errors.GpuEscrow_ZeroAddress.selector);
        vm.prank(owner);
        bare.setDisputeModule(address(0));
    }

    function test_RevertWhen_TokenAllowedBeforeModule() external {
        // No token, so no money, before the module: allowing one is refused until it is set.
        vm.expectRevert(Errors.GpuEscrow_NoDisputeModule.selector);
        vm.prank(owner);
        bare.setTokenAllowed(address(usdc), true);
    }

    function test_RevertWhen_AlreadySet() external {
        // The fixture's escrow has its module and a token allowed: the module is fixed for good.
        vm.expectRevert(Errors.GpuEscrow_DisputeModuleFixed.selector);
        vm.prank(owner);
        escrow.setDisputeModule(makeAddr("other module"));
        assertEq(escrow.disputeModule(), address(disputes));

        vm.prank(owner);
        bare.setDisputeModule(address(disputes));
        vm.expectRevert(Errors.GpuEscrow_DisputeModuleFixed.selector);
        vm.prank(owner);
        bare.setDisputeModule(makeAddr("other module"));
    }

    function test_WhenOwnerSetsItFirst() external {
        vm.expectEmit(address(bare));
        emit IEscrowGovernance.DisputeModuleSet(address(disputes));
        vm.prank(owner);
        bare.setDisputeModule(address(disputes));
        assertEq(bare.disputeModule(), address(disputes));
        vm.prank(owner);
        bare.setTokenAllowed(address(usdc), true);
        assertTrue(bare.tokenAllowed(address(usdc)));
    }
}
