// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RentalTerms} from "../../contracts/types/DataTypes.sol";
import {DisputeBase} from "../utils/DisputeBase.t.sol";

/// @notice Every ruling the arbitrator can give, reached through the committee's votes and executed: the frozen (unpaid)
/// amount is split exactly between the renter, the provider's payout and the treasury, and the dispute bond goes to
/// exactly one party.
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
        // Part of the rental may already be paid by a checkpoint: only the rest is frozen.
        sc.paidSeconds = bound(sc.paidSeconds, 0, covered - 1);
        if (sc.paidSeconds != 0) {
            vm.warp(t.startedAt + sc.paidSeconds + CHALLENGE_WINDOW);
            checkpointAs(keeper, t, 1, uint64(t.startedAt + sc.paidSeconds), uint64(sc.paidSeconds));
        }
        if (block.timestamp >= t.startedAt + covered + CHALLENGE_WINDOW) return;
        address opener = sc.providerOpens ? provider : renter;
        address other = sc.providerOpens ? renter : provider;
        uint256 frozen = unpaidOf(t);
        uint256 disputeId = openDisputeAs(opener, t);
        Balances memory b = balances();

        uint256 share;
        if (sc.expire) {
            vm.warp(block.timestamp + RULING_PERIOD);
            share = 5000;
        } else {
            ruleByCommittee(disputeId, sc.ruling);
            share = sc.ruling == 0 ? 5000 : sc.ruling - 1;
        }
        vm.prank(keeper);
        disputes.executeRuling(t);
        Balances memory a = balances();

        // Who gets the dispute bond: the other party when the opener's side got less than half of a real ruling.
        bool fallbackApplied = sc.expire || sc.ruling == 0;
        bool openerLost = !fallbackApplied && (sc.providerOpens ? share > 5000 : share < 5000);
        address bondTo = openerLost ? other : opener;
        uint256 toRenter = a.renter - b.renter - (bondTo == renter ? DISPUTE_BOND : 0);
        uint256 toProvider = a.provider - b.provider - (bondTo == provider ? DISPUTE_BOND : 0);
        uint256 toPayout = a.payout - b.payout;
        uint256 toTreasury = a.treasury - b.treasury;

        assertEq(toRenter + toPayout + toTreasury, frozen, "renter + payout + fee == frozen amount");
        assertEq(toProvider, 0, "the provider is paid through its payout address");
        assertEq(toRenter, frozen * share / 10_000, "renter share");
        assertEq(toTreasury, fee(frozen - toRenter, FEE_BPS), "fee on the provider's part");
        // Dispute bond conservation: it left the module to exactly one party; the provider's bond is untouched.
        assertEq(b.module - a.module, DISPUTE_BOND, "the dispute bond left the module");
        assertEq(a.module, MIN_BOND, "the module holds the provider's bond, nothing else");
        assertEq(bondOf(provider).amount, MIN_BOND, "a subjective dispute never slashes");
        assertEq(b.escrow - a.escrow, frozen, "the escrow released exactly the frozen amount");
        assertEq(disputes.reputation(provider).disputesLost, share > 5000 ? 1 : 0);
    }
}
