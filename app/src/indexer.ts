// What the dApp knows from the chain, rebuilt from the escrow's and the dispute module's events: offers and providers
// with their on-chain reputation (the market), and one renter's rentals with their disputes and ratings (history and
// receipts). Logs are read in bounded block ranges from the deployment block on.
import {
  decodeFunctionData,
  formatLog,
  getAddress,
  numberToHex,
  parseEventLogs,
  toEventSelector,
  type Abi,
  type AbiEvent,
  type Address,
  type ContractEventArgsFromTopics,
  type ContractEventName,
  type ContractFunctionReturnType,
  type Hash,
  type Hex,
} from "viem";
import { endOf } from "./billing";
import type { OnChainUsage } from "./oracle";
import { disputesAbi, escrowAbi } from "./abi.generated";
import type { Chain } from "./chain";

const CHUNK = 10_000n;

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

export interface Offer {
  id: bigint;
  provider: Address;
  model: string;
  vramGiB: number;
  gpuCount: number;
  token: Address;
  pricePerHour: bigint;
  minDuration: number;
  maxDuration: number;
  spot: boolean;
  slaBps: number;
  region: string;
  capacity: number;
  retired: boolean;
  /** Suspended by the dispute module while the provider's bond is below the minimum: takes no new rentals. */
  suspended: boolean;
}

/** `IDisputeModule.reputation(provider)`: the escrow's settlement record of its offers and the module's counters. */
export type Reputation = ContractFunctionReturnType<typeof disputesAbi, "view", "reputation">;

export interface Provider {
  address: Address;
  payout: Address;
  attester: Address;
  endpoint: string;
  reputation?: Reputation;
}

/** Uptime over the provider's settled rentals (seconds up ÷ seconds rented), null without history. */
export function uptimeOf(rep: Reputation | undefined): number | null {
  return rep && rep.secondsRented > 0n ? Number(rep.secondsUp) / Number(rep.secondsRented) : null;
}

/** Average rating, null when nobody rated yet. */
export function averageRating(rep: Reputation | undefined): number | null {
  return rep && rep.ratingCount > 0 ? Number(rep.ratingSum) / rep.ratingCount : null;
}

/** The ABI item of the event `name` of `abi`, typed by it (so getLogs and parseEventLogs type the logs' args). */
export function eventAbi<const abi extends Abi, name extends ContractEventName<abi>>(
  abi: abi,
  name: name,
): Extract<abi[number], { type: "event"; name: name }> {
  const e = abi.find((x): x is Extract<abi[number], { type: "event"; name: name }> => x.type === "event" && x.name === name);
  if (!e) throw new Error(`the ABI has no event ${name}`);
  return e;
}

/** A decoded log of `abi`'s event `name`: its arguments and where it was emitted. */
type EventLog<abi extends Abi, name extends ContractEventName<abi>> = {
  [N in name]: { eventName: N; args: ContractEventArgsFromTopics<abi, N>; transactionHash: Hash; blockHash: Hash };
}[name];

interface Positioned {
  blockNumber: bigint | null;
  logIndex: number | null;
}

async function logsInRanges<T>(
  from: bigint,
  to: bigint,
  query: (fromBlock: bigint, toBlock: bigint) => Promise<T[]>,
): Promise<T[]> {
  const out: T[] = [];
  for (let start = from; start <= to; start += CHUNK) {
    const end = start + CHUNK - 1n < to ? start + CHUNK - 1n : to;
    out.push(...(await query(start, end)));
  }
  return out;
}

/**
 * Logs of `events` emitted by the escrow or the dispute module whose first indexed argument is one of `rentalIds`
 * (every rental event has the rental id as its first topic): one eth_getLogs per block range.
 */
async function rentalLogs<const events extends readonly AbiEvent[]>(
  chain: Chain,
  events: events,
  rentalIds: Hex[],
  fromBlock: bigint,
  toBlock: bigint,
) {
  const raw = await chain.pub.request({
    method: "eth_getLogs",
    params: [
      {
        address: [chain.escrow, chain.disputes],
        topics: [events.map((e) => toEventSelector(e)), rentalIds],
        fromBlock: numberToHex(fromBlock),
        toBlock: numberToHex(toBlock),
      },
    ],
  });
  return parseEventLogs({ abi: events, logs: raw.map((l) => formatLog(l)) });
}

function byPosition(a: Positioned, b: Positioned): number {
  const d = Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n));
  return d !== 0 ? d : (a.logIndex ?? 0) - (b.logIndex ?? 0);
}

export function endsAt(r: Rental): number {
  return Number(endOf(r.terms, r.deposit, 0));
}

/**
 * The attestation a settlement transaction submitted for this rental (stopAndSettle, settle or settleBatch), so a
 * settled rental can be rated without its oracle; null when the transaction is not one of those.
 */
