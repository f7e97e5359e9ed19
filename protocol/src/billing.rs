//! Billing math, a mirror of the escrow's (SPEC 4.1). Every amount is in token base units.
//!
//! Rules:
//! - `cost(s) = ceil(pricePerHour × s / 3600)`, always on *cumulative* seconds, so checkpoints
//!   never change the total and there is no per-second rate truncation: a 6-decimal token bills
//!   as exactly as an 18-decimal one.
//! - `fee = ceil(cost × feeBps / 10 000)`, also cumulative; the provider gets `cost − fee`.
//! - Rounding is always in the provider's and the treasury's favour by less than one base unit
//!   each, and never beyond the deposit: billing stops at [`covered_seconds`].
//! - SLA credit at settlement ([`sla_credit`], [`Settlement::with_sla_credit`]): uptime below the
//!   offer's SLA gives part of the cost back to the renter, out of the provider's unpaid net.
//!
//! Amounts are [`U256`] like the contract's `uint256` arithmetic; with on-chain inputs
//! (`uint96` prices and deposits, 64-bit seconds) no product can overflow.

use alloy::primitives::U256;

use crate::error::BillingError;

/// Seconds in an hour, the unit prices are quoted in.
pub const SECONDS_PER_HOUR: u64 = 3_600;
/// Basis points in 100 %.
pub const BPS_DENOMINATOR: u16 = 10_000;
/// Basis points of the cost credited back per basis point of uptime below the SLA.
pub const SLA_CREDIT_PER_BPS: u64 = 10;
/// Most of the cost an SLA credit gives back, in basis points (50 %).
pub const SLA_CREDIT_CAP_BPS: u64 = 5_000;

/// SLA credit on `cost` when `billed` of `wall` seconds were up and the offer promised `sla_bps`:
/// uptime is `floor(billed × 10 000 / wall)`; each basis point below the SLA gives back
/// [`SLA_CREDIT_PER_BPS`] basis points of the cost, at most [`SLA_CREDIT_CAP_BPS`]; rounded down.
pub fn sla_credit(cost: U256, billed: u64, wall: u64, sla_bps: u16) -> U256 {
    if wall == 0 {
        return U256::ZERO;
    }
    let uptime_bps = u128::from(billed) * u128::from(BPS_DENOMINATOR) / u128::from(wall);
    let sla_bps = u128::from(sla_bps);
    if uptime_bps >= sla_bps {
        return U256::ZERO;
    }
    let credit_bps = ((sla_bps - uptime_bps) * u128::from(SLA_CREDIT_PER_BPS)).min(u128::from(SLA_CREDIT_CAP_BPS));
    cost * U256::from(credit_bps) / U256::from(BPS_DENOMINATOR)
}

/// Cost of `seconds` of rental at `price_per_hour`: `ceil(price_per_hour × seconds / 3600)`.
pub fn cost(price_per_hour: U256, seconds: u64) -> U256 {
    div_ceil(price_per_hour * U256::from(seconds), U256::from(SECONDS_PER_HOUR))
}

/// Platform fee on `cost`: `ceil(cost × fee_bps / 10 000)`. At most `cost` while
/// `fee_bps ≤ 10 000`.
pub fn fee(cost: U256, fee_bps: u16) -> U256 {
    div_ceil(cost * U256::from(fee_bps), U256::from(BPS_DENOMINATOR))
}

/// Seconds a deposit pays for: `floor(deposit × 3600 / price_per_hour)`, the largest `s` with
/// `cost(price_per_hour, s) ≤ deposit`.
///
/// Saturates at `u64::MAX`, which is also the answer for a zero price (free time never runs out).
pub fn covered_seconds(price_per_hour: U256, deposit: U256) -> u64 {
    if price_per_hour.is_zero() {
        return u64::MAX;
    }
    // deposit = q·p + r ⇒ floor(deposit·3600 / p) = q·3600 + floor(r·3600 / p), which cannot
    // overflow for any deposit (r < p).
    let (q, r) = deposit.div_rem(price_per_hour);
    let hour = U256::from(SECONDS_PER_HOUR);
    let seconds = q
        .saturating_mul(hour)
        .saturating_add(r.saturating_mul(hour) / price_per_hour);
    u64::try_from(seconds).unwrap_or(u64::MAX)
}

