import { formatUnits, parseUnits } from "viem";
import type { TokenInfo } from "./chain";

/** A token amount in whole units with its symbol, trailing zeros trimmed to at most `max` decimals. */
export function amount(value: bigint, token: TokenInfo, max = 6): string {
  const s = formatUnits(value, token.decimals);
  const [int, frac = ""] = s.split(".");
  const f = frac.slice(0, max).replace(/0+$/, "");
  return `${int}${f ? "." + f : ""} ${token.symbol}`;
}

/** Parses a decimal amount typed by the user into base units; throws a readable error. */
export function parseAmount(text: string, token: TokenInfo): bigint {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) throw new Error(`"${text}" is not an amount (e.g. 2.5)`);
  const frac = t.split(".")[1] ?? "";
  if (frac.length > token.decimals) throw new Error(`${token.symbol} has only ${token.decimals} decimals`);
  return parseUnits(t, token.decimals);
}

export function duration(seconds: number | bigint): string {
  let s = Math.max(0, Number(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : "", `${Math.floor(s)}s`].filter(Boolean);
  return parts.slice(0, 3).join(" ");
}

export function dateTime(unix: number | bigint): string {
  return new Date(Number(unix) * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, " UTC");
}

export function pct(bps: number): string {
  return `${(bps / 100).toFixed(2).replace(/\.?0+$/, "")} %`;
}

export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex;
}
