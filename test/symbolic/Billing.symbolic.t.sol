// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Billing} from "../../contracts/libraries/Billing.sol";

/// @notice Symbolic proof (halmos, `make test-static`) that settlement conserves the deposit for every input in the
/// billing library's domain: any price < 2^96, any seconds < 2^112 paid by checkpoints, billed and elapsed, any fee
/// up to 1 500 bps, any SLA, any deposit that covers the elapsed time. halmos drops reverting paths, so this proves the
/// split wherever settlement returns; that the provider's unpaid net covers the credit (settlement never reverts in
/// the domain) is fuzzed and invariant-tested (test/fuzz/Settlement.fuzz.t.sol, test/invariant/), not proved here.
/// Ceil rounding, monotonicity and the credit's cap are fuzzed (test/fuzz/Billing.fuzz.t.sol): their queries turn on
/// 256-bit division by a constant, which neither yices, z3, bitwuzla nor cvc5 answers within minutes even for 32-bit
/// inputs, while this identity needs no division reasoning and is proved in seconds (yices, halmos's default).
contract Billing_Symbolic_Test {
    uint256 internal constant MAX_PRICE = type(uint96).max;
    uint256 internal constant MAX_SECONDS = 2 ** 112;
    uint256 internal constant MAX_DEPOSIT = type(uint96).max;
    uint256 internal constant MAX_FEE_BPS = 1500;
    uint256 internal constant BPS = 10_000;

    function _assume(bool condition) internal pure {
        // halmos treats a revert as "this path does not exist": bounding by `require` is its assume.
        require(condition);
    }

    /// paidOut(paid) + net + fee + refund == deposit: what checkpoints took plus what settlement pays is the deposit,
    /// to the unit; the fee never exceeds the cost; the credit is at most the cost; refund = deposit − cost + credit.
    function check_settlement_conservesDeposit(
        uint256 price,
        uint256 feeBps,
        uint256 slaBps,
        uint256 deposit,
        uint256 paid,
        uint256 billed,
        uint256 wall
    ) external pure {
        _assume(price <= MAX_PRICE && feeBps <= MAX_FEE_BPS && slaBps <= BPS);
        _assume(paid <= billed && billed <= wall && wall <= MAX_SECONDS);
        _assume(Billing.cost(price, wall) <= deposit && deposit <= MAX_DEPOSIT);
        _checkSplit(price, feeBps, slaBps, deposit, paid, billed, wall);
    }

    function _checkSplit(
        uint256 price,
        uint256 feeBps,
        uint256 slaBps,
        uint256 deposit,
        uint256 paid,
        uint256 billed,
        uint256 wall
    ) internal pure {
        (uint256 cost, uint256 net, uint256 fee, uint256 credit, uint256 refund) =
            Billing.settlement(price, feeBps, slaBps, deposit, paid, billed, wall);
        unchecked {
            assert(credit <= cost && refund == deposit - cost + credit);
            assert(Billing.fee(cost, feeBps) <= cost);
            // Kept apart so the stack holds the tuple: paidOut is recomputed from the inputs.
            assert(net + fee + refund + Billing.paidOut(price, feeBps, slaBps, paid) == deposit);
        }
    }
}
