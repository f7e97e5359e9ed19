// Reading the contracts' logs: the typed ABI item of an event, bounded block ranges from the deployment block on,
// the logs of given rental ids from the escrow and the dispute module together, and chain order.
import {
  formatLog,
  numberToHex,
  parseEventLogs,
  toEventSelector,
  type Abi,
  type AbiEvent,
  type ContractEventArgsFromTopics,
  type ContractEventName,
  type Hash,
  type Hex,
} from "viem";
import type { Chain } from "./chain";

/** Blocks per eth_getLogs request. */
const CHUNK = 10_000n;

type EventItem<abi extends Abi, name extends string> = Extract<abi[number], { type: "event"; name: name }>;

/** The ABI item of the event `name` of `abi`, typed by it (so getLogs and parseEventLogs type the logs' args). */
export function eventAbi<const abi extends Abi, name extends ContractEventName<abi>>(
  abi: abi,
  name: name,
): EventItem<abi, name> {
  const e = abi.find((x): x is EventItem<abi, name> => x.type === "event" && x.name === name);
  if (!e) throw new Error(`the ABI has no event ${name}`);
  return e;
}

/** A decoded log of `abi`'s event `name`: its arguments and where it was emitted. */
export type EventLog<abi extends Abi, name extends ContractEventName<abi>> = {
  [N in name]: { eventName: N; args: ContractEventArgsFromTopics<abi, N>; transactionHash: Hash; blockHash: Hash };
}[name];

interface Positioned {
  blockNumber: bigint | null;
  logIndex: number | null;
}

/** `query` over [from, to] in ranges of CHUNK blocks, the results in range order. */
export async function logsInRanges<T>(
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
export async function rentalLogs<const events extends readonly AbiEvent[]>(
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

/** Chain order: by block, then by position in the block. */
export function byPosition(a: Positioned, b: Positioned): number {
  const d = Number((a.blockNumber ?? 0n) - (b.blockNumber ?? 0n));
  return d !== 0 ? d : (a.logIndex ?? 0) - (b.logIndex ?? 0);
}

