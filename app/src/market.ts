// The market: offers and providers rebuilt from the escrow's events since deployment, and each provider's on-chain
// reputation, read again from the dispute module whenever the escrow or the module emitted something.
import { getAddress, type Address, type ContractFunctionReturnType } from "viem";
import { disputesAbi, escrowAbi } from "./abi.generated";
import type { Chain } from "./chain";
import { byPosition, eventAbi, logsInRanges } from "./logs";

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
