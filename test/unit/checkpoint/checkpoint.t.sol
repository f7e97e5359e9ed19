// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OfferParams, RentalState, RentalStatus, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract Checkpoint_Unit_Test is Base {
    uint96 internal constant DEPOSIT = 10 * ONE_HOUR_DEPOSIT;

    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(DEPOSIT, "x");
        id = idOf(t);
    }

    function expectRevertWith(Usage memory u, bytes memory sig, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(keeper);
        escrow.checkpoint(t, u, sig);
    }

    function test_RevertWhen_RentalNotActive() external {
        vm.warp(t.startedAt + 100);
        stopAndSettleNow(t, 1, 100);
        vm.warp(block.timestamp + CHALLENGE_WINDOW);
        Usage memory u = usageAt(2, uint64(t.startedAt + 100), 100);
        expectRevertWith(
            u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.None)
        );
    }

    function test_RevertWhen_InChallengeWindow() external {
        vm.warp(t.startedAt + 2 hours);
        uint64 periodEnd = uint64(block.timestamp - CHALLENGE_WINDOW + 1);
        Usage memory u = usageAt(1, periodEnd, 3000);
        expectRevertWith(
            u,
            signUsage(t, u),
            abi.encodeWithSelector(
                Errors.GpuEscrow_AttestationInChallengeWindow.selector, id, uint256(periodEnd) + CHALLENGE_WINDOW
            )
        );
        // From the future: refused by the same rule, the window is still ahead.
        u = usageAt(1, uint64(block.timestamp + 1), 3000);
        expectRevertWith(
            u,
            signUsage(t, u),
            abi.encodeWithSelector(
                Errors.GpuEscrow_AttestationInChallengeWindow.selector, id, block.timestamp + 1 + CHALLENGE_WINDOW
            )
        );
    }

    function test_RevertWhen_RentalEnded() external {
        // Out of deposit: an ended rental settles; no checkpoint can spend the attestation that settles it.
        uint256 end = t.startedAt + 10 hours;
        vm.warp(end + CHALLENGE_WINDOW);
        Usage memory u = usageAt(1, uint64(end), 10 hours);
        expectRevertWith(u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, id, end));
    }

    function test_RevertWhen_RentalStopped() external {
        vm.warp(t.startedAt + 1000);
        vm.prank(renter);
        escrow.stop(t);
        vm.warp(t.startedAt + 1000 + CHALLENGE_WINDOW);
        Usage memory u = usageAt(1, uint64(t.startedAt + 900), 900);
        expectRevertWith(
            u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, id, t.startedAt + 1000)
        );
    }

    function test_RevertWhen_StaleSeq() external {
        vm.warp(t.startedAt + 2 hours);
        checkpointAs(keeper, t, 3, uint64(t.startedAt + 1800), 1800);
        Usage memory u = usageAt(3, uint64(t.startedAt + 3600), 3600);
        expectRevertWith(u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_StaleSeq.selector, id, 3, 3));
    }

    function test_RevertWhen_AttestationBeforeStart() external {
        vm.warp(t.startedAt + 2 hours);
        Usage memory u = usageAt(1, uint64(t.startedAt - 1), 0);
        expectRevertWith(
            u,
            signUsage(t, u),
            abi.encodeWithSelector(
                Errors.GpuEscrow_AttestationBeforeStart.selector, id, uint64(t.startedAt - 1), t.startedAt
            )
        );
    }

    function test_RevertWhen_UptimeExceedsElapsed() external {
        vm.warp(t.startedAt + 2 hours);
        Usage memory u = usageAt(1, uint64(t.startedAt + 1000), 1001);
        expectRevertWith(
            u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_UptimeExceedsElapsed.selector, id, 1001, 1000)
        );
    }

    function test_RevertWhen_UptimeDecreased() external {
        vm.warp(t.startedAt + 2 hours);
        checkpointAs(keeper, t, 1, uint64(t.startedAt + 1800), 1800);
        Usage memory u = usageAt(2, uint64(t.startedAt + 3600), 1700);
        expectRevertWith(
            u,
            signUsage(t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_UptimeDecreased.selector, id, 1700, uint32(1800))
        );
    }

    function test_RevertWhen_WrongSigner() external {
        vm.warp(t.startedAt + 2 hours);
        Usage memory u = usageAt(1, uint64(t.startedAt + 1800), 1800);
        expectRevertWith(
            u,
            signUsageWith(renterKey, t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, id, attester)
        );
    }

    function test_WhenValid() external {
        vm.warp(t.startedAt + 1 hours + CHALLENGE_WINDOW);
        uint256 escrowBefore = usdc.balanceOf(address(escrow));
        uint256 renterBefore = usdc.balanceOf(renter);
        (, uint256 f, uint256 net) = split(t, 3000);
        Usage memory u = usageAt(4, uint64(t.startedAt + 1 hours), 3000);
        bytes memory sig = signUsage(t, u);

        vm.expectEmit(address(escrow));
        emit IRentals.Checkpointed(id, 4, 3000, net, f);
        vm.prank(keeper);
        escrow.checkpoint(t, u, sig);

        assertEq(offerNet(offerId), net);
        assertEq(offerFees(offerId), f);
        RentalState memory s = stateOf(t);
        assertEq(s.paidSeconds, 3000);
        assertEq(s.lastSeq, 4);
        assertEq(s.deposit, DEPOSIT);
        assertEq(uint8(s.status), uint8(RentalStatus.Active));
        assertEq(usdc.balanceOf(address(escrow)), escrowBefore, "no tokens moved");
        assertEq(usdc.balanceOf(renter), renterBefore);
        assertEq(quoteOf(t).paid, net + f);

        // A second checkpoint pays only the difference.
        vm.warp(t.startedAt + 2 hours + CHALLENGE_WINDOW);
        checkpointAs(provider, t, 5, uint64(t.startedAt + 2 hours), 6000);
        (, uint256 f2, uint256 net2) = split(t, 6000);
        assertEq(offerNet(offerId), net2);
        assertEq(offerFees(offerId), f2);
    }

    function test_WhenOfferHasSla() external {
        // SLA 99 %: the provider's checkpoints hold back the most credit the rental can earn (50 % of the cost) until
        // it settles; the treasury's fee is paid in full.
        OfferParams memory p = defaultOffer(address(usdc));
        p.slaBps = 9900;
        vm.prank(provider);
        uint64 slaOffer = escrow.createOffer(p);
        RentalTerms memory r = openRentalFrom(renter, slaOffer, DEPOSIT, "sla");
        vm.warp(r.startedAt + 1 hours + CHALLENGE_WINDOW);
        checkpointAs(keeper, r, 1, uint64(r.startedAt + 1 hours), 3600);
        uint256 c = cost(PRICE, 3600);
        assertEq(offerNet(slaOffer), c * (10_000 - FEE_BPS - 5000) / 10_000);
        assertEq(offerFees(slaOffer), fee(c, FEE_BPS));
        assertEq(quoteOf(r).paid, offerNet(slaOffer) + offerFees(slaOffer));
    }

    function test_WhenFollowedBySettlement() external {
        // Rental B is the control: the same usage, settled once.
        RentalTerms memory b = openRental(DEPOSIT, "control");
        uint64[4] memory uptimes = [uint64(1), 1799, 3601, 7001];
        for (uint256 i; i < uptimes.length; ++i) {
            uint64 periodEnd = uint64(t.startedAt + uptimes[i]);
            vm.warp(periodEnd + CHALLENGE_WINDOW);
            checkpointAs(keeper, t, uint64(i + 1), periodEnd, uptimes[i]);
        }
        uint256 netCheckpointed = offerNet(offerId);
        uint256 feesCheckpointed = offerFees(offerId);

        vm.warp(t.startedAt + 3 hours);
        uint256 r0 = usdc.balanceOf(renter);
        stopAndSettleNow(t, 10, 10_001);
        uint256 refundA = usdc.balanceOf(renter) - r0;
        uint256 netA = offerNet(offerId);
        uint256 feesA = offerFees(offerId);

        r0 = usdc.balanceOf(renter);
        stopAndSettleNow(b, 1, 10_001);
        uint256 refundB = usdc.balanceOf(renter) - r0;
        uint256 netB = offerNet(offerId) - netA;
        uint256 feesB = offerFees(offerId) - feesA;

        (uint256 c, uint256 f, uint256 net) = split(t, 10_001);
        assertEq(netA, net, "net with checkpoints");
        assertEq(feesA, f, "fee with checkpoints");
        assertEq(netB, net, "net in one settlement");
        assertEq(feesB, f, "fee in one settlement");
        assertEq(refundA, refundB, "same refund");
        assertEq(refundA, DEPOSIT - c);
        assertGt(netCheckpointed + feesCheckpointed, 0);
    }
}
