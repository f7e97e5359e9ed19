// What the dApp knows from the chain, rebuilt from the escrow's and the dispute module's events: offers and providers
// with their on-chain reputation (the market), and one renter's rentals with their disputes and ratings (history and
// receipts). Logs are read in bounded block ranges from the deployment block on.
import {
  decodeFunctionData,
  formatLog,
  getAddress,
  parseEventLogs,
  toEventSelector,
  type Abi,
  type AbiEvent,
  type Address,
  type Hash,
  type Hex,
  type Log,
  type RpcLog,
} from "viem";
import { endOf } from "./billing";
import { disputesAbi, escrowAbi, type Chain } from "./chain";

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
export interface Reputation {
  rentalsCompleted: bigint;
  secondsRented: bigint;
  secondsUp: bigint;
  disputesOpened: number;
  disputesLost: number;
  slashes: number;
  terminations: number;
  ratingCount: number;
  ratingSum: bigint;
}

/** `IDisputeModule.bondOf(provider, token)`. */
export interface BondAccount {
  amount: bigint;
  unbonding: bigint;
  unbondableAt: number;
  openDisputes: number;
}

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

type Decoded = Log & { eventName: string; args: Record<string, unknown> };

export function eventAbi(name: string, abi: Abi = escrowAbi): AbiEvent {
  const e = abi.find((x) => x.type === "event" && x.name === name);
  if (!e) throw new Error(`the ABI has no event ${name}`);
  return e as AbiEvent;
}

