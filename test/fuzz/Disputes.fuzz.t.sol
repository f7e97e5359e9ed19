// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms} from "../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../utils/DisputeBase.t.sol";

/// @notice Every ruling the arbitrator can give, reached through the committee's votes and executed: what is at stake
/// (the cost of the seconds before the freeze not yet paid) is split exactly between the renter, the provider's payout
/// and the treasury, the deposit after the freeze goes back to the renter, and the dispute bond goes to exactly one
/// party; with no ruling the refund rules apply.
contract Disputes_Fuzz_Test is DisputeBase {
    struct Scenario {
        uint256 deposit;
        uint256 paidSeconds;
        uint256 ruling;
        bool providerOpens;
        bool expire;
    }

    struct Balances {
        uint256 renter;
        uint256 provider;
        uint256 payout;
        uint256 treasury;
        uint256 module;
        uint256 escrow;
    }

    function balances() internal view returns (Balances memory b) {
        b = Balances(
            usdc.balanceOf(renter),
            usdc.balanceOf(provider),
            usdc.balanceOf(payout),
            usdc.balanceOf(treasury),
            usdc.balanceOf(address(disputes)),
            usdc.balanceOf(address(escrow))
        );
    }

    function testFuzz_Ruling_SplitsTheFrozenAmountExactly(Scenario memory sc) external {
        sc.deposit = bound(sc.deposit, cost(PRICE, 60), cost(PRICE, 30 days));
        sc.ruling = bound(sc.ruling, 0, 10_001);
        RentalTerms memory t = openRental(uint96(sc.deposit), "fuzz");
        uint256 covered = sc.deposit * 3600 / PRICE;
        // Part of the rental may already be paid by a checkpoint while it ran; the dispute opens right after it.
        sc.paidSeconds = covered > CHALLENGE_WINDOW + 1 ? bound(sc.paidSeconds, 0, covered - CHALLENGE_WINDOW - 1) : 0;
        if (sc.paidSeconds != 0) {
            vm.warp(t.startedAt + sc.paidSeconds + CHALLENGE_WINDOW);
            checkpointAs(keeper, t, 1, uint64(t.startedAt + sc.paidSeconds), uint64(sc.paidSeconds));
        }
        address opener = sc.providerOpens ? provider : renter;
        address other = sc.providerOpens ? renter : provider;
        uint256 unpaid = unpaidOf(t);
        // Freezing stops the clock: only the cost of the seconds before it, less what checkpoints paid, is at stake.
        uint256 elapsed = block.timestamp - t.startedAt < covered ? block.timestamp - t.startedAt : covered;
        uint256 atStake = cost(PRICE, elapsed) - cost(PRICE, sc.paidSeconds);
        uint256 disputeId = openDisputeAs(opener, t);
        Balances memory b = balances();

        bool fallbackApplied = sc.expire || sc.ruling == 0;
        uint256 share = fallbackApplied ? 0 : sc.ruling - 1;
        if (sc.expire) vm.warp(block.timestamp + RULING_PERIOD + GRACE_PERIOD + 1);
        else ruleByCommittee(disputeId, sc.ruling);
        if (fallbackApplied) vm.warp(block.timestamp + GRACE_PERIOD + 1);
        vm.prank(keeper);
        disputes.executeRuling(t);
        Balances memory a = balances();

        // Who gets the dispute bond: the other party when the opener's side got less than half of a real ruling.
        address bondTo = !fallbackApplied && (sc.providerOpens ? share > 5000 : share < 5000) ? other : opener;
        uint256 toRenter = a.renter - b.renter - (bondTo == renter ? DISPUTE_BOND : 0);
        assertEq(a.provider - b.provider, bondTo == provider ? DISPUTE_BOND : 0, "the provider is paid via payout");
        assertEq(toRenter + (a.payout - b.payout) + (a.treasury - b.treasury), unpaid, "all of what checkpoints left");
        // No ruling and no attestation brought: the refund rules, as without the dispute. A ruling: the deposit after
        // the freeze and the renter's share of what was at stake, the fee on the provider's part.
        uint256 stakeToRenter = fallbackApplied ? atStake : atStake * share / 10_000;
        assertEq(toRenter, unpaid - atStake + stakeToRenter, "renter");
        assertEq(a.treasury - b.treasury, fallbackApplied ? 0 : fee(atStake - stakeToRenter, FEE_BPS), "fee");
        // Dispute bond conservation: it left the module to exactly one party; the provider's bond is untouched.
        assertEq(b.module - a.module, DISPUTE_BOND, "the dispute bond left the module");
        assertEq(a.module, MIN_BOND, "the module holds the provider's bond, nothing else");
        assertEq(bondOf(provider).amount, MIN_BOND, "a subjective dispute never slashes");
        assertEq(b.escrow - a.escrow, unpaid, "the escrow released exactly what checkpoints left");
        assertEq(disputes.reputation(provider).disputesLost, share > 5000 ? 1 : 0);
    }
}
