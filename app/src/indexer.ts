// What the dApp knows from the chain, rebuilt from the escrow's events: offers and providers with their reliability
// (the market), and one renter's rentals (their history and receipts). Logs are read in bounded block ranges from
// the deployment block on, then incrementally as blocks arrive.
import { decodeFunctionData, getAddress, type AbiEvent, type Address, type Hash, type Hex, type Log } from "viem";
import { escrowAbi, type Chain } from "./chain";

const CHUNK = 10_000n;

export interface Terms {
  renter: Address;
  offerId: bigint;
  token: Address;
  pricePerHour: bigint;
  gpuModelHash: Hex;
  attester: Address;
  startedAt: number;
  feeBps: number;
  challengeWindow: number;
  gracePeriod: number;
  salt: Hex;
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
  settled?: { billedSeconds: bigint; cost: bigint; refund: bigint; tx: Hash };
  refunded?: { refund: bigint; tx: Hash };
  /** A refund that could not be delivered and was credited in the escrow instead. */
  credited: bigint;
  /** When the rental ended, once closed (stop, attested stop, or the deposit running out). */
  end?: number;
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
}

export interface Provider {
  address: Address;
  payout: Address;
  attester: Address;
  endpoint: string;
  /** Settled rentals of its offers. */
  completed: number;
  billedSeconds: number;
  wallSeconds: number;
}

type Decoded = Log & { eventName: string; args: Record<string, unknown> };

export function eventAbi(name: string): AbiEvent {
  const e = escrowAbi.find((x) => x.type === "event" && x.name === name);
  if (!e) throw new Error(`the escrow ABI has no event ${name}`);
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

function byPosition(a: Log, b: Log): number {
  const d = Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n));
  return d !== 0 ? d : (a.logIndex ?? 0) - (b.logIndex ?? 0);
}

export function coveredSeconds(pricePerHour: bigint, deposit: bigint): bigint {
  return (deposit * 3600n) / pricePerHour;
}

export function endsAt(r: Rental): number {
  return r.terms.startedAt + Number(coveredSeconds(r.terms.pricePerHour, r.deposit));
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
        gpuModelHash: a.gpuModelHash as Hex,
        attester: getAddress(a.attester as string),
        startedAt: Number(a.startedAt),
        feeBps: Number(a.feeBps),
        challengeWindow: Number(a.challengeWindow),
        gracePeriod: Number(a.gracePeriod),
        salt: a.salt as Hex,
      },
      accessKey: a.accessKey as Hex,
      initialDeposit: deposit,
      deposit,
      openTx: tx,
      extensions: [],
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
    case "RentalSettled":
      r.settled = { billedSeconds: a.billedSeconds as bigint, cost: a.cost as bigint, refund: a.refund as bigint, tx };
      break;
    case "RentalRefunded":
      r.refunded = { refund: a.refund as bigint, tx };
      break;
  }
}

const settleEnds = new Map<Hash, number | null>();