/// Deposit needed for a fixed-duration rental of `seconds`: exactly [`cost`] of those seconds.
pub fn deposit_for(price_per_hour: U256, seconds: u64) -> U256 {
    cost(price_per_hour, seconds)
}

/// Seconds billed at settlement: `min(uptime, wall clock from start to end, seconds the deposit
/// covers)`. Never more than the wall-clock time, never more than the deposit pays for.
pub fn billable_seconds(
    uptime_seconds: u64,
    started_at: u64,
    ended_at: u64,
    price_per_hour: U256,
    deposit: U256,
) -> u64 {
    let wall_clock = ended_at.saturating_sub(started_at);
    uptime_seconds
        .min(wall_clock)
        .min(covered_seconds(price_per_hour, deposit))
}

/// One payment to a provider for the seconds between two cumulative totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Payment {
    /// `cost(to) − cost(from)`: what leaves the renter's deposit.
    pub gross: U256,
    /// `fee(cost(to)) − fee(cost(from))`: the treasury's part of `gross`.
    pub fee: U256,
    /// `gross − fee`: the provider's part.
    pub provider_net: U256,
}

/// Payment for going from `from_seconds` to `to_seconds` cumulative billed seconds, as a
/// checkpoint or the final settlement pays it. Both cost and fee are taken on the cumulative
/// totals, so splitting a rental into checkpoints never changes what anyone gets.
pub fn payment_between(
    price_per_hour: U256,
    fee_bps: u16,
    from_seconds: u64,
    to_seconds: u64,
) -> Result<Payment, BillingError> {
    check_fee_bps(fee_bps)?;
    if to_seconds < from_seconds {
        return Err(BillingError::BilledBelowPaid {
            paid: from_seconds,
            billed: to_seconds,
        });
    }
    let (cost_from, cost_to) = (cost(price_per_hour, from_seconds), cost(price_per_hour, to_seconds));
    let (fee_from, fee_to) = (fee(cost_from, fee_bps), fee(cost_to, fee_bps));
    let gross = cost_to - cost_from;
    let fee = fee_to - fee_from;
    Ok(Payment {
        gross,
        fee,
        provider_net: gross - fee,
    })
}

/// The final split of a rental's deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlement {
    /// Total cost of the billed seconds, checkpoints included.
    pub cost: U256,
    /// Total fee on `cost`, checkpoints included.
    pub fee: U256,
    /// `cost − fee`: the provider's total.
    pub provider_net: U256,
    /// `deposit − cost`: returned to the renter by the settling transaction.
    pub refund: U256,
    /// `cost(billed) − cost(paid)`: the part of `cost` not yet paid by checkpoints.
    pub newly_paid: U256,
    /// `fee(cost(billed)) − fee(cost(paid))`: the part of `fee` taken at this settlement.
    pub newly_fee: U256,
    /// `newly_paid − newly_fee`: what the provider receives at this settlement.
    pub newly_provider_net: U256,
    /// SLA credit given back to the renter out of `newly_provider_net` (included in `refund`,
    /// taken off `provider_net`); zero until [`Settlement::with_sla_credit`].
    pub sla_credit: U256,
}

impl Settlement {
    /// Applies the escrow's SLA credit for a rental whose billing window was `wall` seconds under
    /// an SLA of `sla_bps`: [`sla_credit`] of the cost, at most the provider's unpaid net, moves
    /// from the provider to the renter's refund.
    #[must_use]
    pub fn with_sla_credit(mut self, billed: u64, wall: u64, sla_bps: u16) -> Self {
        let credit = sla_credit(self.cost, billed, wall, sla_bps).min(self.newly_provider_net);
        self.sla_credit = credit;
        self.newly_provider_net -= credit;
        self.provider_net -= credit;
        self.refund += credit;
        self
    }
}

