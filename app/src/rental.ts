// A rental as the dApp knows it: the escrow's rental events folded exactly as protocol::rental (protocol/src/rental.rs)
// folds them, field for field, and checked against the same vectors (../test/vectors/rentals.json, by
// tests/unit/rental.test.mjs); alongside, what the page shows from the same events and the dispute module's (the
// transaction of each event, the dispute with its evidence and outcome, the rating). What follows from that state alone
// (status, end, wall and billed seconds) is here too. No chain access: history.ts reads the events, this module only
// folds them.
import { getAddress, type Address, type ContractEventName, type Hash, type Hex } from "viem";
import type { disputesAbi, escrowAbi } from "./abi.generated";
import { endOf } from "./billing";
import type { EventLog } from "./logs";

export interface Terms {
  renter: Address;
  offerId: bigint;
  token: Address;
  pricePerHour: bigint;
  attester: Address;
  startedAt: number;
  feeBps: number;
  slaBps: number;
  challengeWindow: number;
  gracePeriod: number;
  salt: Hex;
}

/** Where a rental stands (protocol::rental::RentalStatus). */
export type RentalStatus = "running" | "frozen" | "settled" | "refunded" | "resolved";

/** Who stopped a rental and when its clock stopped: the renter (stop), the provider (terminate), or a freeze. */
export interface Stop {
  at: number;
  by: Address;
}

/** How the escrow closed a rental, as its closing event recorded it (protocol::rental::Closure). */
export type Closure =
  | {
      kind: "settled";
      /** Seconds billed in all, checkpoints included. */
      billedSeconds: bigint;
      /** When billing ended: the stop, the deposit running out, or the block of a stopAndSettle. */
      endedAt: bigint;
      /** cost(billedSeconds), before the SLA credit. */
      cost: bigint;
      /** Back to the renter, SLA credit included: cost − slaCredit + refund = deposit. */
      refund: bigint;
      slaCredit: bigint;
    }
  | { kind: "refunded"; refund: bigint }
  | {
      kind: "resolved";
      /** When billing ended: the stop or freeze, the deposit running out, or the resolution's block. */
      endedAt: bigint;
      /** The cost of the seconds before the end not yet paid out, split by the dispute module. */
      atStake: bigint;
      /** The deposit for the seconds after the end, straight back to the renter. */
      returned: bigint;
    };

/** One piece of evidence of a dispute: the opener's (DisputeOpened) or added by a party (EvidenceSubmitted). */
export interface Evidence {
  party: Address;
  uri: string;
  tx: Hash;
}

/** A subjective dispute on a rental (DisputeOpened), and its ruling once executed (DisputeResolved). */
export interface DisputeRecord {
  opener: Address;
  arbitratorDisputeId: bigint;
  bond: bigint;
  deadline: number;
  /** Every evidence URI submitted, in chain order, the opener's first. */
  evidence: Evidence[];
  tx: Hash;
  outcome?: { renterShareBps: number; fallbackApplied: boolean; bondTo: Address; tx: Hash };
}

/** The transactions of a rental's escrow events. */
export interface RentalTxs {
  open: Hash;
  extend: Hash[];
  /** The stop, the termination or the freeze's stop. */
  stop?: Hash;
  freeze?: Hash;
  /** The settlement, refund or resolution. */
  close?: Hash;
}

export interface Rental {
  // protocol::rental::Rental, field for field (u64 counts of seconds are numbers or bigints as the events give them).
  id: Hex;
  terms: Terms;
  initialDeposit: bigint;
  deposit: bigint;
  /** Seconds paid out by checkpoints. */
  paidSeconds: number;
  /** The last seq a checkpoint accepted (0: none). */
  lastSeq: bigint;
  /** What checkpoints paid the provider in all. */
  checkpointedNet: bigint;
  /** What checkpoints paid the treasury in all. */
  checkpointedFee: bigint;
  stopped: Stop | null;
  /** Whether a subjective dispute froze it (stays set once resolved). */
  frozen: boolean;
  closure: Closure | null;

