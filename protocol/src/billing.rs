//! Billing math, a mirror of the escrow's (`contracts/libraries/Billing.sol` and
//! `RentalQuote.sol`, SPEC 4.1). Every amount is in token base units.
//!
//! Rules:
//! - `cost(s) = ceil(pricePerHour × s / 3600)`, always on *cumulative* seconds, so checkpoints
//!   never change the total and there is no per-second rate truncation: a 6-decimal token bills
//!   as exactly as an 18-decimal one.
//! - `fee = ceil(cost × feeBps / 10 000)`, also cumulative; the provider gets `cost − fee`.
//! - Rounding is always in the provider's and the treasury's favour by less than one base unit
//!   each, and never beyond the deposit: billing stops at [`covered_seconds`].
//! - SLA credit at settlement ([`sla_credit`]): uptime below the offer's SLA gives part of the
//!   cost back to the renter, out of the provider's net.
//! - Checkpoints pay the provider only [`checkpointable`] of the cost (its net less the most SLA
//!   credit the rental can earn) and the full fee; the held-back part waits in the deposit until
//!   settlement ([`settle`]), so the credit is always there to pay, whoever checkpoints and how
//!   often. A refund or a dispute's resolution leaves the provider [`paid_out`].
//! - A rental's live numbers ([`quote`]) come from its terms and `rentalState` alone, as the
//!   escrow's `RentalQuote` library computes them.
//!
//! Amounts are [`U256`] like the contract's `uint256` arithmetic; with on-chain inputs
//! (`uint96` prices and deposits, 64-bit seconds) no product can overflow.

use alloy::primitives::U256;

use crate::{bindings::GpuEscrow::RentalState, error::BillingError, terms::RentalTerms};

/// Seconds in an hour, the unit prices are quoted in.
pub const SECONDS_PER_HOUR: u64 = 3_600;
/// Basis points in 100 %.
pub const BPS_DENOMINATOR: u16 = 10_000;
/// Basis points of the cost credited back per basis point of uptime below the SLA.
pub const SLA_CREDIT_PER_BPS: u64 = 10;
/// Most of the cost an SLA credit gives back, in basis points (50 %).
pub const SLA_CREDIT_CAP_BPS: u64 = 5_000;

/// The largest SLA credit a rental promising `sla_bps` can earn, in basis points of its cost:
/// `min(SLA_CREDIT_CAP_BPS, sla_bps × SLA_CREDIT_PER_BPS)` (0 without an SLA).
pub fn max_sla_credit_bps(sla_bps: u16) -> u64 {
    (u64::from(sla_bps) * SLA_CREDIT_PER_BPS).min(SLA_CREDIT_CAP_BPS)
}

/// SLA credit on `cost` when `billed` of `wall` seconds were up and the offer promised `sla_bps`:
/// uptime is `floor(billed × 10 000 / wall)`; each basis point below the SLA gives back
/// [`SLA_CREDIT_PER_BPS`] basis points of the cost, at most [`max_sla_credit_bps`]; rounded down.
pub fn sla_credit(cost: U256, billed: u64, wall: u64, sla_bps: u16) -> U256 {
    if wall == 0 {
        return U256::ZERO;
    }
    let uptime_bps = u128::from(billed) * u128::from(BPS_DENOMINATOR) / u128::from(wall);
    let sla = u128::from(sla_bps);
    if uptime_bps >= sla {
        return U256::ZERO;
    }
    let credit_bps = ((sla - uptime_bps) * u128::from(SLA_CREDIT_PER_BPS)).min(u128::from(max_sla_credit_bps(sla_bps)));
    cost * U256::from(credit_bps) / U256::from(BPS_DENOMINATOR)
}