/// Splits `deposit` at settlement when `billed_seconds` are billed in total and
/// `paid_seconds` of them were already paid by checkpoints.
///
/// Conservation: `cost(paid) + newly_paid + refund == deposit` and
/// `provider_net + fee == cost`.
pub fn settle(
    price_per_hour: U256,
    fee_bps: u16,
    deposit: U256,
    paid_seconds: u64,
    billed_seconds: u64,
) -> Result<Settlement, BillingError> {
    let newly = payment_between(price_per_hour, fee_bps, paid_seconds, billed_seconds)?;
    let cost = cost(price_per_hour, billed_seconds);
    let refund = deposit
        .checked_sub(cost)
        .ok_or(BillingError::CostExceedsDeposit { cost, deposit })?;
    let fee = fee(cost, fee_bps);
    Ok(Settlement {
        cost,
        fee,
        provider_net: cost - fee,
        refund,
        newly_paid: newly.gross,
        newly_fee: newly.fee,
        newly_provider_net: newly.provider_net,
        sla_credit: U256::ZERO,
    })
}

fn check_fee_bps(fee_bps: u16) -> Result<(), BillingError> {
    if fee_bps > BPS_DENOMINATOR {
        return Err(BillingError::FeeAboveMax { fee_bps });
    }
    Ok(())
}

