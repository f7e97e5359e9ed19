// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRentals} from "../../contracts/interfaces/IRentals.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {OfferParams, RentalStatus, RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {GasBurner1271} from "../mocks/GasBurner1271.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {DisputeBase} from "../utils/DisputeBase.t.sol";

/// @notice Each test plays one attack on the money rules (SPEC §4.4a) the way an adversary who reads the code and the
/// mempool would, states in a comment what it gained against the earlier contract, and asserts it gains nothing now.
contract Attacks_Test is DisputeBase {
    uint16 internal constant SLA_99 = 9900;

    function slaOffer() internal returns (uint64 id) {
        OfferParams memory p = defaultOffer(address(usdc));
        p.slaBps = SLA_99;
        vm.prank(provider);
        id = escrow.createOffer(p);
    }

    function attest(RentalTerms memory t, uint64 seq, uint256 periodEnd, uint256 uptime)
        internal
        view
        returns (Usage memory u, bytes memory sig)
    {
        u = usageAt(seq, uint64(periodEnd), uint64(uptime));
        sig = signUsage(t, u);
    }

    /*//////////////////////////////////////////////////////////////
              1. ERASING THE RENTER'S SLA CREDIT WITH A CHECKPOINT
    //////////////////////////////////////////////////////////////*/

    function test_Attack1_CheckpointOfTheFinalAttestationCannotEraseTheSlaCredit() external {
        // 1 h at 2.50 USDC, 50 % attested uptime, SLA 99 %. Before: anyone checkpointed the final attestation once its
        // challenge window passed, paying the provider in full; the keeper's settle then failed with StaleSeq and a
        // newer attestation settled with a credit of 0: the renter got 1.25 USDC back instead of 1.875.
        RentalTerms memory t = openRentalFrom(renter, slaOffer(), ONE_HOUR_DEPOSIT, "sla");
        uint256 end = t.startedAt + 1 hours;
        (Usage memory last, bytes memory sig) = attest(t, 10, end, 1800);
        vm.warp(end + CHALLENGE_WINDOW);
        address griefer = makeAddr("griefer");
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, idOf(t), end));
        vm.prank(griefer);
        escrow.checkpoint(t, last, sig);

        uint256 before = usdc.balanceOf(renter);
        vm.prank(keeper);
        escrow.settle(t, last, sig);
        assertEq(usdc.balanceOf(renter) - before, 1_875_000, "1.875 USDC back: 1.25 unused + 0.625 credit");
    }

    function test_Attack1_HourlyCheckpointsCannotShrinkTheSlaCredit() external {
        // 10 h at 2.50 USDC with 50 % uptime, checkpointed every hour by anyone. Before: each checkpoint paid the
        // provider its full net, leaving too little unpaid for the credit: the renter got 13.625 USDC back instead
        // of 18.75.
        RentalTerms memory t = openRentalFrom(renter, slaOffer(), 10 * ONE_HOUR_DEPOSIT, "sla10");
        for (uint64 h = 1; h <= 8; ++h) {
            uint256 periodEnd = t.startedAt + h * 1 hours;
            (Usage memory u, bytes memory s) = attest(t, h, periodEnd, h * 1800);
            vm.warp(periodEnd + CHALLENGE_WINDOW);
            vm.prank(makeAddr("anyone"));
            escrow.checkpoint(t, u, s);
        }
        uint256 end = t.startedAt + 10 hours;
        (Usage memory last, bytes memory sig) = attest(t, 20, end, 18_000);
        vm.warp(end + CHALLENGE_WINDOW);
        uint256 before = usdc.balanceOf(renter);
        vm.prank(keeper);
        escrow.settle(t, last, sig);
        assertEq(usdc.balanceOf(renter) - before, 18_750_000, "12.5 unused + 6.25 credit, as without checkpoints");
        // The provider ends with exactly its net less the credit, as if paid once.
        uint256 c = cost(PRICE, 18_000);
        assertEq(escrow.offerAccount(t.offerId).net, c - fee(c, FEE_BPS) - c / 2);
    }

    /*//////////////////////////////////////////////////////////////
                   2. A STALE ATTESTATION AS A DISCOUNT
    //////////////////////////////////////////////////////////////*/

    function test_Attack2_StaleAttestationIsNoDiscount() external {
        // Six rentals back to back, each used for 10 min and stopped with an attestation fetched one second in.
        // Before: billing ended at that attestation's periodEnd: an hour of GPU for the price of six seconds.
        uint256 paid;
        for (uint256 i; i < 6; ++i) {
            RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, bytes32(i));
            vm.warp(t.startedAt + 1);
            (Usage memory early, bytes memory sig) = attest(t, 1, block.timestamp, 1);
            vm.warp(t.startedAt + 10 minutes);
            uint256 before = usdc.balanceOf(renter);
            vm.prank(renter);
            escrow.stopAndSettle(t, early, sig);
            paid += ONE_HOUR_DEPOSIT - (usdc.balanceOf(renter) - before);
        }
        assertEq(paid, 6 * cost(PRICE, 10 minutes), "every second held is paid");
    }

    /*//////////////////////////////////////////////////////////////
          3. A DISPUTE NOBODY RULES ON SPLITS NOTHING THAT WAS NOT AT STAKE
    //////////////////////////////////////////////////////////////*/

    function test_Attack3_ProviderDisputeNobodyRulesOnGainsNothing() external {
        // The provider disputes 60 s into a 25 USDC rental and nobody rules. Before: the fallback split the whole
        // unpaid deposit 50/50: 11.25 USDC to the provider for 0.04 USDC of service.
        RentalTerms memory t = openRental(10 * ONE_HOUR_DEPOSIT, "d");
        vm.warp(t.startedAt + 60);
        openDisputeAs(provider, t);
        vm.warp(block.timestamp + RULING_PERIOD);
        (Usage memory u, bytes memory sig) = attest(t, 1, t.startedAt + 60, 60);
        uint256 renterBefore = usdc.balanceOf(renter);
        vm.prank(provider);
        disputes.settleFallback(t, u, sig);
        (uint256 c,, uint256 net) = split(t, 60);
        assertEq(usdc.balanceOf(renter) - renterBefore, 10 * ONE_HOUR_DEPOSIT - c, "the renter pays for 60 s");
        assertEq(escrow.offerAccount(offerId).net, net, "the provider earns 60 s");
        assertEq(usdc.balanceOf(payout), 0, "nothing else");
    }

    function test_Attack3_ProviderDisputeWithoutAttestationGainsNothing() external {
        // Nobody brings an attestation either: refund rules, the provider gets nothing it had not been paid.
        RentalTerms memory t = openRental(10 * ONE_HOUR_DEPOSIT, "d2");
        vm.warp(t.startedAt + 60);
        openDisputeAs(provider, t);
        vm.warp(block.timestamp + RULING_PERIOD + GRACE_PERIOD + 1);
        uint256 renterBefore = usdc.balanceOf(renter);
        disputes.executeRuling(t);
        assertEq(usdc.balanceOf(renter) - renterBefore, 10 * ONE_HOUR_DEPOSIT);
        assertEq(escrow.offerAccount(offerId).net, 0);
        assertEq(usdc.balanceOf(payout), 0);
    }

    function test_Attack3_RenterDisputeAfterUsingEverythingGainsNothing() external {
        // The mirror image: the renter uses 10 h, disputes in the challenge window and nobody rules. Before: half
        // the cost of the ten hours came back to it. Now the attested hours are billed as if no dispute was opened.
        RentalTerms memory t = openRental(10 * ONE_HOUR_DEPOSIT, "d3");
        uint256 end = t.startedAt + 10 hours;
        vm.warp(end + 10 minutes);
        openDisputeAs(renter, t);
        vm.warp(block.timestamp + RULING_PERIOD);
        (Usage memory u, bytes memory sig) = attest(t, 1, end, 10 hours);
        uint256 renterBefore = usdc.balanceOf(renter);
        disputes.settleFallback(t, u, sig);
        assertEq(usdc.balanceOf(renter) - renterBefore, DISPUTE_BOND, "only its bond back");
        (,, uint256 net) = split(t, 10 hours);
        assertEq(escrow.offerAccount(offerId).net, net);
    }

    function test_Attack3_RulingOnlyConcernsSecondsBeforeTheFreeze() external {
        // Even a ruling all for the provider gets it only the cost of the seconds before the freeze.
        RentalTerms memory t = openRental(10 * ONE_HOUR_DEPOSIT, "d4");
        vm.warp(t.startedAt + 60);
        uint256 disputeId = openDisputeAs(provider, t);
        ruleByCommittee(disputeId, 1);
        uint256 renterBefore = usdc.balanceOf(renter);
        disputes.executeRuling(t);
        uint256 c = cost(PRICE, 60);
        assertEq(usdc.balanceOf(renter) - renterBefore, 10 * ONE_HOUR_DEPOSIT - c);
        assertEq(usdc.balanceOf(payout), c - fee(c, FEE_BPS));
    }

    /*//////////////////////////////////////////////////////////////
          4. DRAINING THE PROVIDER'S BOND WITH A FRONT-RUN EXTEND
    //////////////////////////////////////////////////////////////*/

    function test_Attack4_FrontRunExtendCannotRaiseTheTerminationPenalty() external {
        // The renter sees the provider's terminate 10 min into a 1 h rental and lands extend(1 000 USDC) first.
        // Before: the penalty was 10 % of the deposit at termination, 100.25 USDC capped at the whole 100 USDC
        // bond, and the extension came back at settlement.
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "x");
        vm.warp(t.startedAt + 10 minutes);
        vm.prank(renter);
        escrow.extend(t, 1000e6);
        uint256 before = usdc.balanceOf(renter);
        vm.prank(provider);
        escrow.terminate(t);
        uint256 penalty = cost(PRICE, 10 minutes) / 10;
        assertEq(usdc.balanceOf(renter) - before, penalty, "10 % of the 10 min rented, as without the extend");
        assertEq(disputes.bondOf(provider, address(usdc)).amount, MIN_BOND - penalty);
    }

    function test_Attack4_OfferWithBondBelowMinimumTakesNoNewRentals() external {
        // Before: the termination penalty left the bond below the minimum and the offer kept taking rentals with
        // no bond behind it. Now the penalty suspends the offer in the same transaction.
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "x");
        vm.warp(t.startedAt + 10 minutes);
        vm.prank(provider);
        escrow.terminate(t);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferSuspended.selector, offerId));
        this.openAsRenter(offerId);
        // Topping the bond up and syncing reinstates it.
        bondAs(provider, 1e6);
        disputes.syncOffer(offerId);
        openRental(ONE_HOUR_DEPOSIT, "y");
    }

    function openAsRenter(uint64 id) external {
        openRentalFrom(renter, id, ONE_HOUR_DEPOSIT, "refused");
    }

    function test_Attack4_SlashSuspendsTheOffer() external {
        // An equivocation takes the whole bond: the offer of the proven rental stops taking rentals at once.
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "eq");
        vm.warp(t.startedAt + 100);
        (Usage memory a, bytes memory sigA) = attest(t, 2, t.startedAt + 50, 50);
        (Usage memory b, bytes memory sigB) = attest(t, 3, t.startedAt + 60, 40);
        disputes.proveEquivocation(t, a, sigA, b, sigB);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferSuspended.selector, offerId));
        this.openAsRenter(offerId);
    }

    /*//////////////////////////////////////////////////////////////
                      5. GRIEFING A KEEPER'S BATCH
    //////////////////////////////////////////////////////////////*/

    function test_Attack5_ThirdPartiesCannotRevertAKeepersBatch() external {
        // A keeper settles 100 rentals in one batch. A griefer, first in the block, settles one of them itself,
        // tries to checkpoint another with its public final attestation, and a renter disputes a third. Before: any
        // one of these reverted the whole batch (a 50k-gas checkpoint could cost a keeper its 100-rental batch).
        uint256 n = 100;
        vm.prank(provider);
        escrow.setCapacity(offerId, uint16(n));
        RentalTerms[] memory ts = new RentalTerms[](n);
        Usage[] memory us = new Usage[](n);
        bytes[] memory sigs = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            ts[i] = openRental(ONE_HOUR_DEPOSIT, bytes32(i));
        }
        uint256 end = ts[0].startedAt + 1 hours;
        for (uint256 i; i < n; ++i) {
            (us[i], sigs[i]) = attest(ts[i], 5, end, 3500);
        }
        vm.warp(end + 10 minutes);
        openDisputeAs(renter, ts[2]);
        vm.warp(end + CHALLENGE_WINDOW);
        address griefer = makeAddr("griefer");
        vm.startPrank(griefer);
        escrow.settle(ts[0], us[0], sigs[0]);
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_RentalEnded.selector, idOf(ts[1]), end));
        escrow.checkpoint(ts[1], us[1], sigs[1]);
        vm.stopPrank();

        vm.expectEmit(address(escrow));
        emit IRentals.SettlementSkipped(
            idOf(ts[0]), abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, idOf(ts[0]), 0)
        );
        vm.expectEmit(address(escrow));
        emit IRentals.SettlementSkipped(
            idOf(ts[2]),
            abi.encodeWithSelector(Errors.GpuEscrow_RentalNotActive.selector, idOf(ts[2]), RentalStatus.Frozen)
        );
        vm.prank(keeper);
        assertEq(escrow.settleBatch(ts, us, sigs), n - 2);
    }

    /*//////////////////////////////////////////////////////////////
                              SMALLER ONES
    //////////////////////////////////////////////////////////////*/

    function test_ClaimFindsEarningsFlushedToThePayoutCredit() external {
        // An 18-decimal token at 20 tokens an hour: a 2 h rental's 36 tokens of net overflow the offer account's
        // uint64 (18.4 tokens) and are flushed to the payout's credit. Before: claimEarnings did not see them.
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        vm.prank(owner);
        disputes.setMinBond(address(dai), 0);
        uint64 o = createOfferIn(address(dai), 20e18);
        dai.mint(renter, 100e18);
        vm.prank(renter);
        dai.approve(address(escrow), type(uint256).max);
        RentalTerms memory t = openRentalFrom(renter, o, 60e18, "dai");
        vm.warp(t.startedAt + 2 hours);
        stopAndSettleNow(t, 1, 2 hours);
        uint256 net = 40e18 - fee(40e18, FEE_BPS);
        assertEq(escrow.credit(payout, address(dai)), net, "flushed");
        vm.prank(provider);
        escrow.claimEarnings(o);
        assertEq(dai.balanceOf(payout), net, "claimed with the offer's earnings");
        assertEq(escrow.credit(payout, address(dai)), 0);
    }

    function test_HostileContractAttesterCannotMakeSettlementExpensive() external {
        // A provider whose attester is a contract burning all gas it gets. Before: the ERC-1271 call got all the
        // gas, so a keeper settling that rental paid for millions of gas.
        GasBurner1271 burner = new GasBurner1271();
        vm.prank(provider);
        escrow.setOfferAttester(offerId, address(burner));
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "burn");
        Usage memory u = usageAt(1, uint64(t.startedAt + 1 hours), 3600);
        vm.warp(t.startedAt + 1 hours + CHALLENGE_WINDOW);
        uint256 gasBefore = gasleft();
        vm.prank(keeper);
        escrow.settle{gas: 10_000_000}(t, u, hex"01");
        assertLt(gasBefore - gasleft(), 250_000, "the attester gets at most ERC1271_GAS");
    }
}