/// The provider's net that checkpoints may pay out of `amount` of cost before the rental settles:
/// `floor(amount × (10 000 − fee_bps − max_sla_credit_bps(sla_bps)) / 10 000)`. Without an SLA this
/// is exactly `amount − fee(amount)`. Non-decreasing in `amount`. The escrow caps the fee at
/// 1 500 bps and the credit at 5 000, so the basis points never go negative there; here they
/// saturate at zero.
pub fn checkpointable(amount: U256, fee_bps: u16, sla_bps: u16) -> U256 {
    let kept_bps = u64::from(BPS_DENOMINATOR)
        .saturating_sub(u64::from(fee_bps))
        .saturating_sub(max_sla_credit_bps(sla_bps));
    amount * U256::from(kept_bps) / U256::from(BPS_DENOMINATOR)
}

/// What checkpoints took out of the deposit for `paid_seconds`: the provider's [`checkpointable`]
/// net and the full fee on their cost. A refund returns the rest of the deposit; a dispute's
/// resolution puts the cost of the elapsed seconds less this at stake.
pub fn paid_out(price_per_hour: U256, fee_bps: u16, sla_bps: u16, paid_seconds: u64) -> U256 {
    let paid_cost = cost(price_per_hour, paid_seconds);
    checkpointable(paid_cost, fee_bps, sla_bps) + fee(paid_cost, fee_bps)
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

/// When a rental's billing ends (`RentalQuote.endOf`): the earliest of the stop, termination or
/// freeze (`stopped_at`, 0: none) and the moment its deposit is used up.
pub fn end_of(started_at: u64, price_per_hour: U256, deposit: U256, stopped_at: u64) -> u64 {
    let expiry = started_at.saturating_add(covered_seconds(price_per_hour, deposit));
    if stopped_at != 0 && stopped_at < expiry {
        stopped_at
    } else {
        expiry
    }
}

/// Seconds billed when a rental is settled at `end` with an attestation of `uptime_seconds` up to
/// `period_end`: the attested uptime plus the seconds between `period_end` and `end` (a renter's
/// `stopAndSettle` of a running rental ends billing at its block, and those seconds count as
/// delivered; a final attestation has none), never more than the wall clock `end − started_at`.
pub fn billed_seconds(uptime_seconds: u64, period_end: u64, started_at: u64, end: u64) -> u64 {
    let tail = end.saturating_sub(period_end);
    uptime_seconds.saturating_add(tail).min(end.saturating_sub(started_at))
}

/// One checkpoint's payment for going from `from_seconds` to `to_seconds` cumulative billed
/// seconds: what the escrow's `checkpoint` pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Payment {
    /// `provider_net + fee`: what leaves the renter's deposit.
    pub gross: U256,
    /// `fee(cost(to)) − fee(cost(from))`: the treasury's part, the whole fee.
    pub fee: U256,
    /// `checkpointable(cost(to)) − checkpointable(cost(from))`: the provider's part, its net less
    /// the SLA hold-back (`Checkpointed.providerNet`).
    pub provider_net: U256,
}

/// Payment of a checkpoint from `from_seconds` to `to_seconds` cumulative billed seconds under an
/// SLA of `sla_bps`. Cost, fee and the checkpointable net are all taken on cumulative totals, so
/// splitting a rental into checkpoints never changes what anyone gets.
pub fn payment_between(
    price_per_hour: U256,
    fee_bps: u16,
    sla_bps: u16,
    from_seconds: u64,
    to_seconds: u64,
) -> Result<Payment, BillingError> {
    check_fee_bps(fee_bps, sla_bps)?;
    if to_seconds < from_seconds {
        return Err(BillingError::BilledBelowPaid {
            paid: from_seconds,
            billed: to_seconds,
        });
    }
    let (cost_from, cost_to) = (cost(price_per_hour, from_seconds), cost(price_per_hour, to_seconds));
    let fee = fee(cost_to, fee_bps) - fee(cost_from, fee_bps);
    let provider_net = checkpointable(cost_to, fee_bps, sla_bps) - checkpointable(cost_from, fee_bps, sla_bps);
    Ok(Payment {
        gross: provider_net + fee,
        fee,
        provider_net,
    })
}

