// Every failure becomes a sentence the user can act on: rejected signatures, the escrow's own errors decoded from
// the revert data with its ABI, wallet and network errors.
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError, decodeErrorResult, type Hex } from "viem";
import { escrowAbi } from "./chain";

const HINTS: Record<string, string> = {
  GpuEscrow_DurationOutOfBounds: "the deposit pays for a time outside the offer's minimum and maximum duration",
  GpuEscrow_OfferAtCapacity: "every slot of this offer is rented right now",
  GpuEscrow_OfferRetired: "the provider retired this offer",
  GpuEscrow_Paused: "the escrow does not open new rentals at the moment",
  GpuEscrow_AttestationTooOld: "the oracle's attestation is too old: stop again to fetch a fresh one",
  GpuEscrow_ZeroPrice: "the price must be above zero",
  GpuEscrow_NothingToClaim: "nothing has accrued on this offer yet",
  GpuEscrow_NotRenter: "only the renter's account can do this",
  GpuEscrow_NotOfferProvider: "only the offer's provider can do this",
  GpuEscrow_ProviderNotRegistered: "register as a provider first",
  GpuEscrow_ProviderAlreadyRegistered: "this account is already registered",
  GpuEscrow_RentalEnded: "the rental has already ended",
  GpuEscrow_InsufficientCredit: "the amount is above your credit",
};

function fmtArg(v: unknown): string {
  return typeof v === "bigint"
    ? v.toString()
    : typeof v === "string"
      ? v
      : JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x));
}

function decoded(name: string, args: readonly unknown[] | undefined): string {
  const a = args && args.length ? `(${args.map(fmtArg).join(", ")})` : "";
  const hint = HINTS[name];
  return `the escrow refused: ${name}${a}${hint ? ` — ${hint}` : ""}`;
}

function findRevertData(e: unknown): Hex | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 10 && cur && typeof cur === "object"; i++) {
    const data = (cur as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(data)) return data as Hex;
    if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") {
      const inner = (data as { data: string }).data;
      if (/^0x[0-9a-fA-F]{8,}$/.test(inner)) return inner as Hex;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A user-facing message for any error thrown by the wallet, viem or the oracle. */
export function explain(e: unknown): string {
  if (e instanceof BaseError) {
    if (e.walk((x) => x instanceof UserRejectedRequestError)) return "You rejected the request in your wallet.";
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data?.errorName) return decoded(reverted.data.errorName, reverted.data.args);
  }
  const code = (e as { code?: unknown })?.code;
  if (code === 4001 || (e as { cause?: { code?: unknown } })?.cause?.code === 4001) {
    return "You rejected the request in your wallet.";
  }
  const data = findRevertData(e);
  if (data) {
    try {
      const r = decodeErrorResult({ abi: escrowAbi, data });
      return decoded(r.errorName, r.args);
    } catch {
      /* not one of the escrow's errors: fall through */
    }
  }
  if (e instanceof BaseError) return e.shortMessage;
  if (e instanceof Error) return e.message;
  return String(e);
}
