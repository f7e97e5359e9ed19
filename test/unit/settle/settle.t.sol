// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../../contracts/interfaces/IRentals.sol";
import {Billing} from "../../../contracts/libraries/Billing.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OfferAccount, OfferParams, RentalStatus, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {ERC1271Wallet} from "../../mocks/ERC1271Wallet.sol";
import {Base} from "../../utils/Base.t.sol";

contract Settle_Unit_Test is Base {
    uint96 internal constant DEPOSIT = 2 * ONE_HOUR_DEPOSIT;

    RentalTerms internal t;
    bytes32 internal id;
    uint256 internal end;

    function setUp() public override {
        super.setUp();
        t = openRental(DEPOSIT, "x");
        id = idOf(t);
        end = t.startedAt + 2 hours;
    }

    function settleExpectRevert(address caller, Usage memory u, bytes memory sig, bytes memory err) internal {
        vm.expectRevert(err);
        vm.prank(caller);
        escrow.settle(t, u, sig);
    }

    function finalUsage() internal view returns (Usage memory) {
        return usageAt(1, uint64(end), 2 hours);
    }

    function test_RevertWhen_RentalNeverOpened() external {
        RentalTerms memory other = t;
        other.salt = "nope";
        Usage memory u = finalUsage();
        bytes memory sig = signUsage(other, u);
        vm.warp(end);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, idOf(other), RentalStatus.None)
        );
        vm.prank(renter);
        escrow.settle(other, u, sig);
    }

    function test_RevertWhen_RentalNotEnded() external {
        vm.warp(end - 1);
        Usage memory u = usageAt(1, uint64(end - 1), 100);
        settleExpectRevert(
            renter, u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_RentalNotEnded.selector, id, end)
        );
    }

    function test_RevertWhen_KeeperInChallengeWindow() external {
        vm.warp(end + CHALLENGE_WINDOW - 1);
        Usage memory u = finalUsage();
        bytes memory err =
            abi.encodeWithSelector(Errors.GpuEscrow_ChallengeWindowOpen.selector, id, end + CHALLENGE_WINDOW);
        settleExpectRevert(keeper, u, signUsage(t, u), err);
        // The provider is "anyone else" too.
        settleExpectRevert(provider, u, signUsage(t, u), err);
    }

    function test_RevertWhen_DeadlinePassed() external {
        vm.warp(end + GRACE_PERIOD + 1);
        Usage memory u = finalUsage();
        bytes memory err =
            abi.encodeWithSelector(Errors.GpuEscrow_SettlementDeadlinePassed.selector, id, end + GRACE_PERIOD);
        settleExpectRevert(renter, u, signUsage(t, u), err);
        settleExpectRevert(keeper, u, signUsage(t, u), err);
    }

    function test_WhenAtTheDeadline() external {
        vm.warp(end + GRACE_PERIOD);
        settleAs(keeper, t, 1, uint64(end), 2 hours);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
    }

    function test_RevertWhen_StaleSeq() external {
        vm.warp(t.startedAt + 1800 + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 5, uint64(t.startedAt + 1800), 1800);
        vm.warp(end);
        Usage memory u = usageAt(5, uint64(end), 2 hours);
        settleExpectRevert(
            renter, u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_StaleSeq.selector, id, 5, 5)
        );
        u.seq = 4;
        settleExpectRevert(
            renter, u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_StaleSeq.selector, id, 4, 5)
        );
    }

    function test_RevertWhen_SeqZero() external {
        vm.warp(end);
        Usage memory u = usageAt(0, uint64(end), 2 hours);
        settleExpectRevert(
            renter, u, signUsage(t, u), abi.encodeWithSelector(Errors.GpuEscrow_StaleSeq.selector, id, 0, 0)
        );
    }

    function test_RevertWhen_AttestationFromFuture() external {
        vm.warp(end);
        Usage memory u = usageAt(1, uint64(end + 1), 2 hours);
        settleExpectRevert(
            renter,
            u,
            signUsage(t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_AttestationFromFuture.selector, id, uint64(end + 1), end)
        );
    }

    function test_RevertWhen_AttestationBeforeStart() external {
        vm.warp(end);
        Usage memory u = usageAt(1, uint64(t.startedAt - 1), 0);
        settleExpectRevert(
            renter,
            u,
            signUsage(t, u),
            abi.encodeWithSelector(
                Errors.GpuEscrow_AttestationBeforeStart.selector, id, uint64(t.startedAt - 1), t.startedAt
            )
        );
    }

    function test_RevertWhen_UptimeExceedsElapsed() external {
        vm.warp(end + 100);
        Usage memory u = usageAt(1, uint64(end + 50), 2 hours + 51);
        settleExpectRevert(
            renter,
            u,
            signUsage(t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_UptimeExceedsElapsed.selector, id, 2 hours + 51, 2 hours + 50)
        );
    }

    function test_RevertWhen_UptimeDecreased() external {
        vm.warp(t.startedAt + 1800 + CHALLENGE_WINDOW);
        checkpointAs(keeper, t, 1, uint64(t.startedAt + 1800), 1800);
        vm.warp(end);
        Usage memory u = usageAt(2, uint64(end), 1799);
        settleExpectRevert(
            renter,
            u,
            signUsage(t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_UptimeDecreased.selector, id, 1799, uint32(1800))
        );
    }

    function test_RevertWhen_WrongSigner() external {
        vm.warp(end);
        Usage memory u = finalUsage();
        settleExpectRevert(
            renter,
            u,
            signUsageWith(renterKey, t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, id, attester)
        );
    }

    function test_RevertWhen_SignatureForOtherContent() external {
        vm.warp(end);
        Usage memory signed = finalUsage();
        bytes memory sig = signUsage(t, signed);
        Usage memory u = finalUsage();
        u.uptimeSeconds = 2 hours - 1; // the renter lowers the uptime the attester signed
        settleExpectRevert(
            renter, u, sig, abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, id, attester)
        );
    }

    function test_RevertWhen_MalformedSignature() external {
        vm.warp(end);
        Usage memory u = finalUsage();
        bytes memory sig = signUsage65(t, u);
        bytes memory err = abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, id, attester);
        settleExpectRevert(renter, u, bytes.concat(sig, hex"00"), err);
        settleExpectRevert(renter, u, "", err);
    }

    function test_RevertWhen_AttestationNotFinal() external {
        vm.warp(end);
        Usage memory u = usageAt(1, uint64(end - 1), 2 hours - 1);
        settleExpectRevert(
            renter,
            u,
            signUsage(t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_AttestationNotFinal.selector, id, uint64(end - 1), end)
        );
    }

    function test_WhenSignature64Bytes() external {
        vm.warp(end);
        Usage memory u = finalUsage();
        bytes memory sig = signUsage(t, u);
        assertEq(sig.length, 64);
        vm.prank(renter);
        escrow.settle(t, u, sig);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
    }

    function test_WhenSignature65Bytes() external {
        vm.warp(end);
        Usage memory u = finalUsage();
        bytes memory sig = signUsage65(t, u);
        assertEq(sig.length, 65);
        vm.prank(renter);
        escrow.settle(t, u, sig);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
    }

    function _openWithWalletAttester() internal returns (RentalTerms memory wt, uint256 ownerKey) {
        address walletOwner;
        (walletOwner, ownerKey) = makeAddrAndKey("wallet owner");
        ERC1271Wallet wallet = new ERC1271Wallet(walletOwner);
        vm.prank(provider);
        escrow.setOfferAttester(offerId, address(wallet));
        wt = openRental(ONE_HOUR_DEPOSIT, "wallet");
        assertEq(wt.attester, address(wallet));
        vm.warp(wt.startedAt + 1 hours);
    }

    function test_WhenERC1271WalletAccepts() external {
        (RentalTerms memory wt, uint256 ownerKey) = _openWithWalletAttester();
        Usage memory u = usageAt(1, uint64(block.timestamp), 1 hours);
        bytes32 digest = escrow.attestationDigest(wt, u);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ownerKey, digest);
        vm.prank(renter);
        escrow.settle(wt, u, abi.encodePacked(r, s, v));
        assertEq(uint8(stateOf(wt).status), uint8(RentalStatus.None));
    }

    function test_RevertWhen_ERC1271WalletRefuses() external {
        (RentalTerms memory wt,) = _openWithWalletAttester();
        Usage memory u = usageAt(1, uint64(block.timestamp), 1 hours);
        // Signed by the old EOA attester: neither ECDSA (wrong key) nor the wallet accepts it.
        bytes memory sig = signUsage65(wt, u);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, idOf(wt), wt.attester)
        );
        vm.prank(renter);
        escrow.settle(wt, u, sig);
    }

    function test_WhenAttesterRotatedAfterOpen() external {
        (address newAttester, uint256 newKey) = makeAddrAndKey("new attester");
        vm.prank(provider);
        escrow.setOfferAttester(offerId, newAttester);
        vm.warp(end);
        Usage memory u = finalUsage();
        // The new key cannot sign for a rental opened under the old one...
        settleExpectRevert(
            renter,
            u,
            signUsageWith(newKey, t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_InvalidAttestationSignature.selector, id, attester)
        );
        // ...and the snapshotted attester still can.
        bytes memory sig = signUsage(t, u);
        vm.prank(renter);
        escrow.settle(t, u, sig);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
    }

    function test_WhenRenterSettlesAtOnce() external {
        vm.warp(end);
        uint256 renterBefore = usdc.balanceOf(renter);
        uint64 uptime = 2 hours - 600; // ten minutes down: billed by uptime
        (uint256 c, uint256 f, uint256 net) = split(t, uptime);
        assertEq(c, 4_583_334); // ceil(2 500 000 × 6600 / 3600)
        assertEq(f, 458_334);
        Usage memory u = usageAt(1, uint64(end), uptime);
        bytes memory sig = signUsage(t, u);

        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(id, uptime, uint64(end), c, DEPOSIT - c, 0);
        vm.prank(renter);
        escrow.settle(t, u, sig);

        assertEq(usdc.balanceOf(renter), renterBefore + DEPOSIT - c, "refund pushed");
        assertEq(usdc.balanceOf(address(escrow)), c, "escrow keeps the cost");
        assertEq(offerNet(offerId), net, "provider net");
        assertEq(offerFees(offerId), f, "fee");
        assertEq(activeOn(offerId), 0, "capacity released");
        assertEq(escrow.credit(renter, address(usdc)), 0);
        assertEq(uint8(stateOf(t).status), uint8(RentalStatus.None));
        assertEq(stateOf(t).deposit, 0, "slot deleted");
    }

    function test_WhenKeeperSettlesAfterChallengeWindow() external {
        vm.warp(end + CHALLENGE_WINDOW);
        uint256 renterBefore = usdc.balanceOf(renter);
        (uint256 c,, uint256 net) = split(t, 2 hours);
        // A late attestation: periodEnd after the end, uptime beyond it is not billed.
        Usage memory u = usageAt(3, uint64(end + 100), 2 hours + 100);
        bytes memory sig = signUsage(t, u);
        // Billing ended when the deposit ran out, not when the keeper settled.
        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(id, 2 hours, uint64(end), c, 0, 0);
        vm.prank(keeper);
        escrow.settle(t, u, sig);
        assertEq(c, DEPOSIT);
        assertEq(offerNet(offerId), net);
        assertEq(usdc.balanceOf(renter), renterBefore, "nothing left to refund");
        assertEq(usdc.balanceOf(keeper), 0);
    }

    function test_RevertWhen_SettledTwice() external {
        vm.warp(end);
        settleAs(renter, t, 1, uint64(end), 2 hours);
        Usage memory u = usageAt(2, uint64(end), 2 hours);
        settleExpectRevert(
            renter,
            u,
            signUsage(t, u),
            abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, id, RentalStatus.None)
        );
    }

    function test_WhenSettledItCountsInTheOfferRecord() external {
        vm.warp(end);
        settleAs(renter, t, 1, uint64(end), 2 hours - 600);
        OfferAccount memory a = escrow.offerAccount(offerId);
        assertEq(a.completed, 1);
        assertEq(a.secondsRented, 2 hours, "wall-clock seconds");
        assertEq(a.secondsUp, 2 hours - 600, "billed seconds");

        // A refunded rental is not completed and adds nothing.
        RentalTerms memory other = openRental(DEPOSIT, "refunded");
        vm.warp(other.startedAt + 2 hours + GRACE_PERIOD + 1);
        escrow.refund(other);
        a = escrow.offerAccount(offerId);
        assertEq(a.completed, 1);
        assertEq(a.secondsRented, 2 hours);
        assertEq(a.secondsUp, 2 hours - 600);
    }

    /// @dev A rental on a new offer promising `slaBps`, billed `uptime` of its two hours and settled by the renter.
    function settleSla(uint16 slaBps, uint64 uptime) internal returns (uint256 c, uint256 credit, uint64 sla) {
        OfferParams memory p = defaultOffer(address(usdc));
        p.slaBps = slaBps;
        vm.prank(provider);
        sla = escrow.createOffer(p);
        RentalTerms memory s = openRentalFrom(renter, sla, DEPOSIT, "sla");
        assertEq(s.slaBps, slaBps, "snapshotted in the terms");
        uint256 e = s.startedAt + 2 hours;
        vm.warp(e);
        c = cost(PRICE, uptime);
        uint256 uptimeBps = uint256(uptime) * 10_000 / 2 hours;
        credit = uptimeBps >= slaBps ? 0 : c * _min((slaBps - uptimeBps) * 10, 5000) / 10_000;
        assertEq(credit, Billing.slaCredit(c, uptime, 2 hours, slaBps), "the library's formula");
        uint256 renterBefore = usdc.balanceOf(renter);
        Usage memory u = usageAt(1, uint64(e), uptime);
        bytes memory sig = signUsage(s, u);
        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(idOf(s), uptime, uint64(e), c, DEPOSIT - c + credit, credit);
        vm.prank(renter);
        escrow.settle(s, u, sig);
        assertEq(usdc.balanceOf(renter), renterBefore + DEPOSIT - c + credit, "the credit is refunded");
        assertEq(offerNet(sla), c - fee(c, FEE_BPS) - credit, "out of the provider's net");
        assertEq(offerFees(sla), fee(c, FEE_BPS), "the fee is on the whole cost");
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    function test_WhenSlaOfferBelowSla() external {
        // SLA 99 %, up 97 % (6984 of 7200 s): 200 bps short, 20 % of the cost back.
        (uint256 c, uint256 credit,) = settleSla(9900, 6984);
        assertEq(credit, c * 2000 / 10_000);
    }

    function test_WhenSlaOfferAtSla() external {
        (, uint256 credit,) = settleSla(9900, 7128);
        assertEq(credit, 0, "exactly 99 %: no credit");
    }

    function test_WhenSlaOfferFarBelowSla() external {
        // Up 50 %: 4 900 bps short, capped at half the cost.
        (uint256 c, uint256 credit,) = settleSla(9900, 3600);
        assertEq(credit, c / 2);
    }

    function test_WhenCheckpointedBeforeTheEnd() external {
        // A checkpoint 50 min in paid the provider only what the credit cannot need: the whole credit is still paid
        // at settlement (SLA 100 %, 3 000 of 7 200 s up: uptime 41 %, the 50 % cap).
        OfferParams memory p = defaultOffer(address(usdc));
        p.slaBps = 10_000;
        vm.prank(provider);
        uint64 sla = escrow.createOffer(p);
        RentalTerms memory s = openRentalFrom(renter, sla, DEPOSIT, "sla");
        vm.warp(s.startedAt + 3000 + CHALLENGE_WINDOW);
        checkpointAs(keeper, s, 1, uint64(s.startedAt + 3000), 3000);
        vm.warp(s.startedAt + 2 hours);
        Usage memory u = usageAt(2, uint64(s.startedAt + 2 hours), 3000);
        bytes memory sig = signUsage(s, u);
        uint256 c = cost(PRICE, 3000);
        uint256 credit = c / 2;
        vm.expectEmit(address(escrow));
        emit IRentals.RentalSettled(idOf(s), 3000, uint64(s.startedAt + 2 hours), c, DEPOSIT - c + credit, credit);
        vm.prank(renter);
        escrow.settle(s, u, sig);
        assertEq(offerNet(sla), c - fee(c, FEE_BPS) - credit, "the provider's net less the whole credit");
    }
}