  // The page's, from the same events and the dispute module's.
  accessKey: Hex;
  txs: RentalTxs;
  dispute?: DisputeRecord;
  /** How a dispute's outcome or an objective proof split what the rental still held (OutcomePaid). */
  outcome?: { toRenter: bigint; toProvider: bigint; fee: bigint };
  /** The renter's rating of the provider, 1–5. */
  rating?: number;
  /**
   * A refund that could not be delivered and was credited in the escrow or the dispute module instead: not a rental
   * event, history.ts adds it from the Credited events of the closing transaction (0 from the fold).
   */
  credited: bigint;
}

export function statusOf(r: Rental): RentalStatus {
  if (r.closure) return r.closure.kind;
  return r.frozen ? "frozen" : "running";
}

/** Whether the escrow has not closed it yet: running or frozen. */
export function isOpen(r: Rental): boolean {
  return r.closure === null;
}

/** When the deposit runs out. */
export function rentalExpiry(r: Rental): bigint {
  return endOf(r.terms, r.deposit, 0);
}

/**
 * When billing ends (the escrow's RentalQuote.endOf): a settlement's own end once settled; otherwise the earliest of
 * the stop (termination, freeze) and the expiry.
 */
export function rentalEnd(r: Rental): bigint {
  if (r.closure?.kind === "settled" || r.closure?.kind === "resolved") return r.closure.endedAt;
  return endOf(r.terms, r.deposit, r.stopped?.at ?? 0);
}

/** Wall-clock seconds from the start to the end. */
export function wallSeconds(r: Rental): bigint {
  const d = rentalEnd(r) - BigInt(r.terms.startedAt);
  return d > 0n ? d : 0n;
}

/**
 * Seconds the renter was billed: what the settlement billed, or what checkpoints paid (a refund or a dispute's outcome
 * pays no more seconds than those).
 */
export function billedSeconds(r: Rental): bigint {
  return r.closure?.kind === "settled" ? r.closure.billedSeconds : BigInt(r.paidSeconds);
}

/** The escrow's events of a rental, RentalOpened first. */
export const ESCROW_RENTAL_EVENTS = [
  "RentalOpened",
  "RentalExtended",
  "RentalStopped",
  "Checkpointed",
  "RentalSettled",
  "RentalRefunded",
  "RentalFrozen",
  "RentalResolved",
] as const satisfies readonly ContractEventName<typeof escrowAbi>[];
/** The dispute module's events of a rental. */
export const DISPUTE_RENTAL_EVENTS = [
  "DisputeOpened",
  "EvidenceSubmitted",
  "DisputeResolved",
  "OutcomePaid",
  "Rated",
] as const satisfies readonly ContractEventName<typeof disputesAbi>[];

/** One event of a rental, from the escrow or the dispute module, as the history reads it. */
export type RentalEvent =
  | EventLog<typeof escrowAbi, (typeof ESCROW_RENTAL_EVENTS)[number]>
  | EventLog<typeof disputesAbi, (typeof DISPUTE_RENTAL_EVENTS)[number]>;

type Opened = Extract<RentalEvent, { eventName: "RentalOpened" }>;
type Later = Exclude<RentalEvent, Opened>;

/**
 * The rental `id` from `events` (in chain order, any rentals'), as protocol::rental::Rental::fold: undefined until its
 * RentalOpened; events before it, or of another rental, are ignored; a RentalOpened of `id` again (the same terms
 * opened again after closing within one second) starts its life over. Pure: the events are left as they are and the
 * rental returned is a new object.
 */
export function foldRental(id: Hex, events: Iterable<RentalEvent>): Rental | undefined {
  const key = id.toLowerCase();
  let r: Rental | undefined;
  for (const log of events) {
    if (log.args.rentalId.toLowerCase() !== key) continue;
    if (log.eventName === "RentalOpened") r = opened(log);
    else if (r) apply(r, log);
  }
  return r;
}