async function logsInRanges(
  from: bigint,
  to: bigint,
  query: (fromBlock: bigint, toBlock: bigint) => Promise<Decoded[]>,
): Promise<Decoded[]> {
  const out: Decoded[] = [];
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
async function rentalLogs(
  chain: Chain,
  events: AbiEvent[],
  rentalIds: Hex[],
  fromBlock: bigint,
  toBlock: bigint,
): Promise<Decoded[]> {
  const hex = (n: bigint) => `0x${n.toString(16)}`;
  const raw = (await chain.pub.request({
    method: "eth_getLogs",
    params: [
      {
        address: [chain.escrow, chain.disputes],
        topics: [events.map((e) => toEventSelector(e)), rentalIds],
        fromBlock: hex(fromBlock),
        toBlock: hex(toBlock),
      },
    ],
  } as never)) as RpcLog[];
  return parseEventLogs({ abi: events, logs: raw.map((l) => formatLog(l)) }) as unknown as Decoded[];
}

function byPosition(a: Log, b: Log): number {
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
): Promise<{ usage: Record<string, unknown>; signature: Hex } | null> {
  if (!r.settled) return null;
  const tx = await chain.pub.getTransaction({ hash: r.settled.tx });
  let call;
  try {
    // The escrow's settlements, or the dispute module's settleFallback of a dispute nobody ruled on.
    const abi = tx.to && getAddress(tx.to) === chain.disputes ? disputesAbi : escrowAbi;
    call = decodeFunctionData({ abi, data: tx.input });
  } catch {
    return null;
  }
  const args = (call.args ?? []) as readonly unknown[];
  if (call.functionName === "stopAndSettle" || call.functionName === "settle" || call.functionName === "settleFallback") {
    return { usage: args[1] as Record<string, unknown>, signature: args[2] as Hex };
  }
  if (call.functionName === "settleBatch") {
    const i = (args[0] as { salt: Hex; renter: Address }[]).findIndex(
      (t) => t.salt === r.terms.salt && getAddress(t.renter) === r.terms.renter,
    );
    if (i >= 0) return { usage: (args[1] as Record<string, unknown>[])[i], signature: (args[2] as Hex[])[i] };
  }
  return null;
}

/** Applies one rental event to the map of rentals; ignores events of rentals the map does not hold. */
function applyRentalLog(rentals: Map<Hex, Rental>, log: Decoded): void {
  const a = log.args;
  const tx = log.transactionHash as Hash;
  if (log.eventName === "RentalOpened") {
    const id = a.rentalId as Hex;
    const deposit = a.deposit as bigint;
    rentals.set(id, {
      id,
      terms: {
        renter: getAddress(a.renter as string),
        offerId: a.offerId as bigint,
        token: getAddress(a.token as string),
        pricePerHour: a.pricePerHour as bigint,
        attester: getAddress(a.attester as string),
        startedAt: Number(a.startedAt),
        feeBps: Number(a.feeBps),
        slaBps: Number(a.slaBps),
        challengeWindow: Number(a.challengeWindow),
        gracePeriod: Number(a.gracePeriod),
        salt: a.salt as Hex,
      },
      accessKey: a.accessKey as Hex,
      initialDeposit: deposit,
      deposit,
      openTx: tx,
      extensions: [],
      checkpointFees: 0n,
      credited: 0n,
    });
    return;
  }
  const r = rentals.get(a.rentalId as Hex);
  if (!r) return;
  switch (log.eventName) {
    case "RentalExtended":
      r.deposit = a.deposit as bigint;
      r.extensions.push({ amount: a.amount as bigint, deposit: a.deposit as bigint, tx });
      break;
    case "RentalStopped":
      r.stop = { at: Number(a.stoppedAt), by: getAddress(a.by as string), tx };
      break;
    case "Checkpointed":
      r.checkpointFees += a.fee as bigint;
      break;
    case "RentalSettled":
      r.settled = {
        billedSeconds: a.billedSeconds as bigint,
        cost: a.cost as bigint,
        refund: a.refund as bigint,
        slaCredit: a.slaCredit as bigint,
        tx,
        blockHash: log.blockHash as Hash,
      };
      break;
    case "RentalRefunded":
      r.refunded = { refund: a.refund as bigint, tx };
      break;
    case "RentalFrozen":
      r.frozen = { tx };
      break;
    case "RentalResolved":
      r.resolved = {
        atStake: a.atStake as bigint,
        returned: a.returned as bigint,
        tx,
        blockHash: log.blockHash as Hash,
      };
      break;
    case "DisputeOpened":
      r.dispute = {
        opener: getAddress(a.opener as string),
        arbitratorDisputeId: a.arbitratorDisputeId as bigint,
        bond: a.bond as bigint,
        deadline: Number(a.deadline),
        evidence: [{ party: getAddress(a.opener as string), uri: a.evidenceURI as string, tx }],
        tx,
      };
      break;
    case "EvidenceSubmitted":
      r.dispute?.evidence.push({ party: getAddress(a.party as string), uri: a.evidenceURI as string, tx });
      break;
    case "DisputeResolved":
      if (r.dispute) {
        r.dispute.outcome = {
          renterShareBps: Number(a.renterShareBps),
          fallbackApplied: a.fallbackApplied as boolean,
          bondTo: getAddress(a.bondTo as string),
          tx,
        };
      }
      break;
    case "OutcomePaid":
      r.outcome = { toRenter: a.toRenter as bigint, toProvider: a.toProvider as bigint, fee: a.fee as bigint };
      break;
    case "Rated":
      r.rating = Number(a.score);
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

const MARKET_EVENTS = [
  "ProviderRegistered",
  "EndpointUpdated",
  "OfferCreated",
  "OfferPriceUpdated",
  "OfferCapacityUpdated",
  "OfferRetired",
  "OfferSuspended",
  "RentalSettled",
  "RentalResolved",
].map((n) => eventAbi(n));
/** Dispute module events that change a provider's reputation. */
const REPUTATION_EVENTS = ["DisputeOpened", "DisputeResolved", "Slashed", "TerminationPenalized", "Rated"].map((n) =>
  eventAbi(n, disputesAbi),
);

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
          }) as Promise<Decoded[]>,
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
          }) as Promise<Decoded[]>,
      ),
    ]);
    logs.sort(byPosition);
    for (const log of logs) {
      const a = log.args;
      switch (log.eventName) {
        case "ProviderRegistered":
          this.providers.set(getAddress(a.provider as string), {
            address: getAddress(a.provider as string),
            payout: getAddress(a.payout as string),
            attester: getAddress(a.attester as string),
            endpoint: a.endpoint as string,
          });
          break;
        case "EndpointUpdated": {
          const p = this.providers.get(getAddress(a.provider as string));
          if (p) p.endpoint = a.endpoint as string;
          break;
        }
        case "OfferCreated": {
          const p = a.params as Record<string, unknown>;
          this.offers.set(a.offerId as bigint, {
            id: a.offerId as bigint,
            provider: getAddress(a.provider as string),
            model: p.gpuModel as string,
            vramGiB: Number(p.vramGiB),
            gpuCount: Number(p.gpuCount),
            token: getAddress(p.token as string),
            pricePerHour: p.pricePerHour as bigint,
            minDuration: Number(p.minDuration),
            maxDuration: Number(p.maxDuration),
            spot: p.spot as boolean,
            slaBps: Number(p.slaBps),
            region: p.region as string,
            capacity: Number(p.capacity),
            retired: false,
            suspended: false,
          });
          break;
        }
        case "OfferPriceUpdated": {
          const o = this.offers.get(a.offerId as bigint);
          if (o) o.pricePerHour = a.pricePerHour as bigint;
          break;
        }
        case "OfferCapacityUpdated": {
          const o = this.offers.get(a.offerId as bigint);
          if (o) o.capacity = Number(a.capacity);
          break;
        }
        case "OfferRetired": {
          const o = this.offers.get(a.offerId as bigint);
          if (o) {
            o.retired = true;
            o.capacity = 0;
          }
          break;
        }
        case "OfferSuspended": {
          const o = this.offers.get(a.offerId as bigint);
          if (o) o.suspended = a.suspended as boolean;
          break;
        }
      }
    }
    const changed = logs.length > 0 || moduleLogs.length > 0;
    if (changed) {
      await Promise.all(
        [...this.providers.values()].map(async (p) => {
          p.reputation = await this.chain.readDisputes<Reputation>("reputation", [p.address]);
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
  ...[
    "RentalExtended",
    "RentalStopped",
    "Checkpointed",
    "RentalSettled",
    "RentalRefunded",
    "RentalFrozen",
    "RentalResolved",
  ].map((n) => eventAbi(n)),
  ...["DisputeOpened", "EvidenceSubmitted", "DisputeResolved", "OutcomePaid", "Rated"].map((n) =>
    eventAbi(n, disputesAbi),
  ),
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
        event: eventAbi("RentalOpened"),
        args,
        fromBlock,
        toBlock,
      }) as Promise<Decoded[]>,
  );
  for (const log of opened) applyRentalLog(rentals, log);
  const ids = [...rentals.keys()];
  const later: Decoded[] = [];
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
        event: eventAbi("Credited"),
        args: { account: renter },
        fromBlock,
        toBlock,
      }) as Promise<Decoded[]>,
  );
  for (const c of credited) {
    const tx = c.transactionHash;
    const r = list.find((x) => x.settled?.tx === tx || x.refunded?.tx === tx || x.resolved?.tx === tx);
    if (r) r.credited += c.args.amount as bigint;
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
