// A rental as the dApp knows it, folded from its events (the escrow's and the dispute module's): terms, deposit and
// extensions, stop, checkpoints, settlement, refund, freeze, dispute with its evidence and outcome, rating; and what
// follows from that state alone (status, open or closed, when the deposit runs out). No chain access here: the
// history (history.ts) reads the events, this module only folds them.
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

export interface Rental {
  id: Hex;
  terms: Terms;
  accessKey: Hex;
  initialDeposit: bigint;
  deposit: bigint;
  openTx: Hash;
  extensions: { amount: bigint; deposit: bigint; tx: Hash }[];
  stop?: { at: number; by: Address; tx: Hash };
  /** `refund` includes `slaCredit`: cost − slaCredit + refund = deposit. */
  settled?: { billedSeconds: bigint; cost: bigint; refund: bigint; slaCredit: bigint; tx: Hash; blockHash: Hash };
  refunded?: { refund: bigint; tx: Hash };
  /** Frozen by a dispute (RentalFrozen); stays set once resolved. */
  frozen?: { tx: Hash };
  /**
   * Closed by a dispute outcome or a proof: `atStake` (the cost of the seconds before the end not yet paid out) went
   * to the dispute module to split, `returned` (the deposit for the time after the end) straight back to the renter.
   */
  resolved?: { atStake: bigint; returned: bigint; tx: Hash; blockHash: Hash };
  dispute?: DisputeRecord;
  /** How a dispute's outcome or an objective proof split what the rental still held (OutcomePaid). */
  outcome?: { toRenter: bigint; toProvider: bigint; fee: bigint };
  /** Fees already paid to the treasury by checkpoints (a resolved rental's fee adds the outcome's). */
  checkpointFees: bigint;
  /** The renter's rating of the provider, 1–5. */
  rating?: number;
  /** A refund that could not be delivered and was credited in the escrow or the dispute module instead. */
  credited: bigint;
  /** When the rental ended, once closed (stop, attested stop, the deposit running out, or a dispute's outcome). */
  end?: number;
}

export type RentalStatus = "running" | "stopped" | "frozen" | "settled" | "refunded" | "resolved";

export function statusOf(r: Rental): RentalStatus {
  if (r.settled) return "settled";
  if (r.refunded) return "refunded";
  if (r.resolved) return "resolved";
  if (r.frozen) return "frozen";
  return r.stop ? "stopped" : "running";
}

export function isOpen(r: Rental): boolean {
  return !r.settled && !r.refunded && !r.resolved;
}

/** When the deposit runs out (the stop is not counted). */
export function endsAt(r: Rental): number {
  return Number(endOf(r.terms, r.deposit, 0));
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
 * A rental's state from its events in chain order: undefined until its RentalOpened; events before it, or of
 * another rental, are ignored. Pure: the events are left as they are and the rental returned is a new object.
 */
export function foldRental(events: Iterable<RentalEvent>): Rental | undefined {
  let r: Rental | undefined;
  for (const log of events) {
    if (log.eventName === "RentalOpened") r = opened(log);
    else if (r && log.args.rentalId === r.id) apply(r, log);
  }
  return r;
}

function opened(log: Opened): Rental {
  const a = log.args;
  const tx = log.transactionHash;
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
    accessKey: a.accessKey,
    initialDeposit: a.deposit,
    deposit: a.deposit,
    openTx: tx,
    extensions: [],
    checkpointFees: 0n,
    credited: 0n,
  };
}

/** Applies one event after RentalOpened to the rental the fold is building. */
function apply(r: Rental, log: Later): void {
  const tx = log.transactionHash;
  switch (log.eventName) {
    case "RentalExtended":
      r.deposit = log.args.deposit;
      r.extensions.push({ amount: log.args.amount, deposit: log.args.deposit, tx });
      break;
    case "RentalStopped":
      r.stop = { at: log.args.stoppedAt, by: getAddress(log.args.by), tx };
      break;
    case "Checkpointed":
      r.checkpointFees += log.args.fee;
      break;
    case "RentalSettled": {
      const { billedSeconds, cost, refund, slaCredit } = log.args;
      r.settled = { billedSeconds, cost, refund, slaCredit, tx, blockHash: log.blockHash };
      break;
    }
    case "RentalRefunded":
      r.refunded = { refund: log.args.refund, tx };
      break;
    case "RentalFrozen":
      r.frozen = { tx };
      break;
    case "RentalResolved":
      r.resolved = { atStake: log.args.atStake, returned: log.args.returned, tx, blockHash: log.blockHash };
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
  }
}
