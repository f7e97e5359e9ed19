// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Billing} from "../../contracts/libraries/Billing.sol";
import {OfferParams, RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {Base} from "../utils/Base.t.sol";

/// @notice Whole rentals with random price, deposit, stop time, checkpoints, uptime and closing path: the deposit is
/// always split exactly into provider net + fee + refund (earnings flushed to credits and SLA credits included), and
/// nothing is billed beyond the wall-clock time.
contract Settlement_Fuzz_Test is Base {
    struct Scenario {
        uint256 price;
        uint256 deposit;
        uint256 stopAt;
        uint256 checkpoints;
        uint256[3] periodEnds;
        uint256[3] uptimes;
        uint256 finalPeriodEnd;
        uint256 finalUptime;
        uint256 path; // 0 renter settles, 1 keeper settles, 2 renter stopAndSettle (ended), 3 refund
        uint256 slaBps; // the offer's SLA: none in half the runs
    }

    struct Run {
        RentalTerms t;
        uint64 offer;
        uint256 covered;
        uint256 end;
        uint256 paid;
        uint256 lastUptime;
        uint256 paidSeconds;
        uint256 slaCredit;
        uint64 seq;
    }

    function testFuzz_Settlement_ConservesTheDeposit(Scenario memory sc) external {
        Run memory r;
        sc.price = bound(sc.price, 1, 1e24);
        sc.deposit = bound(sc.deposit, Billing.cost(sc.price, 60), sc.price * 30 days / 3600);
        sc.slaBps = sc.slaBps % 2 == 0 ? 0 : bound(sc.slaBps, 1, 10_000);
        r.offer = _offer(uint96(sc.price), uint16(sc.slaBps));
        usdc.mint(renter, sc.deposit);
        uint256 renterBefore = usdc.balanceOf(renter);
        r.t = openRentalFrom(renter, r.offer, uint96(sc.deposit), "fuzz");
        r.covered = sc.deposit * 3600 / sc.price;

        // The renter may stop before the deposit runs out.
        sc.stopAt = bound(sc.stopAt, 0, r.covered + 1000);
        r.end = sc.stopAt < r.covered ? sc.stopAt : r.covered;

        // Checkpoints by anyone while it runs, at non-decreasing period ends and uptimes, each out of its challenge
        // window before the end.
        sc.checkpoints = r.end > CHALLENGE_WINDOW + 1 ? bound(sc.checkpoints, 0, 3) : 0;
        uint256 lastPeriodEnd;
        for (uint256 i; i < sc.checkpoints; ++i) {
            uint256 pe = bound(sc.periodEnds[i], lastPeriodEnd, r.end - CHALLENGE_WINDOW - 1);
            uint256 up = bound(sc.uptimes[i], r.lastUptime, pe);
            _warpAtLeast(r.t.startedAt + pe + CHALLENGE_WINDOW);
            checkpointAs(keeper, r.t, ++r.seq, uint64(r.t.startedAt + pe), uint64(up));
            (lastPeriodEnd, r.lastUptime) = (pe, up);
            r.paidSeconds = up;
        }
        if (sc.stopAt < r.covered) {
            _warpAtLeast(r.t.startedAt + sc.stopAt);
            vm.prank(renter);
            escrow.stop(r.t);
        }

        // Close it.
        sc.path = bound(sc.path, 0, 3);
        if (sc.path == 3) {
            _warpAtLeast(r.t.startedAt + r.end + GRACE_PERIOD + 1);
            escrow.refund(r.t);
        } else {
            uint256 pe = bound(sc.finalPeriodEnd, r.end, r.end + CHALLENGE_WINDOW);
            uint256 up = bound(sc.finalUptime, r.lastUptime, pe);
            _warpAtLeast(r.t.startedAt + (sc.path == 1 ? r.end + CHALLENGE_WINDOW : pe));
            Usage memory u = usageAt(++r.seq, uint64(r.t.startedAt + pe), uint64(up));
            bytes memory sig = signUsage(r.t, u);
            vm.prank(sc.path == 1 ? keeper : renter);
            if (sc.path == 2) escrow.stopAndSettle(r.t, u, sig);
            else escrow.settle(r.t, u, sig);
            r.lastUptime = up;
            r.slaCredit = _expectedSlaCredit(sc.price, up < r.end ? up : r.end, r.end, sc.slaBps);
        }

        // Accrued earnings and fees that would have overflowed the offer account's uint64 fields were flushed to the
        // payout's and the treasury's credit: both are part of what the rental paid.
        uint256 net = offerNet(r.offer) + escrow.credit(payout, address(usdc));
        uint256 fee_ = offerFees(r.offer) + escrow.credit(treasury, address(usdc));
        uint256 refund_ = usdc.balanceOf(renter) + escrow.credit(renter, address(usdc)) - (renterBefore - sc.deposit);
        assertEq(net + fee_ + refund_, sc.deposit, "net + fee + refund == deposit");
        assertLe(net + fee_, Billing.cost(sc.price, r.end), "billed <= wall clock");
        // Billed: min(last accepted uptime, wall). On a refund, the provider keeps what checkpoints paid out (the
        // SLA hold-back goes back to the renter). The SLA credit is the formula on the whole rental, however many
        // checkpoints came before, and comes out of the provider's net, never out of the fee.
        uint256 billed = r.lastUptime < r.end ? r.lastUptime : r.end;
        uint256 billedCost = Billing.cost(sc.price, billed);
        if (sc.path == 3) {
            assertEq(net + fee_, Billing.paidOut(sc.price, FEE_BPS, sc.slaBps, billed), "refund: checkpoints paid out");
        } else {
            assertEq(net + fee_ + r.slaCredit, billedCost, "cost of min(uptime, wall), less the SLA credit");
        }
        assertEq(fee_, Billing.fee(billedCost, FEE_BPS), "fee on the total");
        assertLe(r.slaCredit, billedCost / 2, "SLA credit <= 50 % of the cost");
        assertEq(usdc.balanceOf(address(escrow)), net + fee_, "escrow holds exactly what it owes");
        assertEq(activeOn(r.offer), 0);
    }

    /// @dev The credit a settlement gives back: the formula on the whole rental, whatever checkpoints paid before.
    function _expectedSlaCredit(uint256 price, uint256 billed, uint256 wall, uint256 slaBps)
        internal
        pure
        returns (uint256)
    {
        return Billing.slaCredit(Billing.cost(price, billed), billed, wall, slaBps);
    }

    function _offer(uint96 price, uint16 slaBps) internal returns (uint64 id) {
        OfferParams memory p = defaultOffer(address(usdc));
        p.pricePerHour = price;
        p.slaBps = slaBps;
        p.minDuration = 60;
        p.maxDuration = 30 days;
        vm.prank(provider);
        id = escrow.createOffer(p);
    }

    function _warpAtLeast(uint256 t) internal {
        if (block.timestamp < t) vm.warp(t);
    }
}