/// The final split of a rental's deposit (`Billing.settlement`).
///
/// Conservation: `paid_out(paid) + newly_provider_net + newly_fee + refund == deposit`, and
/// `provider_net + fee + sla_credit == cost`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlement {
    /// `cost(billed)`: what the renter is charged before its SLA credit (`RentalSettled.cost`).
    pub cost: U256,
    /// `fee(cost)`: the treasury's total, checkpoints included.
    pub fee: U256,
    /// `cost − fee − sla_credit`: the provider's total, checkpoints included.
    pub provider_net: U256,
    /// The SLA credit, taken from the provider's net (`RentalSettled.slaCredit`).
    pub sla_credit: U256,
    /// `deposit − cost + sla_credit`: back to the renter in the settling transaction
    /// (`RentalSettled.refund`).
    pub refund: U256,
    /// `fee(cost) − fee(cost(paid))`: the part of `fee` taken at this settlement.
    pub newly_fee: U256,
    /// `cost − fee(cost) − checkpointable(cost(paid)) − sla_credit`: what the provider receives at
    /// this settlement (its hold-back included).
    pub newly_provider_net: U256,
}

/// Splits `deposit` at settlement when `billed` of `wall` seconds are billed in total, under an
/// SLA of `sla_bps`, and `paid_seconds` of them were already paid by checkpoints.
pub fn settle(
    price_per_hour: U256,
    fee_bps: u16,
    sla_bps: u16,
    deposit: U256,
    paid_seconds: u64,
    (billed, wall): (u64, u64),
) -> Result<Settlement, BillingError> {
    check_fee_bps(fee_bps, sla_bps)?;
    if billed < paid_seconds {
        return Err(BillingError::BilledBelowPaid {
            paid: paid_seconds,
            billed,
        });
    }
    if billed > wall {
        return Err(BillingError::BilledAboveWall { billed, wall });
    }
    let paid_cost = cost(price_per_hour, paid_seconds);
    let cost = cost(price_per_hour, billed);
    let total_fee = fee(cost, fee_bps);
    let sla_credit = sla_credit(cost, billed, wall, sla_bps);
    let refund = deposit
        .checked_sub(cost)
        .ok_or(BillingError::CostExceedsDeposit { cost, deposit })?
        + sla_credit;
    // Never short: checkpoints held back max_sla_credit_bps of the cost they paid for, and the
    // credit is at most that share of the whole cost (the escrow proves it symbolically).
    let provider_net = cost - total_fee - sla_credit;
    let newly_provider_net = provider_net - checkpointable(paid_cost, fee_bps, sla_bps);
    Ok(Settlement {
        cost,
        fee: total_fee,
        provider_net,
        sla_credit,
        refund,
        newly_fee: total_fee - fee(paid_cost, fee_bps),
        newly_provider_net,
    })
}

/// A rental's live numbers (`RentalQuote.quote`), computed from its terms and `rentalState` at
/// time `now`: the escrow has no quote view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quote {
    /// Seconds from the start to `min(now, end)`.
    pub elapsed: u64,
    /// `cost(elapsed)`: the most the renter can owe so far (full uptime).
    pub accrued_max: U256,
    /// What checkpoints took out of the deposit ([`paid_out`]).
    pub paid: U256,
    /// `deposit − accrued_max`.
    pub remaining: U256,
    /// When billing ends ([`end_of`]), unless the renter tops up.
    pub ends_at: u64,
    /// `now ≥ ends_at`.
    pub ended: bool,
}

/// The live numbers of the rental with `terms` and on-chain `state` at time `now` (a block's
/// timestamp), exactly as the escrow's `RentalQuote.quote` computes them.
pub fn quote(terms: &RentalTerms, state: &RentalState, now: u64) -> Quote {
    let started_at: u64 = terms.startedAt.to();
    let price = U256::from(terms.pricePerHour);
    let deposit = U256::from(state.deposit);
    let end = end_of(started_at, price, deposit, state.stoppedAt.to());
    let elapsed = now.min(end).saturating_sub(started_at);
    let accrued_max = cost(price, elapsed);
    Quote {
        elapsed,
        accrued_max,
        paid: paid_out(price, terms.feeBps, terms.slaBps, u64::from(state.paidSeconds)),
        remaining: deposit.saturating_sub(accrued_max),
        ends_at: end,
        ended: now >= end,
    }
}

