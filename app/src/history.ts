// Rentals rebuilt from the chain: every rental of a renter (history and receipts, with undelivered refunds credited
// and when each closed rental ended) and the open rentals of a provider's offers. RentalOpened is read by its indexed
// renter or offer id, then the escrow's and the dispute module's later events of those rental ids, folded by
// rental.ts. Also the attestation a settled rental was settled with, read back from its transaction.
import { decodeFunctionData, getAddress, type Address, type Hash, type Hex } from "viem";
import { disputesAbi, escrowAbi } from "./abi.generated";
import type { Chain } from "./chain";
import { byPosition, eventAbi, logsInRanges, rentalLogs } from "./logs";
import type { OnChainUsage } from "./oracle";
import {
  DISPUTE_RENTAL_EVENTS,
  ESCROW_RENTAL_EVENTS,
  endsAt,
  foldRental,
  isOpen,
  type Rental,
  type RentalEvent,
} from "./rental";

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
  // Each rental's events: its RentalOpened, then the later ones in chain order.
  const events = new Map<Hex, RentalEvent[]>();
  for (const log of opened) events.set(log.args.rentalId, [log]);
  const ids = [...events.keys()];
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
  for (const log of later) events.get(log.args.rentalId)?.push(log);
  const rentals = [...events.values()].flatMap((e) => foldRental(e) ?? []);
  return { rentals, from, latest };
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
