// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {ICreditLedger} from "../../../../contracts/interfaces/ICreditLedger.sol";
import {OfferParams, RentalTerms, Usage} from "../../../../contracts/types/DataTypes.sol";
import {BlacklistToken} from "../../../mocks/BlacklistToken.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract DisputeModuleWithdraw_Unit_Test is DisputeBase {
    BlacklistToken internal busd;
    RentalTerms internal t;
    uint256 internal owedToRenter;

    function setUp() public override {
        super.setUp();
        busd = new BlacklistToken();
        vm.prank(owner);
        escrow.setTokenAllowed(address(busd), true);
        busd.mint(provider, 100e6);
        vm.startPrank(provider);
        busd.approve(address(disputes), type(uint256).max);
        disputes.bond(address(busd), 100e6);
        uint64 offer = escrow.createOffer(defaultOffer(address(busd)));
        vm.stopPrank();
        busd.mint(renter, 10e6);
        vm.prank(renter);
        busd.approve(address(escrow), type(uint256).max);
        t = openRentalFrom(renter, offer, ONE_HOUR_DEPOSIT, "blacklisted");

        // The renter is blacklisted when a wrong-GPU proof pays it: the push fails and is credited.
        busd.setBlacklisted(renter, true);
        vm.warp(t.startedAt + 60);
        (Usage memory u, bytes memory sig) = attestModel(t, 1, 60, keccak256("NVIDIA A10"));
        vm.prank(keeper);
        disputes.proveWrongGpu(t, u, sig);
        // The module owes the renter the cost of the 60 s at stake and its half of the 20 % slash; the deposit for
        // the rest of the hour went back through the escrow, which credited it too.
        owedToRenter = cost(PRICE, 60) + 10e6;
        assertEq(escrow.credit(renter, address(busd)), ONE_HOUR_DEPOSIT - cost(PRICE, 60));
    }

    function test_RevertWhen_AmountAboveCredit() external {
        vm.expectRevert(
            abi.encodeWithSelector(
                DisputeModuleErrors.DisputeModule_InsufficientCredit.selector,
                renter,
                address(busd),
                owedToRenter + 1,
                owedToRenter
            )
        );
        vm.prank(renter);
        disputes.withdraw(address(busd), owedToRenter + 1);
    }

    function test_WhenPushFailed() external {
        // The refund and the renter's half of the 20 % slash (20 of 100) were credited, nothing was lost.
        assertEq(disputes.credit(renter, address(busd)), owedToRenter);
        assertEq(busd.balanceOf(address(disputes)), 80e6 + owedToRenter);

        busd.setBlacklisted(renter, false);
        vm.expectEmit(address(disputes));
        emit ICreditLedger.Withdrawn(renter, address(busd), renter, 1e6);
        vm.prank(renter);
        disputes.withdraw(address(busd), 1e6);
        vm.prank(renter);
        disputes.withdraw(address(busd), owedToRenter - 1e6);
        assertEq(busd.balanceOf(renter), 10e6 - ONE_HOUR_DEPOSIT + owedToRenter);
        assertEq(disputes.credit(renter, address(busd)), 0);
        assertEq(busd.balanceOf(address(disputes)), 80e6, "only the bond stays");
    }

    function test_RevertWhen_StillBlacklisted() external {
        vm.expectRevert("Blacklistable: account is blacklisted");
        vm.prank(renter);
        disputes.withdraw(address(busd), 1);
        assertEq(disputes.credit(renter, address(busd)), owedToRenter);
    }
}
