// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OfferParams, RentalStatus, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract StopAndSettle_Unit_Test is Base {
    uint96 internal constant DEPOSIT = 3 * ONE_HOUR_DEPOSIT;

    RentalTerms internal t;
    bytes32 internal id;

    function setUp() public override {
        super.setUp();
        t = openRental(DEPOSIT, "x");
        id = idOf(t);
    }

    function expectRevertWith(Usage memory u, bytes memory sig, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(renter);
        escrow.stopAndSettle(t, u, sig);
    }

    function test_RevertWhen_CallerNotRenter() external {
        vm.warp(t.startedAt + 100);
        Usage memory u = usageAt(1, uint64(block.timestamp), 100);
        bytes memory sig = signUsage(t, u);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NotRenter.selector, id, provider));
        vm.prank(provider);
        escrow.stopAndSettle(t, u, sig);
    }

    function test_RevertWhen_RentalNotActive() external {
        vm.warp(t.startedAt + 100);
        stopAndSettleNow(t, 1, 100);
        Usage memory u = usageAt(2, uint64(block.timestamp), 100);
        expectRevertWith(
            u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.None)
        );
    }

    function test_RevertWhen_RunningAndFromFuture() external {
        vm.warp(t.startedAt + 1800);
        Usage memory u = usageAt(1, uint64(block.timestamp + 1), 1800);
        expectRevertWith(
            u,
            signUsage(t, u),
            abi.encodeWithSelector(
                Errors.GpuEscrow_AttestationFromFuture.selector, id, uint64(block.timestamp + 1), block.timestamp
            )
        );
    }

    function test_RevertWhen_RunningAndBeforeStart() external {
        vm.warp(t.startedAt + 5);
        Usage memory u = usageAt(1, uint64(t.startedAt - 1), 0);
        expectRevertWith(
            u,
            signUsage(t, u),
            abi.encodeWithSelector(
                Errors.GpuEscrow_AttestationBeforeStart.selector, id, uint64(t.startedAt - 1), t.startedAt
            )
        );
    }

    function test_RevertWhen_RunningAndStaleSeq() external {
        vm.warp(t.startedAt + 600 + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 7, uint64(t.startedAt + 600), 600);
        Usage memory u = usageAt(7, uint64(block.timestamp), 1000);
        expectRevertWith(u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_StaleSeq.selector, id, 7, 7));
    }

    function test_RevertWhen_RunningAndUptimeDecreased() external {
        vm.warp(t.startedAt + 600 + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 1, uint64(t.startedAt + 600), 600);
        Usage memory u = usageAt(2, uint64(block.timestamp), 599);
        expectRevertWith(
            u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_UptimeDecreased.selector, id, 599, uint32(600))
        );
    }

    function test_RevertWhen_RunningAndUptimeExceedsElapsed() external {
        vm.warp(t.startedAt + 100);
        Usage memory u = usageAt(1, uint64(block.timestamp), 101);
        expectRevertWith(
            u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_UptimeExceedsElapsed.selector, id, 101, 100)
        );
    }

    function test_RevertWhen_RunningAndWrongSigner() external {
        vm.warp(t.startedAt + 100);
        Usage memory u = usageAt(1, uint64(block.timestamp), 100);
        expectRevertWith(
            u,
            signUsageWith(renterKey, t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, id, attester)
        );
    }

    function test_WhenRunningAndValid() external {
        vm.warp(t.startedAt + 1800);
        uint64 periodEnd = uint64(block.timestamp - 10 minutes);
        uint64 uptime = 1190; // 10 s down in the attested 1 200 s
        // Billing ends now: the 600 s after periodEnd are billed as delivered.
        uint64 billed = uptime + 600;
        (uint256 c, uint256 f, uint256 net) = split(t, billed);
        uint256 before = usdc.balanceOf(renter);
        Usage memory u = usageAt(1, periodEnd, uptime);
        bytes memory sig = signUsage65(t, u); // 65-byte signatures work here too

        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(id, billed, uint64(block.timestamp), c, DEPOSIT - c, 0);
        vm.prank(renter);
        escrow.stopAndSettle(t, u, sig);

        assertEq(usdc.balanceOf(renter), before + DEPOSIT - c);
        assertEq(offerNet(offerId), net);
        assertEq(offerFees(offerId), f);
        assertEq(activeOn(offerId), 0);
        assertEq(escrow.offerAccount(offerId).secondsRented, 1800);
        assertEq(escrow.offerAccount(offerId).secondsUp, billed);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
    }

    function test_WhenRunningWithFreshAttestation() external {
        // A fresh attestation leaves no unattested tail: exactly the attested uptime is billed.
        vm.warp(t.startedAt + 1000);
        uint256 before = usdc.balanceOf(renter);
        stopAndSettleNow(t, 1, 940);
        (uint256 c,, uint256 net) = split(t, 940);
        assertEq(usdc.balanceOf(renter), before + DEPOSIT - c);
        assertEq(offerNet(offerId), net);
    }

    function test_WhenRunningWithAttestationFromTheStart() external {
        // An attestation of the rental's first second, used much later: every second after it is billed.
        vm.warp(t.startedAt + 1);
        Usage memory u = usageAt(1, uint64(block.timestamp), 1);
        bytes memory sig = signUsage(t, u);
        vm.warp(t.startedAt + 2 hours);
        vm.prank(renter);
        escrow.stopAndSettle(t, u, sig);
        (,, uint256 net) = split(t, 2 hours);
        assertEq(offerNet(offerId), net);
    }

    function test_RevertWhen_EndedAndDeadlinePassed() external {
        uint256 end = t.startedAt + 3 hours;
        vm.warp(end + GRACE_PERIOD + 1);
        Usage memory u = usageAt(1, uint64(end), 1 hours);
        expectRevertWith(
            u,
            signUsage(t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_SettlementDeadlinePassed.selector, id, end + GRACE_PERIOD)
        );
    }

    function test_RevertWhen_EndedAndNotFinal() external {
        vm.warp(t.startedAt + 500);
        vm.prank(renter);
        escrow.stop(t);
        vm.warp(t.startedAt + 600);
        Usage memory u = usageAt(1, uint64(t.startedAt + 499), 499);
        expectRevertWith(
            u,
            signUsage(t, u),
            abi.encodeWithSelector(
                Errors.GpuEscrow_AttestationNotFinal.selector, id, uint64(t.startedAt + 499), t.startedAt + 500
            )
        );
    }

    function test_WhenEndedWithOldAttestation() external {
        uint256 end = t.startedAt + 3 hours;
        vm.warp(end + 5 hours); // an ended rental settles with its final attestation, however old
        uint256 before = usdc.balanceOf(renter);
        Usage memory u = usageAt(1, uint64(end), 3000);
        bytes memory sig = signUsage(t, u);
        vm.prank(renter);
        escrow.stopAndSettle(t, u, sig);
        (uint256 c,, uint256 net) = split(t, 3000);
        assertEq(usdc.balanceOf(renter), before + DEPOSIT - c);
        assertEq(offerNet(offerId), net);
    }

    function test_WhenTerminatedByProvider() external {
        vm.warp(t.startedAt + 700);
        vm.prank(provider);
        escrow.terminate(t);
        vm.warp(t.startedAt + 800);
        uint256 before = usdc.balanceOf(renter);
        (uint256 c,,) = split(t, 700);
        Usage memory u = usageAt(1, uint64(block.timestamp), 800);
        bytes memory sig = signUsage(t, u);
        // Billing ended at the termination, not at this settlement.
        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(id, 700, uint64(t.startedAt + 700), c, DEPOSIT - c, 0);
        vm.prank(renter);
        escrow.stopAndSettle(t, u, sig);
        assertEq(usdc.balanceOf(renter), before + DEPOSIT - c);
    }

    function test_WhenRunningWithSlaBelowIt() external {
        // SLA 99.5 %, stopped after 1 000 s with 950 up (95 %): 450 bps short, 45 % of the cost back.
        OfferParams memory p = defaultOffer(address(usdc));
        p.slaBps = 9950;
        vm.prank(provider);
        uint64 sla = escrow.createOffer(p);
        RentalTerms memory s = openRentalFrom(renter, sla, DEPOSIT, "sla");
        vm.warp(s.startedAt + 1000);
        uint256 c = cost(PRICE, 950);
        uint256 credit = c * 4500 / 10_000;
        uint256 renterBefore = usdc.balanceOf(renter);
        Usage memory u = usageAt(1, uint64(block.timestamp), 950);
        bytes memory sig = signUsage(s, u);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(idOf(s), 950, uint64(block.timestamp), c, DEPOSIT - c + credit, credit);
        vm.prank(renter);
        escrow.stopAndSettle(s, u, sig);
        assertEq(usdc.balanceOf(renter), renterBefore + DEPOSIT - c + credit);
        assertEq(offerNet(sla), c - fee(c, FEE_BPS) - credit);
        assertEq(escrow.offerAccount(sla).completed, 1);
        assertEq(escrow.offerAccount(sla).secondsRented, 1000);
        assertEq(escrow.offerAccount(sla).secondsUp, 950);
    }
}