/// `ceil(a / b)` for `b > 0`.
fn div_ceil(a: U256, b: U256) -> U256 {
    let (q, r) = a.div_rem(b);
    if r.is_zero() {
        q
    } else {
        q + U256::from(1)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MAX_PRICE: u128 = (1 << 96) - 1;
    const MAX_SECONDS: u64 = (1 << 32) - 1;
    const USDC: u128 = 1_000_000;
    const ETHER: u128 = 1_000_000_000_000_000_000;

    fn u(x: u128) -> U256 {
        U256::from(x)
    }

    #[test]
    fn sla_credit_follows_the_contract_examples() {
        let cost = u(1_000_000);
        // SLA 99 %, uptime 97 %: 200 bps short, 20 % back.
        assert_eq!(sla_credit(cost, 9_700, 10_000, 9_900), u(200_000));
        // Below 94 %: the 50 % cap.
        assert_eq!(sla_credit(cost, 9_000, 10_000, 9_900), u(500_000));
        // Met, no SLA, or no time: nothing.
        assert_eq!(sla_credit(cost, 9_900, 10_000, 9_900), U256::ZERO);
        assert_eq!(sla_credit(cost, 0, 10_000, 0), U256::ZERO);
        assert_eq!(sla_credit(cost, 0, 0, 9_900), U256::ZERO);
        // A shortfall is never rounded away: 9 999 of 10 000 s is 9 998 bps, 2 bps short of 100 %.
        assert_eq!(sla_credit(cost, 9_999, 10_000, 10_000), u(1_000));
    }

    #[test]
    fn the_sla_credit_moves_from_the_provider_to_the_refund_capped_at_the_unpaid_net() {
        let price = u(3_600);
        let plain = settle(price, 250, u(10_000), 0, 3_000).unwrap();
        let credited = plain.with_sla_credit(3_000, 3_600, 9_900);
        assert_eq!(credited.sla_credit, plain.cost / u(2), "83 % uptime: the 50 % cap");
        assert_eq!(credited.refund, plain.refund + credited.sla_credit);
        assert_eq!(credited.provider_net + credited.sla_credit, plain.provider_net);
        // Mostly paid by checkpoints already: the credit cannot exceed what is still owed.
        let late = settle(price, 250, u(10_000), 2_990, 3_000)
            .unwrap()
            .with_sla_credit(3_000, 3_600, 9_900);
        assert_eq!(
            late.sla_credit,
            settle(price, 250, u(10_000), 2_990, 3_000).unwrap().newly_provider_net
        );
        assert_eq!(late.newly_provider_net, U256::ZERO);
    }

    /// Reference: `ceil(p·s / 3600)` in u128; `p·s < 2^128` for a 96-bit price and 32-bit seconds.
    fn ref_cost(price: u128, seconds: u64) -> u128 {
        (price * u128::from(seconds)).div_ceil(3_600)
    }

    /// Reference: `ceil(c·b / 10000)` without forming `c·b` (it can exceed u128).
    fn ref_fee(cost: u128, bps: u16) -> u128 {
        let bps = u128::from(bps);
        (cost / 10_000) * bps + ((cost % 10_000) * bps).div_ceil(10_000)
    }

    #[test]
    fn one_second_of_a_six_decimal_price_rounds_up() {
        // 2 USDC/h = 2_000_000 units/h; one second is 555.55… units, billed 556.
        assert_eq!(cost(u(2 * USDC), 1), u(556));
        assert_eq!(cost(u(2 * USDC), 3_600), u(2 * USDC));
        assert_eq!(cost(u(2 * USDC), 0), U256::ZERO);
    }

    #[test]
    fn eighteen_decimal_price_bills_exactly() {
        // 0.5 ETH/h for 90 s = 0.0125 ETH, no rounding needed.
        assert_eq!(cost(u(ETHER / 2), 90), u(12_500_000_000_000_000));
        // 1 wei/h for 1 s still costs 1 wei: rounding up, never a free second.
        assert_eq!(cost(u(1), 1), u(1));
    }

    #[test]
    fn cumulative_cost_does_not_depend_on_checkpoints() {
        // 1 USDC/h: per-second rounding would bill 278 × 3600 ≠ 1_000_000.
        let price = u(USDC);
        let mut paid = U256::ZERO;
        for s in 1..=3_600 {
            paid += payment_between(price, 0, s - 1, s).unwrap().gross;
        }
        assert_eq!(paid, u(USDC));
    }

    #[test]
    fn fee_rounds_up_and_never_exceeds_cost() {
        assert_eq!(fee(u(1), 1), u(1));
        assert_eq!(fee(u(10_000), 250), u(250));
        assert_eq!(fee(u(10_001), 250), u(251));
        assert_eq!(fee(u(7), 10_000), u(7));
        assert_eq!(fee(U256::ZERO, 1_500), U256::ZERO);
    }

    #[test]
    fn covered_seconds_is_the_largest_affordable_duration() {
        assert_eq!(covered_seconds(u(2 * USDC), u(2 * USDC)), 3_600);
        assert_eq!(covered_seconds(u(2 * USDC), u(556)), 1);
        assert_eq!(covered_seconds(u(2 * USDC), u(555)), 0);
        assert_eq!(covered_seconds(U256::ZERO, u(1)), u64::MAX);
        assert_eq!(covered_seconds(u(1), U256::MAX), u64::MAX);
    }

    #[test]
    fn deposit_for_covers_exactly_the_duration() {
        let price = u(3 * USDC + 17);
        let deposit = deposit_for(price, 7_777);
        assert!(covered_seconds(price, deposit) >= 7_777);
        assert!(covered_seconds(price, deposit - u(1)) < 7_777);
    }

    #[test]
    fn billable_seconds_is_capped_by_wall_clock_and_deposit() {
        let price = u(3_600);
        assert_eq!(billable_seconds(100, 1_000, 1_050, price, u(1_000)), 50);
        assert_eq!(billable_seconds(40, 1_000, 1_050, price, u(1_000)), 40);
        assert_eq!(billable_seconds(100, 1_000, 1_050, price, u(30)), 30);
        assert_eq!(billable_seconds(100, 1_050, 1_000, price, u(30)), 0);
    }

    #[test]
    fn settlement_splits_the_deposit() {
        // 2 USDC/h, 2.5 % fee, 10 USDC deposit, 1800 s paid by a checkpoint, 2700 s billed.
        let s = settle(u(2 * USDC), 250, u(10 * USDC), 1_800, 2_700).unwrap();
        assert_eq!(s.cost, u(1_500_000));
        assert_eq!(s.fee, u(37_500));
        assert_eq!(s.provider_net, u(1_462_500));
        assert_eq!(s.refund, u(8_500_000));
        assert_eq!(s.newly_paid, u(500_000));
        assert_eq!(s.newly_fee, u(12_500));
        assert_eq!(s.newly_provider_net, u(487_500));
    }

    #[test]
    fn settlement_refuses_billing_backwards() {
        let err = settle(u(USDC), 0, u(USDC), 10, 9).unwrap_err();
        assert_eq!(err, BillingError::BilledBelowPaid { paid: 10, billed: 9 });
    }

    #[test]
    fn settlement_refuses_cost_above_deposit() {
        let err = settle(u(3_600), 0, u(10), 0, 11).unwrap_err();
        assert_eq!(
            err,
            BillingError::CostExceedsDeposit {
                cost: u(11),
                deposit: u(10)
            }
        );
    }

    #[test]
    fn settlement_refuses_fee_above_100_percent() {
        assert_eq!(
            settle(u(1), 10_001, u(1), 0, 0).unwrap_err(),
            BillingError::FeeAboveMax { fee_bps: 10_001 }
        );
    }

    #[test]
    fn extreme_price_and_duration_do_not_overflow() {
        let c = cost(u(MAX_PRICE), MAX_SECONDS);
        assert_eq!(c, u(ref_cost(MAX_PRICE, MAX_SECONDS)));
        assert_eq!(fee(c, 10_000), c);
        let s = settle(u(MAX_PRICE), 1_500, c, 0, MAX_SECONDS).unwrap();
        assert_eq!(s.refund, U256::ZERO);
        assert_eq!(s.fee + s.provider_net, c);
    }

    proptest! {
        #[test]
        fn cost_matches_u128_reference(price in 0..=MAX_PRICE, seconds in 0..=MAX_SECONDS) {
            prop_assert_eq!(cost(u(price), seconds), u(ref_cost(price, seconds)));
        }

        #[test]
        fn fee_matches_u128_reference(price in 0..=MAX_PRICE, seconds in 0..=MAX_SECONDS, bps in 0..=10_000u16) {
            let c = ref_cost(price, seconds);
            prop_assert_eq!(fee(u(c), bps), u(ref_fee(c, bps)));
            prop_assert!(ref_fee(c, bps) <= c);
        }

        #[test]
        fn covered_seconds_is_tight(price in 1..=MAX_PRICE, deposit in 0..=MAX_PRICE) {
            let s = covered_seconds(u(price), u(deposit));
            prop_assert!(cost(u(price), s) <= u(deposit));
            if s < u64::MAX {
                prop_assert!(cost(u(price), s + 1) > u(deposit));
            }
        }

        #[test]
        fn cost_is_monotone(price in 0..=MAX_PRICE, a in 0..=MAX_SECONDS, b in 0..=MAX_SECONDS) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(cost(u(price), lo) <= cost(u(price), hi));
        }

        #[test]
        fn settlement_conserves_the_deposit(
            price in 1..=MAX_PRICE,
            bps in 0..=10_000u16,
            extra in 0..=MAX_PRICE,
            a in 0..=MAX_SECONDS,
            b in 0..=MAX_SECONDS,
        ) {
            let (paid, billed) = if a <= b { (a, b) } else { (b, a) };
            let deposit = u(ref_cost(price, billed)) + u(extra);
            let s = settle(u(price), bps, deposit, paid, billed).unwrap();
            let paid_before = cost(u(price), paid);
            prop_assert_eq!(paid_before + s.newly_paid + s.refund, deposit);
            prop_assert_eq!(s.provider_net + s.fee, s.cost);
            prop_assert_eq!(fee(paid_before, bps) + s.newly_fee, s.fee);
            prop_assert_eq!(s.newly_provider_net + s.newly_fee, s.newly_paid);
        }

        #[test]
        fn checkpoints_sum_to_a_single_settlement(
            price in 0..=MAX_PRICE,
            bps in 0..=10_000u16,
            mut cuts in proptest::collection::vec(0..=MAX_SECONDS, 1..8),
        ) {
            cuts.sort_unstable();
            let mut total = Payment::default();
            let mut from = 0;
            for &to in &cuts {
                let p = payment_between(u(price), bps, from, to).unwrap();
                total.gross += p.gross;
                total.fee += p.fee;
                total.provider_net += p.provider_net;
                from = to;
            }
            let last = *cuts.last().unwrap();
            prop_assert_eq!(total, payment_between(u(price), bps, 0, last).unwrap());
        }
    }
}