/** The rental a RentalOpened starts (or starts over). */
function opened(log: Opened): Rental {
  const a = log.args;
  return {
    id: a.rentalId,
    terms: {
      renter: getAddress(a.renter),
      offerId: a.offerId,
      token: getAddress(a.token),
      pricePerHour: a.pricePerHour,
      attester: getAddress(a.attester),
      startedAt: a.startedAt,
      feeBps: a.feeBps,
      slaBps: a.slaBps,
      challengeWindow: a.challengeWindow,
      gracePeriod: a.gracePeriod,
      salt: a.salt,
    },
    initialDeposit: a.deposit,
    deposit: a.deposit,
    paidSeconds: 0,
    lastSeq: 0n,
    checkpointedNet: 0n,
    checkpointedFee: 0n,
    stopped: null,
    frozen: false,
    closure: null,
    accessKey: a.accessKey,
    txs: { open: log.transactionHash, extend: [] },
    credited: 0n,
  };
}

/**
 * Applies one later event of the rental to the object the fold is building: the escrow's change the state as
 * protocol::rental's Change does; the dispute module's only add what the page shows (their effect on the rental comes
 * with the escrow's own RentalStopped, RentalFrozen and RentalResolved).
 */
function apply(r: Rental, log: Later): void {
  const tx = log.transactionHash;
  switch (log.eventName) {
    case "RentalExtended":
      r.deposit = log.args.deposit;
      r.txs.extend.push(tx);
      break;
    case "RentalStopped":
      r.stopped = { at: log.args.stoppedAt, by: getAddress(log.args.by) };
      r.txs.stop = tx;
      break;
    case "Checkpointed":
      r.lastSeq = log.args.seq;
      r.paidSeconds = log.args.paidSeconds;
      r.checkpointedNet += log.args.providerNet;
      r.checkpointedFee += log.args.fee;
      break;
    case "RentalSettled": {
      const { billedSeconds, endedAt, cost, refund, slaCredit } = log.args;
      r.closure = { kind: "settled", billedSeconds, endedAt, cost, refund, slaCredit };
      r.txs.close = tx;
      break;
    }
    case "RentalRefunded":
      r.closure = { kind: "refunded", refund: log.args.refund };
      r.txs.close = tx;
      break;
    case "RentalFrozen":
      r.frozen = true;
      r.txs.freeze = tx;
      break;
    case "RentalResolved":
      r.closure = {
        kind: "resolved",
        endedAt: log.args.endedAt,
        atStake: log.args.atStake,
        returned: log.args.returned,
      };
      r.txs.close = tx;
      break;
    case "DisputeOpened": {
      const a = log.args;
      r.dispute = {
        opener: getAddress(a.opener),
        arbitratorDisputeId: a.arbitratorDisputeId,
        bond: a.bond,
        deadline: Number(a.deadline),
        evidence: [{ party: getAddress(a.opener), uri: a.evidenceURI, tx }],
        tx,
      };
      break;
    }
    case "EvidenceSubmitted":
      r.dispute?.evidence.push({ party: getAddress(log.args.party), uri: log.args.evidenceURI, tx });
      break;
    case "DisputeResolved":
      if (r.dispute) {
        r.dispute.outcome = {
          renterShareBps: Number(log.args.renterShareBps),
          fallbackApplied: log.args.fallbackApplied,
          bondTo: getAddress(log.args.bondTo),
          tx,
        };
      }
      break;
    case "OutcomePaid":
      r.outcome = { toRenter: log.args.toRenter, toProvider: log.args.toProvider, fee: log.args.fee };
      break;
    case "Rated":
      r.rating = log.args.score;
      break;
    default:
      // An event added to RentalEvent is a type error here until its effect on a rental is decided.
      log satisfies never;
  }
}
