// The escrow's billing math in the browser, function for function the Rust mirror in protocol/src/billing.rs and
// the contracts' Billing and RentalQuote libraries: cost, fee, SLA credit, what checkpoints paid, and a rental's live
// quote from its terms and `rentalState` (the escrow has no quote view). All amounts in token base units.
import type { Terms } from "./rental";

const BPS = 10_000n;
/** Basis points of the cost credited back per basis point of uptime below the SLA. */
const SLA_CREDIT_PER_BPS = 10n;
/** The largest SLA credit, in basis points of the cost (50 %). */
const SLA_CREDIT_CAP_BPS = 5_000n;

/** `IRentals.rentalState(id)`: status 0 none (closed), 1 active, 2 frozen by a dispute. */
export interface RentalState {
  deposit: bigint;
  paidSeconds: number;
  lastSeq: bigint;
  stoppedAt: number;
  status: number;
}

/** A rental's live numbers (RentalQuote.quote). */
export interface Quote {
  elapsed: bigint;
  /** cost(elapsed): the most the renter can owe so far (full uptime). */
  accruedMax: bigint;
  /** What checkpoints took out of the deposit (paidOut). */
  paid: bigint;
  /** deposit − accruedMax. */
  remaining: bigint;
  endsAt: bigint;
  ended: boolean;
}

const divUp = (a: bigint, b: bigint) => (a === 0n ? 0n : (a - 1n) / b + 1n);

/** Cost of `seconds` of GPU time: ceil(pricePerHour × seconds / 3600). */
export function costOf(pricePerHour: bigint, seconds: bigint): bigint {
  return divUp(pricePerHour * seconds, 3600n);
}

/** Protocol fee on `cost`: ceil(cost × feeBps / 10 000). */
export function feeOf(cost: bigint, feeBps: number): bigint {
  return divUp(cost * BigInt(feeBps), BPS);
}

/** The longest time a deposit pays for: floor(deposit × 3600 / pricePerHour). */
export function coveredSeconds(pricePerHour: bigint, deposit: bigint): bigint {
  return (deposit * 3600n) / pricePerHour;
}

/** The largest SLA credit a rental promising `slaBps` can earn, in bps of its cost: min(5 000, 10 × slaBps). */
export function maxSlaCreditBps(slaBps: number): bigint {
  const cap = BigInt(slaBps) * SLA_CREDIT_PER_BPS;
  return cap < SLA_CREDIT_CAP_BPS ? cap : SLA_CREDIT_CAP_BPS;
}

/**
 * The SLA credit settlement gives back on `cost` when `billed` of `wall` seconds were up and the offer promised
 * `slaBps`: 10 bps of the cost per bps of uptime (rounded down) below the SLA, at most maxSlaCreditBps.
 */
export function slaCreditOf(cost: bigint, billed: bigint, wall: bigint, slaBps: number): bigint {
  if (wall === 0n) return 0n;
  const uptimeBps = (billed * BPS) / wall;
  if (uptimeBps >= BigInt(slaBps)) return 0n;
  let creditBps = (BigInt(slaBps) - uptimeBps) * SLA_CREDIT_PER_BPS;
  const cap = maxSlaCreditBps(slaBps);
  if (creditBps > cap) creditBps = cap;
  return (cost * creditBps) / BPS;
}

/** The provider's net checkpoints may pay out of `amount` of cost: floor(amount × (10 000 − fee − maxCredit) / 10 000). */
export function checkpointable(amount: bigint, feeBps: number, slaBps: number): bigint {
  return (amount * (BPS - BigInt(feeBps) - maxSlaCreditBps(slaBps))) / BPS;
}

/** What checkpoints took out of the deposit for `paidSeconds`: their checkpointable net and the whole fee. */
export function paidOut(terms: Terms, paidSeconds: bigint): bigint {
  const paidCost = costOf(terms.pricePerHour, paidSeconds);
  return checkpointable(paidCost, terms.feeBps, terms.slaBps) + feeOf(paidCost, terms.feeBps);
}

/** When billing ends: the stop, termination or freeze (`stoppedAt`, 0: none), or when the deposit runs out. */
export function endOf(terms: Terms, deposit: bigint, stoppedAt: number): bigint {
  const expiry = BigInt(terms.startedAt) + coveredSeconds(terms.pricePerHour, deposit);
  return stoppedAt !== 0 && BigInt(stoppedAt) < expiry ? BigInt(stoppedAt) : expiry;
}

/** The rental's live numbers at chain time `now`, as the escrow's RentalQuote.quote computes them. */
export function quote(terms: Terms, s: RentalState, now: bigint): Quote {
  const end = endOf(terms, s.deposit, Number(s.stoppedAt));
  const until = now < end ? now : end;
  const start = BigInt(terms.startedAt);
  const elapsed = until > start ? until - start : 0n;
  const accruedMax = costOf(terms.pricePerHour, elapsed);
  return {
    elapsed,
    accruedMax,
    paid: paidOut(terms, BigInt(s.paidSeconds)),
    remaining: s.deposit - accruedMax,
    endsAt: end,
    ended: now >= end,
  };
}
