// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {DisputeModuleErrors} from "../../../../contracts/disputes/DisputeModuleErrors.sol";
import {IDisputeModule} from "../../../../contracts/interfaces/IDisputeModule.sol";
import {RentalTerms, Usage} from "../../../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../../../utils/DisputeBase.t.sol";

contract Rate_Unit_Test is DisputeBase {
    RentalTerms internal t;
    bytes32 internal id;
    Usage internal u;
    bytes internal sig;

    function setUp() public override {
        super.setUp();
        t = openRental(ONE_HOUR_DEPOSIT, "rate");
        id = idOf(t);
        vm.warp(t.startedAt + 600);
        u = usageAt(1, uint64(block.timestamp), 600);
        sig = signUsage(t, u);
    }

    function close() internal {
        vm.prank(renter);
        escrow.stopAndSettle(t, u, sig);
    }

    function rateAs(address who, uint8 score) internal {
        vm.prank(who);
        disputes.rate(t, u, sig, score);
    }

    function test_RevertWhen_CallerNotRenter() external {
        close();
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_NotRenter.selector, id, provider));
        rateAs(provider, 5);
    }

    function test_RevertWhen_ScoreOutOfBounds() external {
        close();
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_InvalidScore.selector, 0));
        rateAs(renter, 0);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_InvalidScore.selector, 6));
        rateAs(renter, 6);
    }

    function test_RevertWhen_RentalNotClosed() external {
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RentalNotClosed.selector, id));
        rateAs(renter, 4);
        // Frozen is not closed either.
        openDisputeAs(renter, t);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_RentalNotClosed.selector, id));
        rateAs(renter, 4);
    }

    function test_RevertWhen_AlreadyRated() external {
        close();
        rateAs(renter, 4);
        vm.expectRevert(abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_AlreadyRated.selector, id));
        rateAs(renter, 5);
    }

    function test_WhenAttesterRotated() external {
        // Rotating the offer's attester after the rental does not block its rating: the rental's own attester signed.
        close();
        vm.prank(provider);
        escrow.setOfferAttester(offerId, makeAddr("next attester"));
        rateAs(renter, 1);
        assertTrue(disputes.rated(id));
        assertEq(disputes.reputation(provider).ratingCount, 1);
    }

    function test_RevertWhen_SignatureNotAttesters() external {
        close();
        sig = signUsageWith(renterKey, t, u);
        vm.expectRevert(
            abi.encodeWithSelector(DisputeModuleErrors.DisputeModule_InvalidSignature.selector, id, attester)
        );
        rateAs(renter, 3);
    }

    function test_WhenClosedAndUnrated() external {
        close();
        vm.expectEmit(address(disputes));
        emit IDisputeModule.Rated(id, provider, 4);
        rateAs(renter, 4);
        assertTrue(disputes.rated(id));

        RentalTerms memory second = openRental(ONE_HOUR_DEPOSIT, "second");
        vm.warp(block.timestamp + 60);
        stopAndSettleNow(second, 1, 60);
        Usage memory u2 = usageAt(1, uint64(block.timestamp), 60);
        bytes memory sig2 = signUsage(second, u2);
        vm.prank(renter);
        disputes.rate(second, u2, sig2, 1);

        IDisputeModule.Reputation memory r = disputes.reputation(provider);
        assertEq(r.ratingCount, 2);
        assertEq(r.ratingSum, 5);
    }
}