fn check_fee_bps(fee_bps: u16, sla_bps: u16) -> Result<(), BillingError> {
    if u64::from(fee_bps) + max_sla_credit_bps(sla_bps) > u64::from(BPS_DENOMINATOR) {
        return Err(BillingError::FeeAboveMax { fee_bps, sla_bps });
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
    use alloy::primitives::aliases::{U40, U96};
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
        // A small SLA caps the credit at 10 × itself: SLA 2 %, nothing up, 20 % back.
        assert_eq!(sla_credit(cost, 0, 10_000, 200), u(200_000));
    }

    #[test]
    fn the_most_credit_is_ten_times_the_sla_up_to_half_the_cost() {
        assert_eq!(max_sla_credit_bps(0), 0);
        assert_eq!(max_sla_credit_bps(200), 2_000);
        assert_eq!(max_sla_credit_bps(500), 5_000);
        assert_eq!(max_sla_credit_bps(9_900), 5_000);
    }

    #[test]
    fn checkpoints_hold_back_the_most_credit_the_rental_can_earn() {
        // No SLA: the whole net, exactly cost − fee.
        assert_eq!(
            checkpointable(u(1_000_000), 250, 0),
            u(1_000_000) - fee(u(1_000_000), 250)
        );
        // SLA 99 %: the 50 % cap is held back too; rounded down.
        assert_eq!(checkpointable(u(1_000_000), 250, 9_900), u(475_000));
        assert_eq!(checkpointable(u(999), 250, 9_900), u(474));
        // What a checkpoint of 1800 s at 2 USDC/h took out of the deposit: 475 000 net + 25 000 fee.
        assert_eq!(paid_out(u(2 * USDC), 250, 9_900, 1_800), u(500_000));
        assert_eq!(paid_out(u(2 * USDC), 250, 0, 1_800), u(1_000_000));
    }

    #[test]
    fn a_checkpoint_pays_the_checkpointable_net_and_the_whole_fee() {
        let p = payment_between(u(2 * USDC), 250, 9_900, 0, 1_800).unwrap();
        assert_eq!((p.provider_net, p.fee, p.gross), (u(475_000), u(25_000), u(500_000)));
        let later = payment_between(u(2 * USDC), 250, 9_900, 1_800, 2_700).unwrap();
        assert_eq!(
            (later.provider_net, later.fee),
            (
                checkpointable(u(1_500_000), 250, 9_900) - u(475_000),
                u(37_500) - u(25_000)
            )
        );
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
            paid += payment_between(price, 0, 0, s - 1, s).unwrap().gross;
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
    fn a_rental_ends_at_its_stop_or_when_its_deposit_runs_out() {
        let price = u(3_600);
        assert_eq!(end_of(1_000, price, u(100), 0), 1_100);
        assert_eq!(end_of(1_000, price, u(100), 1_030), 1_030);
        assert_eq!(end_of(1_000, price, u(100), 1_200), 1_100);
    }

    #[test]
    fn billed_seconds_count_the_unattested_tail_of_a_stop_as_delivered() {
        // Final attestation (period end at or after the end): the attested uptime, at most the wall clock.
        assert_eq!(billed_seconds(40, 1_050, 1_000, 1_050), 40);
        assert_eq!(billed_seconds(40, 1_060, 1_000, 1_050), 40);
        assert_eq!(billed_seconds(60, 1_080, 1_000, 1_050), 50);
        // A stop at 1 050 with an attestation up to 1 045: the last 5 s count as up.
        assert_eq!(billed_seconds(40, 1_045, 1_000, 1_050), 45);
        assert_eq!(billed_seconds(45, 1_045, 1_000, 1_050), 50);
        assert_eq!(billed_seconds(0, 1_000, 1_000, 1_000), 0);
    }

    #[test]
    fn settlement_splits_the_deposit() {
        // 2 USDC/h, 2.5 % fee, no SLA, 10 USDC deposit, 1800 s paid by a checkpoint, 2700 s billed.
        let s = settle(u(2 * USDC), 250, 0, u(10 * USDC), 1_800, (2_700, 2_700)).unwrap();
        assert_eq!(s.cost, u(1_500_000));
        assert_eq!(s.fee, u(37_500));
        assert_eq!(s.provider_net, u(1_462_500));
        assert_eq!(s.sla_credit, U256::ZERO);
        assert_eq!(s.refund, u(8_500_000));
        assert_eq!(s.newly_fee, u(12_500));
        assert_eq!(s.newly_provider_net, u(487_500));
    }

    #[test]
    fn settlement_with_an_sla_and_checkpoints_pays_the_credit_from_the_hold_back() {
        // 2 USDC/h, 2.5 % fee, SLA 99 %, 10 USDC deposit; a checkpoint paid 1800 s (475 000 net held back to
        // 4 750 bps, 25 000 fee); 2700 s of 3000 billed: uptime 90 %, the 50 % cap.
        let s = settle(u(2 * USDC), 250, 9_900, u(10 * USDC), 1_800, (2_700, 3_000)).unwrap();
        assert_eq!(s.cost, u(1_500_000));
        assert_eq!(s.fee, u(37_500));
        assert_eq!(s.sla_credit, u(750_000));
        assert_eq!(s.provider_net, u(712_500));
        assert_eq!(s.refund, u(9_250_000));
        assert_eq!(s.newly_fee, u(12_500));
        assert_eq!(s.newly_provider_net, u(237_500));
        assert_eq!(
            paid_out(u(2 * USDC), 250, 9_900, 1_800) + s.newly_provider_net + s.newly_fee + s.refund,
            u(10 * USDC)
        );
        // 98 % uptime: 100 bps short, 10 % back.
        let s = settle(u(2 * USDC), 250, 9_900, u(10 * USDC), 1_800, (2_940, 3_000)).unwrap();
        assert_eq!(s.sla_credit, cost(u(2 * USDC), 2_940) / u(10));
    }

    #[test]
    fn settlement_refuses_what_the_escrow_never_computes() {
        assert_eq!(
            settle(u(USDC), 0, 0, u(USDC), 10, (9, 9)).unwrap_err(),
            BillingError::BilledBelowPaid { paid: 10, billed: 9 }
        );
        assert_eq!(
            settle(u(USDC), 0, 0, u(USDC), 0, (10, 9)).unwrap_err(),
            BillingError::BilledAboveWall { billed: 10, wall: 9 }
        );
        assert_eq!(
            settle(u(3_600), 0, 0, u(10), 0, (11, 11)).unwrap_err(),
            BillingError::CostExceedsDeposit {
                cost: u(11),
                deposit: u(10)
            }
        );
        assert_eq!(
            settle(u(1), 10_001, 0, u(1), 0, (0, 0)).unwrap_err(),
            BillingError::FeeAboveMax {
                fee_bps: 10_001,
                sla_bps: 0
            }
        );
        assert_eq!(
            settle(u(1), 6_000, 9_900, u(1), 0, (0, 0)).unwrap_err(),
            BillingError::FeeAboveMax {
                fee_bps: 6_000,
                sla_bps: 9_900
            }
        );
    }

    #[test]
    fn extreme_price_and_duration_do_not_overflow() {
        let c = cost(u(MAX_PRICE), MAX_SECONDS);
        assert_eq!(c, u(ref_cost(MAX_PRICE, MAX_SECONDS)));
        assert_eq!(fee(c, 10_000), c);
        let s = settle(u(MAX_PRICE), 1_500, 9_900, c, 0, (MAX_SECONDS, MAX_SECONDS)).unwrap();
        assert_eq!(s.refund, U256::ZERO);
        assert_eq!(s.fee + s.provider_net, c);
    }

    fn terms(started_at: u64, price: u64, fee_bps: u16, sla_bps: u16) -> RentalTerms {
        RentalTerms {
            startedAt: U40::from(started_at),
            pricePerHour: U96::from(price),
            feeBps: fee_bps,
            slaBps: sla_bps,
            ..Default::default()
        }
    }

    fn state(deposit: u64, paid_seconds: u32, stopped_at: u64) -> RentalState {
        RentalState {
            deposit: U96::from(deposit),
            paidSeconds: paid_seconds,
            stoppedAt: U40::from(stopped_at),
            status: 1,
            ..Default::default()
        }
    }

    #[test]
    fn quote_follows_the_rental_quote_library() {
        // 1 unit per second, 100 units: runs 1 000 → 1 100; 10 s paid by a checkpoint (9 net + 1 fee).
        let t = terms(1_000, 3_600, 250, 0);
        let q = quote(&t, &state(100, 10, 0), 1_050);
        assert_eq!(
            q,
            Quote {
                elapsed: 50,
                accrued_max: u(50),
                paid: u(10),
                remaining: u(50),
                ends_at: 1_100,
                ended: false,
            }
        );
        let q = quote(&t, &state(100, 10, 0), 1_200);
        assert_eq!(
            (q.elapsed, q.remaining, q.ends_at, q.ended),
            (100, U256::ZERO, 1_100, true)
        );
        // Stopped (or frozen) at 1 030: the clock stops there.
        let q = quote(&t, &state(100, 0, 1_030), 1_050);
        assert_eq!((q.elapsed, q.accrued_max, q.ends_at, q.ended), (30, u(30), 1_030, true));
        assert_eq!(q.remaining, u(70));
        // Exactly at the end: ended.
        assert!(quote(&t, &state(100, 0, 0), 1_100).ended);
        // A block before the start (clock skew): nothing elapsed.
        assert_eq!(quote(&t, &state(100, 0, 0), 900).elapsed, 0);
        // What checkpoints paid holds back the SLA share: 1 800 s at 2 USDC/h under a 99 % SLA.
        let q = quote(&terms(0, 2_000_000, 250, 9_900), &state(10_000_000, 1_800, 0), 3_600);
        assert_eq!(q.paid, u(500_000));
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
            bps in 0..=1_500u16,
            sla in 0..=10_000u16,
            extra in 0..=MAX_PRICE,
            mut cuts in proptest::collection::vec(0..=MAX_SECONDS, 3),
        ) {
            cuts.sort_unstable();
            let (paid, billed, wall) = (cuts[0], cuts[1], cuts[2]);
            let deposit = u(ref_cost(price, wall)) + u(extra);
            let s = settle(u(price), bps, sla, deposit, paid, (billed, wall)).unwrap();
            prop_assert_eq!(paid_out(u(price), bps, sla, paid) + s.newly_provider_net + s.newly_fee + s.refund, deposit);
            prop_assert_eq!(s.provider_net + s.fee + s.sla_credit, s.cost);
            prop_assert_eq!(fee(cost(u(price), paid), bps) + s.newly_fee, s.fee);
            prop_assert_eq!(s.refund + s.cost, deposit + s.sla_credit);
        }

        #[test]
        fn checkpoints_sum_to_a_single_one(
            price in 0..=MAX_PRICE,
            bps in 0..=1_500u16,
            sla in 0..=10_000u16,
            mut cuts in proptest::collection::vec(0..=MAX_SECONDS, 1..8),
        ) {
            cuts.sort_unstable();
            let mut total = Payment::default();
            let mut from = 0;
            for &to in &cuts {
                let p = payment_between(u(price), bps, sla, from, to).unwrap();
                total.gross += p.gross;
                total.fee += p.fee;
                total.provider_net += p.provider_net;
                from = to;
            }
            let last = *cuts.last().unwrap();
            prop_assert_eq!(total, payment_between(u(price), bps, sla, 0, last).unwrap());
            prop_assert_eq!(total.gross, paid_out(u(price), bps, sla, last));
        }
    }
}
