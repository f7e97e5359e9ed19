// Rentals rebuilt from the chain: every rental of a renter (history and receipts, with undelivered refunds credited)
// and the open rentals of a provider's offers. RentalOpened is read by its indexed renter or offer id, then the
// escrow's and the dispute module's later events of those rental ids, folded by rental.ts: a rental's end and billed
// seconds come from its events alone (RentalSettled carries both), never from a transaction's calldata or a block.
import type { Address, Hex } from "viem";
import { disputesAbi, escrowAbi } from "./abi.generated";
import type { Chain } from "./chain";
import { byPosition, eventAbi, logsInRanges, rentalLogs } from "./logs";
import {
  DISPUTE_RENTAL_EVENTS,
  ESCROW_RENTAL_EVENTS,
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
  const ids = [...new Set(opened.map((log) => log.args.rentalId))];
  const later = [];
  for (let i = 0; i < ids.length; i += 100) {
    const batch = ids.slice(i, i + 100);
    later.push(
      ...(await logsInRanges(from, latest, (fromBlock, toBlock) =>
        rentalLogs(chain, RENTAL_EVENTS, batch, fromBlock, toBlock),
      )),
    );
  }
  // Each rental's events in chain order, its RentalOpened (or, for terms opened again, both) among them.
  const events = new Map<Hex, RentalEvent[]>(ids.map((id) => [id, []]));
  for (const log of [...opened, ...later].sort(byPosition)) events.get(log.args.rentalId)?.push(log);
  const rentals = [...events].flatMap(([id, e]) => foldRental(id, e) ?? []);
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
    const r = list.find((x) => x.txs.close === tx);
    if (r) r.credited += c.args.amount;
  }
  return list.sort((a, b) => b.terms.startedAt - a.terms.startedAt);
}

/** The rentals of `offerIds` (a provider's offers) that are not closed yet, newest first. */
export async function openRentalsOfOffers(chain: Chain, offerIds: bigint[]): Promise<Rental[]> {
  if (offerIds.length === 0) return [];
  const { rentals } = await rentalsWhere(chain, { offerId: offerIds });
  return rentals.filter(isOpen).sort((a, b) => b.terms.startedAt - a.terms.startedAt);
}