/** When a closed rental ended: its stop, else the attested end of a stopAndSettle, else when the deposit ran out. */
async function resolveEnd(chain: Chain, r: Rental): Promise<void> {
  if (r.end !== undefined || !(r.settled || r.refunded)) return;
  const covered = endsAt(r);
  if (r.stop) {
    r.end = Math.min(r.stop.at, covered);
    return;
  }
  if (r.settled) {
    let periodEnd = settleEnds.get(r.settled.tx);
    if (periodEnd === undefined) {
      periodEnd = null;
      try {
        const tx = await chain.pub.getTransaction({ hash: r.settled.tx });
        const call = decodeFunctionData({ abi: escrowAbi, data: tx.input });
        if (call.functionName === "stopAndSettle") {
          periodEnd = Number((call.args?.[1] as { periodEnd: bigint }).periodEnd);
        }
      } catch {
        /* settled through another contract: the deposit's end is the bound */
      }
      settleEnds.set(r.settled.tx, periodEnd);
    }
    r.end = periodEnd === null ? covered : Math.min(periodEnd, covered);
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
  "RentalOpened",
  "RentalExtended",
  "RentalStopped",
  "RentalSettled",
  "RentalRefunded",
];

/** Offers, providers and their reliability, from every escrow event since deployment. */
export class Market {
  readonly offers = new Map<bigint, Offer>();
  readonly providers = new Map<Address, Provider>();
  readonly rentals = new Map<Hex, Rental>();
  private next: bigint;

  constructor(private readonly chain: Chain) {
    this.next = BigInt(chain.dep.deployBlock);
  }

  /** Reads the events since the last call; true when there were any. */
  async refresh(): Promise<boolean> {
    const latest = await this.chain.pub.getBlockNumber();
    if (latest < this.next) return false;
    const events = MARKET_EVENTS.map(eventAbi);
    const logs = await logsInRanges(
      this.next,
      latest,
      (fromBlock, toBlock) =>
        this.chain.pub.getLogs({ address: this.chain.escrow, events, fromBlock, toBlock }) as Promise<Decoded[]>,
    );
    logs.sort(byPosition);
    const settled: Rental[] = [];
    for (const log of logs) {
      const a = log.args;
      switch (log.eventName) {
        case "ProviderRegistered":
          this.providers.set(getAddress(a.provider as string), {
            address: getAddress(a.provider as string),
            payout: getAddress(a.payout as string),
            attester: getAddress(a.attester as string),
            endpoint: a.endpoint as string,
            completed: 0,
            billedSeconds: 0,
            wallSeconds: 0,
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
        default:
          applyRentalLog(this.rentals, log);
          if (log.eventName === "RentalSettled") {
            const r = this.rentals.get(a.rentalId as Hex);
            if (r) settled.push(r);
          }
      }
    }
    for (const r of settled) {
      await resolveEnd(this.chain, r);
      const offer = this.offers.get(r.terms.offerId);
      const p = offer && this.providers.get(offer.provider);
      if (!p || !r.settled || r.end === undefined) continue;
      p.completed += 1;
      p.billedSeconds += Number(r.settled.billedSeconds);
      p.wallSeconds += Math.max(0, r.end - r.terms.startedAt);
    }
    this.next = latest + 1n;
    return logs.length > 0;
  }

  endpointOf(offerId: bigint): string | undefined {
    const o = this.offers.get(offerId);
    return o ? this.providers.get(o.provider)?.endpoint : undefined;
  }
}

/** Every rental of `renter`: RentalOpened filtered by the renter topic, then the events of those rental ids. */
export async function renterHistory(chain: Chain, renter: Address): Promise<Rental[]> {
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
        args: { renter },
        fromBlock,
        toBlock,
      }) as Promise<Decoded[]>,
  );
  for (const log of opened) applyRentalLog(rentals, log);
  const ids = [...rentals.keys()];
  if (ids.length === 0) return [];
  const later: Decoded[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    for (const name of ["RentalExtended", "RentalStopped", "RentalSettled", "RentalRefunded"]) {
      later.push(
        ...(await logsInRanges(
          from,
          latest,
          (fromBlock, toBlock) =>
            chain.pub.getLogs({
              address: chain.escrow,
              event: eventAbi(name),
              args: { rentalId: batch },
              fromBlock,
              toBlock,
            }) as Promise<Decoded[]>,
        )),
      );
    }
  }
  later.sort(byPosition);
  for (const log of later) applyRentalLog(rentals, log);
  // Refunds that could not be delivered: Credited to the renter in the settling or refunding transaction.
  const credited = await logsInRanges(
    from,
    latest,
    (fromBlock, toBlock) =>
      chain.pub.getLogs({
        address: chain.escrow,
        event: eventAbi("Credited"),
        args: { account: renter },
        fromBlock,
        toBlock,
      }) as Promise<Decoded[]>,
  );
  const list = [...rentals.values()];
  for (const c of credited) {
    const r = list.find((x) => x.settled?.tx === c.transactionHash || x.refunded?.tx === c.transactionHash);
    if (r) r.credited += c.args.amount as bigint;
  }
  for (const r of list) await resolveEnd(chain, r);
  return list.sort((a, b) => b.terms.startedAt - a.terms.startedAt);
}

export function isOpen(r: Rental): boolean {
  return !r.settled && !r.refunded;
}
