// The dApp's rental fold (src/rental.ts) against the vectors protocol::rental is checked with
// (../test/vectors/rentals.json, protocol/tests/rental_vectors.rs): every case's events, decoded as viem decodes the
// escrow's logs, fold into exactly the state the case expects. Run by `npm run test:unit`, which first builds
// src/rental.ts for node into tests/unit/.build/.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  billedSeconds,
  foldRental,
  isOpen,
  rentalEnd,
  statusOf,
  wallSeconds,
} from "./.build/rental.js";

const VECTORS = new URL("../../../test/vectors/rentals.json", import.meta.url);
const doc = JSON.parse(readFileSync(VECTORS, "utf8"));

/** A transaction hash per event, so the test can see which event each hash the page keeps came from. */
const txOf = (i) => `0x${(i + 1).toString(16).padStart(64, "0")}`;

/**
 * One vector event as viem decodes the escrow's log: uint64 and wider as bigint, uint40 and narrower as number
 * (the terms of RentalOpened are its arguments, beside the rental id, deposit and access key).
 */
function decoded(e, i) {
  const big = (key) => BigInt(e[key]);
  const num = (key) => Number(e[key]);
  const t = doc.terms;
  const args = (() => {
    switch (e.event) {
      case "RentalOpened":
        return {
          renter: t.renter,
          offerId: BigInt(t.offerId),
          token: t.token,
          pricePerHour: BigInt(t.pricePerHour),
          attester: t.attester,
          startedAt: Number(t.startedAt),
          feeBps: Number(t.feeBps),
          slaBps: Number(t.slaBps),
          challengeWindow: Number(t.challengeWindow),
          gracePeriod: Number(t.gracePeriod),
          salt: t.salt,
          deposit: big("deposit"),
          accessKey: "0x",
        };
      case "RentalExtended":
        return { amount: big("amount"), deposit: big("deposit") };
      case "RentalStopped":
        return { by: e.by, stoppedAt: num("stoppedAt") };
      case "Checkpointed":
        return { seq: big("seq"), paidSeconds: num("paidSeconds"), providerNet: big("providerNet"), fee: big("fee") };
      case "RentalSettled":
        return {
          billedSeconds: big("billedSeconds"),
          endedAt: big("endedAt"),
          cost: big("cost"),
          refund: big("refund"),
          slaCredit: big("slaCredit"),
        };
      case "RentalRefunded":
        return { refund: big("refund") };
      case "RentalFrozen":
        return {};
      case "RentalResolved":
        return { endedAt: big("endedAt"), atStake: big("atStake"), returned: big("returned") };
      default:
        throw new Error(`the vectors name an event the test does not decode: ${e.event}`);
    }
  })();
  return { eventName: e.event, args: { rentalId: e.rentalId, ...args }, transactionHash: txOf(i), blockHash: txOf(i) };
}

/** The rental as the vectors write it: decimal strings, camelCase keys (`observed` in rental_vectors.rs). */
function observed(r) {
  const dec = (v) => v.toString();
  const c = r.closure;
  let closure = null;
  if (c?.kind === "settled") {
    closure = {
      kind: "settled",
      billedSeconds: dec(c.billedSeconds),
      endedAt: dec(c.endedAt),
      cost: dec(c.cost),
      refund: dec(c.refund),
      slaCredit: dec(c.slaCredit),
    };
  } else if (c?.kind === "refunded") {
    closure = { kind: "refunded", refund: dec(c.refund) };
  } else if (c?.kind === "resolved") {
    closure = { kind: "resolved", endedAt: dec(c.endedAt), atStake: dec(c.atStake), returned: dec(c.returned) };
  } else if (c !== null) {
    throw new Error(`a closure the vectors do not know: ${c.kind}`);
  }
  return {
    status: statusOf(r),
    initialDeposit: dec(r.initialDeposit),
    deposit: dec(r.deposit),
    paidSeconds: dec(r.paidSeconds),
    lastSeq: dec(r.lastSeq),
    checkpointedNet: dec(r.checkpointedNet),
    checkpointedFee: dec(r.checkpointedFee),
    stopped: r.stopped && { at: dec(r.stopped.at), by: r.stopped.by },
    frozen: r.frozen,
    end: dec(rentalEnd(r)),
    wallSeconds: dec(wallSeconds(r)),
    billedSeconds: dec(billedSeconds(r)),
    closure,
  };
}

const eventsOf = (c) => c.events.map(decoded);

test("the vectors keep their cases", () => {
  assert.ok(doc.cases.length >= 10, `only ${doc.cases.length} cases`);
});

for (const c of doc.cases) {
  test(`vector: ${c.name}`, () => {
    const r = foldRental(doc.rentalId, eventsOf(c));
    assert.ok(r, "the rental never opened");
    assert.deepEqual(observed(r), c.expect);
    assert.equal(isOpen(r), c.expect.closure === null);
  });
}

test("no rental before its RentalOpened, nor from another rental's", () => {
  const c = doc.cases.find((x) => x.name.startsWith("another rental's events"));
  const events = eventsOf(c);
  assert.equal(foldRental(doc.rentalId, []), undefined);
  assert.equal(foldRental(doc.rentalId, events.slice(1)), undefined);
  assert.equal(foldRental(doc.rentalId.toUpperCase().replace("0X", "0x"), events)?.id, doc.rentalId);
});

test("the fold is pure: the events are left as they were and the same events fold to the same rental", () => {
  for (const c of doc.cases) {
    const events = eventsOf(c);
    const before = structuredClone(events);
    const first = foldRental(doc.rentalId, events);
    const second = foldRental(doc.rentalId, events);
    assert.deepEqual(events, before, c.name);
    assert.deepEqual(first, second, c.name);
    assert.notEqual(first, second, c.name);
  }
});

test("the page keeps each event's transaction beside the state", () => {
  const settled = doc.cases.find((x) => x.name.startsWith("settled:"));
  const r = foldRental(doc.rentalId, eventsOf(settled));
  assert.equal(r.txs.open, txOf(0));
  assert.equal(r.txs.close, txOf(settled.events.length - 1));
  assert.deepEqual(r.terms, {
    ...doc.terms,
    offerId: BigInt(doc.terms.offerId),
    pricePerHour: BigInt(doc.terms.pricePerHour),
    startedAt: Number(doc.terms.startedAt),
    feeBps: Number(doc.terms.feeBps),
    slaBps: Number(doc.terms.slaBps),
    challengeWindow: Number(doc.terms.challengeWindow),
    gracePeriod: Number(doc.terms.gracePeriod),
  });

  const reopened = doc.cases.find((x) => x.name.startsWith("the same terms opened again"));
  const again = foldRental(doc.rentalId, eventsOf(reopened));
  assert.equal(again.txs.open, txOf(2), "a new life starts with its own RentalOpened");
  assert.equal(again.txs.close, undefined, "the closing of the life before is not this one's");

  const stopped = doc.cases.find((x) => x.name.startsWith("stopped before"));
  assert.equal(foldRental(doc.rentalId, eventsOf(stopped)).txs.stop, txOf(1));
});
