// Receipts of closed rentals as JSON and CSV: amounts both in base units and in token units.
import { formatUnits, type Hash } from "viem";
import type { TokenInfo } from "./chain";
import type { Rental } from "./indexer";

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
  end: string;
  startUnix: number;
  endUnix: number | null;
  billedSeconds: string;
  deposit: string;
  cost: string;
  fee: string;
  providerNet: string;
  refund: string;
  credited: string;
  feeBps: number;
  txOpen: Hash;
  txExtend: string;
  txStop: string;
  txClose: string;
}

export function feeOf(cost: bigint, feeBps: number): bigint {
  return (cost * BigInt(feeBps) + 9999n) / 10000n;
}

function iso(unix: number | undefined): string {
  return unix === undefined ? "" : new Date(unix * 1000).toISOString();
}

export function receiptOf(r: Rental, token: TokenInfo, gpu: string, provider: string): Receipt {
  const units = (v: bigint) => formatUnits(v, token.decimals);
  const cost = r.settled?.cost ?? (r.refunded ? r.deposit - r.refunded.refund : 0n);
  const fee = r.settled ? feeOf(cost, r.terms.feeBps) : 0n;
  const refund = r.settled?.refund ?? r.refunded?.refund ?? 0n;
  return {
    rentalId: r.id,
    offerId: r.terms.offerId.toString(),
    gpu,
    provider,
    renter: r.terms.renter,
    token: token.address,
    tokenSymbol: token.symbol,
    pricePerHour: units(r.terms.pricePerHour),
    status: r.settled ? "settled" : r.refunded ? "refunded" : r.stop ? "stopped" : "running",
    start: iso(r.terms.startedAt),
    end: iso(r.end),
    startUnix: r.terms.startedAt,
    endUnix: r.end ?? null,
    billedSeconds: (r.settled?.billedSeconds ?? 0n).toString(),
    deposit: units(r.deposit),
    cost: units(cost),
    fee: units(fee),
    providerNet: units(cost - fee),
    refund: units(refund),
    credited: units(r.credited),
    feeBps: r.terms.feeBps,
    txOpen: r.openTx,
    txExtend: r.extensions.map((e) => e.tx).join(" "),
    txStop: r.stop?.tx ?? "",
    txClose: r.settled?.tx ?? r.refunded?.tx ?? "",
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
