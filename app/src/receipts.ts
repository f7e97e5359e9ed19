// Receipts of rentals as JSON and CSV, amounts in token units. For every rental: cost − slaCredit + refund =
// deposit, and fee + providerNet + slaCredit = cost.
import { formatUnits, type Hash } from "viem";
import { feeOf } from "./billing";
import type { TokenInfo } from "./chain";
import { pct } from "./format";
import { billedSeconds, isOpen, rentalEnd, statusOf, type Rental } from "./rental";

export interface Receipt {
  rentalId: string;
  offerId: string;
  gpu: string;
  provider: string;
  renter: string;
  token: string;
  tokenSymbol: string;
  pricePerHour: string;
  status: string;
  start: string;
  /** When billing ended (the rental's end), once closed; empty while open. */
  end: string;
  startUnix: number;
  endUnix: number | null;
  /** Seconds billed: the settlement's, or what checkpoints paid for a refunded or resolved rental. */
  billedSeconds: string;
  deposit: string;
  /** Billed GPU time at the hourly price (settled), or what the deposit paid out otherwise. */
  cost: string;
  fee: string;
  providerNet: string;
  /** Given back at settlement because uptime fell short of the SLA (included in refund). */
  slaCredit: string;
  refund: string;
  credited: string;
  feeBps: number;
  slaBps: number;
  /** A dispute's outcome: "ruling: N % to the renter", "fallback: billing rules", or empty. */
  dispute: string;
  /** The renter's rating of the provider (1–5), or null. */
  rating: number | null;
  txOpen: Hash;
  txExtend: string;
  txStop: string;
  txClose: string;
}

function iso(unix: number | undefined): string {
  return unix === undefined ? "" : new Date(unix * 1000).toISOString();
}

/** What the rental cost the renter and paid the provider and the treasury, in base units. */
export function moneyOf(r: Rental): { cost: bigint; fee: bigint; slaCredit: bigint; refund: bigint } {
  const c = r.closure;
  if (c?.kind === "settled") {
    return { cost: c.cost, fee: feeOf(c.cost, r.terms.feeBps), slaCredit: c.slaCredit, refund: c.refund };
  }
  // Refunded: the provider keeps what checkpoints paid (their fee included), the renter gets the rest.
  if (c?.kind === "refunded") {
    return { cost: r.deposit - c.refund, fee: r.checkpointedFee, slaCredit: 0n, refund: c.refund };
  }
  // Resolved: the deposit for the time after the end back, and the renter's share of what was at stake.
  if (c?.kind === "resolved" && r.outcome) {
    const refund = c.returned + r.outcome.toRenter;
    return { cost: r.deposit - refund, fee: r.checkpointedFee + r.outcome.fee, slaCredit: 0n, refund };
  }
  return { cost: 0n, fee: 0n, slaCredit: 0n, refund: 0n };
}

/** "ruling: 75 % to the renter", "fallback: billing rules", "" without a dispute outcome. */
export function disputeText(r: Rental): string {
  const o = r.dispute?.outcome;
  if (!o) return "";
  return o.fallbackApplied ? "fallback: billing rules" : `ruling: ${pct(o.renterShareBps)} to the renter`;
}

export function receiptOf(r: Rental, token: TokenInfo, gpu: string, provider: string): Receipt {
  const units = (v: bigint) => formatUnits(v, token.decimals);
  const m = moneyOf(r);
  const end = isOpen(r) ? undefined : Number(rentalEnd(r));
  return {
    rentalId: r.id,
    offerId: r.terms.offerId.toString(),
    gpu,
    provider,
    renter: r.terms.renter,
    token: token.address,
    tokenSymbol: token.symbol,
    pricePerHour: units(r.terms.pricePerHour),
    status: statusOf(r),
    start: iso(r.terms.startedAt),
    end: iso(end),
    startUnix: r.terms.startedAt,
    endUnix: end ?? null,
    billedSeconds: billedSeconds(r).toString(),
    deposit: units(r.deposit),
    cost: units(m.cost),
    fee: units(m.fee),
    providerNet: units(m.cost - m.fee - m.slaCredit),
    slaCredit: units(m.slaCredit),
    refund: units(m.refund),
    credited: units(r.credited),
    feeBps: r.terms.feeBps,
    slaBps: r.terms.slaBps,
    dispute: disputeText(r),
    rating: r.rating ?? null,
    txOpen: r.txs.open,
    txExtend: r.txs.extend.join(" "),
    txStop: r.txs.stop ?? "",
    txClose: r.txs.close ?? "",
  };
}

export function toCsv(rows: Receipt[]): string {
  if (rows.length === 0) return "";
  const keys = Object.keys(rows[0]) as (keyof Receipt)[];
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [keys.join(","), ...rows.map((r) => keys.map((k) => cell(r[k])).join(","))].join("\n") + "\n";
}

export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
