// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

import {Base} from "../../utils/Base.t.sol";

contract TransferOwnership_Unit_Test is Base {
    address internal multisig = makeAddr("multisig");

    function test_RevertWhen_CallerNotOwner() external {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, multisig));
        vm.prank(multisig);
        escrow.transferOwnership(multisig);
    }

    function test_WhenOwnerTransfers() external {
        vm.prank(owner);
        escrow.transferOwnership(multisig);
        assertEq(escrow.pendingOwner(), multisig);
        assertEq(escrow.owner(), owner);
        vm.prank(owner);
        escrow.setFee(1); // still the owner

        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, keeper));
        vm.prank(keeper);
        escrow.acceptOwnership();

        vm.prank(multisig);
        escrow.acceptOwnership();
        assertEq(escrow.owner(), multisig);
        assertEq(escrow.pendingOwner(), address(0));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, owner));
        vm.prank(owner);
        escrow.setFee(2);
        vm.prank(multisig);
        escrow.setFee(2);
        assertEq(escrow.config().feeBps, 2);
    }
}