export async function attestationFromSettlement(
  chain: Chain,
  r: Rental,
): Promise<{ usage: OnChainUsage; signature: Hex } | null> {
  if (!r.settled) return null;
  const tx = await chain.pub.getTransaction({ hash: r.settled.tx });
  let call;
  try {
    // The escrow's settlements, or the dispute module's settleFallback of a dispute nobody ruled on.
    call =
      tx.to && getAddress(tx.to) === chain.disputes
        ? decodeFunctionData({ abi: disputesAbi, data: tx.input })
        : decodeFunctionData({ abi: escrowAbi, data: tx.input });
  } catch {
    return null;
  }
  if (call.functionName === "stopAndSettle" || call.functionName === "settle" || call.functionName === "settleFallback") {
    const [, usage, signature] = call.args;
    return { usage, signature };
  }
  if (call.functionName === "settleBatch") {
    const [terms, usages, signatures] = call.args;
    const i = terms.findIndex((t) => t.salt === r.terms.salt && getAddress(t.renter) === r.terms.renter);
    if (i >= 0) return { usage: usages[i], signature: signatures[i] };
  }
  return null;
}

/** The escrow's events of a rental, RentalOpened first. */
const ESCROW_RENTAL_EVENTS = [
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
const DISPUTE_RENTAL_EVENTS = [
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

/** Applies one rental event to the map of rentals; ignores events of rentals the map does not hold. */
function applyRentalLog(rentals: Map<Hex, Rental>, log: RentalEvent): void {
  const tx = log.transactionHash;
  if (log.eventName === "RentalOpened") {
    const a = log.args;
    rentals.set(a.rentalId, {
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
    });
    return;
  }
  const r = rentals.get(log.args.rentalId);
  if (!r) return;
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

/** Block timestamps of the transactions that closed rentals. */
const blockTimes = new Map<Hash, number>();

/**
 * When a closed rental ended: its stop (or a dispute's freeze), else the block that closed it (a stopAndSettle of a
 * running rental bills up to its block; a ruling or proof ends a running rental there), at most when the deposit ran
 * out.
 */
async function resolveEnd(chain: Chain, r: Rental): Promise<void> {
  if (r.end !== undefined || !(r.settled || r.refunded || r.resolved)) return;
  const covered = endsAt(r);
  if (r.stop) {
    r.end = Math.min(r.stop.at, covered);
    return;
  }
  const closedIn = r.settled?.blockHash ?? r.resolved?.blockHash;
  if (closedIn) {
    let at = blockTimes.get(closedIn);
    if (at === undefined) {
      at = Number((await chain.pub.getBlock({ blockHash: closedIn })).timestamp);
      blockTimes.set(closedIn, at);
    }
    r.end = Math.min(at, covered);
    return;
  }
  r.end = covered;
}

const MARKET_EVENTS = (
  [
    "ProviderRegistered",
    "EndpointUpdated",
    "OfferCreated",
    "OfferPriceUpdated",
    "OfferCapacityUpdated",
    "OfferRetired",
    "OfferSuspended",
    "RentalSettled",
    "RentalResolved",
  ] as const
).map((n) => eventAbi(escrowAbi, n));
/** Dispute module events that change a provider's reputation. */
const REPUTATION_EVENTS = (
  ["DisputeOpened", "DisputeResolved", "Slashed", "TerminationPenalized", "Rated"] as const
).map((n) => eventAbi(disputesAbi, n));

/** Offers, providers and their reputation, from the escrow's events since deployment and the dispute module. */
export class Market {
  readonly offers = new Map<bigint, Offer>();
  readonly providers = new Map<Address, Provider>();
  private next: bigint;

  constructor(private readonly chain: Chain) {
    this.next = BigInt(chain.dep.deployBlock);
  }

  /** Reads the events since the last call, and the providers' reputation when any; true when there were any. */
  async refresh(): Promise<boolean> {
    const latest = await this.chain.pub.getBlockNumber();
    if (latest < this.next) return false;
    const [logs, moduleLogs] = await Promise.all([
      logsInRanges(
        this.next,
        latest,
        (fromBlock, toBlock) =>
          this.chain.pub.getLogs({
            address: this.chain.escrow,
            events: MARKET_EVENTS,
            fromBlock,
            toBlock,
            strict: true,
          }),
      ),
      logsInRanges(
        this.next,
        latest,
        (fromBlock, toBlock) =>
          this.chain.pub.getLogs({
            address: this.chain.disputes,
            events: REPUTATION_EVENTS,
            fromBlock,
            toBlock,
            strict: true,
          }),
      ),
    ]);
    logs.sort(byPosition);
    for (const log of logs) {
      switch (log.eventName) {
        case "ProviderRegistered": {
          const provider = getAddress(log.args.provider);
          this.providers.set(provider, {
            address: provider,
            payout: getAddress(log.args.payout),
            attester: getAddress(log.args.attester),
            endpoint: log.args.endpoint,
          });
          break;
        }
        case "EndpointUpdated": {
          const p = this.providers.get(getAddress(log.args.provider));
          if (p) p.endpoint = log.args.endpoint;
          break;
        }
        case "OfferCreated": {
          const p = log.args.params;
          this.offers.set(log.args.offerId, {
            id: log.args.offerId,
            provider: getAddress(log.args.provider),
            model: p.gpuModel,
            vramGiB: p.vramGiB,
            gpuCount: p.gpuCount,
            token: getAddress(p.token),
            pricePerHour: p.pricePerHour,
            minDuration: p.minDuration,
            maxDuration: p.maxDuration,
            spot: p.spot,
            slaBps: p.slaBps,
            region: p.region,
            capacity: p.capacity,
            retired: false,
            suspended: false,
          });
          break;
        }
        case "OfferPriceUpdated": {
          const o = this.offers.get(log.args.offerId);
          if (o) o.pricePerHour = log.args.pricePerHour;
          break;
        }
        case "OfferCapacityUpdated": {
          const o = this.offers.get(log.args.offerId);
          if (o) o.capacity = log.args.capacity;
          break;
        }
        case "OfferRetired": {
          const o = this.offers.get(log.args.offerId);
          if (o) {
            o.retired = true;
            o.capacity = 0;
          }
          break;
        }
        case "OfferSuspended": {
          const o = this.offers.get(log.args.offerId);
          if (o) o.suspended = log.args.suspended;
          break;
        }
      }
    }
    const changed = logs.length > 0 || moduleLogs.length > 0;
    if (changed) {
      await Promise.all(
        [...this.providers.values()].map(async (p) => {
          p.reputation = await this.chain.disputesRead.reputation([p.address]);
        }),
      );
    }
    this.next = latest + 1n;
    return changed;
  }

  endpointOf(offerId: bigint): string | undefined {
    const o = this.offers.get(offerId);
    return o ? this.providers.get(o.provider)?.endpoint : undefined;
  }
}

/** Events after RentalOpened that the history follows, from the escrow and the dispute module. */
const RENTAL_EVENTS = [
  ...ESCROW_RENTAL_EVENTS.filter((n) => n !== "RentalOpened").map((n) => eventAbi(escrowAbi, n)),
  ...DISPUTE_RENTAL_EVENTS.map((n) => eventAbi(disputesAbi, n)),
];

/**
 * Rentals whose RentalOpened matches `args` (an indexed topic: the renter, or offer ids), with the escrow's and the
 * dispute module's later events of those rental ids.
 */
async function rentalsWhere(
  chain: Chain,
  args: { renter: Address } | { offerId: bigint[] },
): Promise<{ rentals: Rental[]; from: bigint; latest: bigint }> {
  const from = BigInt(chain.dep.deployBlock);
  const latest = await chain.pub.getBlockNumber();
  const rentals = new Map<Hex, Rental>();
  const opened = await logsInRanges(
    from,
    latest,
    (fromBlock, toBlock) =>
      chain.pub.getLogs({
        address: chain.escrow,
        event: eventAbi(escrowAbi, "RentalOpened"),
        args,
        fromBlock,
        toBlock,
        strict: true,
      }),
  );
  for (const log of opened) applyRentalLog(rentals, log);
  const ids = [...rentals.keys()];
  const later = [];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    later.push(
      ...(await logsInRanges(from, latest, (fromBlock, toBlock) =>
        rentalLogs(chain, RENTAL_EVENTS, batch, fromBlock, toBlock),
      )),
    );
  }
  later.sort(byPosition);
  for (const log of later) applyRentalLog(rentals, log);
  return { rentals: [...rentals.values()], from, latest };
}

/**
 * Every rental of `renter`: RentalOpened filtered by the renter topic, then the escrow's and the dispute module's
 * events of those rental ids.
 */
export async function renterHistory(chain: Chain, renter: Address): Promise<Rental[]> {
  const { rentals: list, from, latest } = await rentalsWhere(chain, { renter });
  if (list.length === 0) return [];
  // Refunds and dispute outcomes that could not be delivered: Credited to the renter, by the escrow or the dispute
  // module, in the transaction that closed the rental.
  const credited = await logsInRanges(
    from,
    latest,
    (fromBlock, toBlock) =>
      chain.pub.getLogs({
        address: [chain.escrow, chain.disputes],
        event: eventAbi(escrowAbi, "Credited"),
        args: { account: renter },
        fromBlock,
        toBlock,
        strict: true,
      }),
  );
  for (const c of credited) {
    const tx = c.transactionHash;
    const r = list.find((x) => x.settled?.tx === tx || x.refunded?.tx === tx || x.resolved?.tx === tx);
    if (r) r.credited += c.args.amount;
  }
  for (const r of list) await resolveEnd(chain, r);
  return list.sort((a, b) => b.terms.startedAt - a.terms.startedAt);
}

/** The rentals of `offerIds` (a provider's offers) that are not closed yet, newest first. */
export async function openRentalsOfOffers(chain: Chain, offerIds: bigint[]): Promise<Rental[]> {
  if (offerIds.length === 0) return [];
  const { rentals } = await rentalsWhere(chain, { offerId: offerIds });
  return rentals.filter(isOpen).sort((a, b) => b.terms.startedAt - a.terms.startedAt);
}

export function isOpen(r: Rental): boolean {
  return !r.settled && !r.refunded && !r.resolved;
}
