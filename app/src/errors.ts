// Every failure becomes a sentence the user can act on: rejected signatures, the contracts' own errors (escrow,
// dispute module, arbitrator) decoded from the revert data with their ABIs, wallet and network errors.
import {
  BaseError,
  ContractFunctionRevertedError,
  UserRejectedRequestError,
  decodeErrorResult,
  getAddress,
  type Address,
  type Hex,
} from "viem";
import { errorsAbi, type ContractErrorName, type TokenInfo } from "./chain";
import { amount, dateTime } from "./format";

/** Tokens the page already knows, to write amounts in an error's arguments in token units. */
export type KnownTokens = ReadonlyMap<Address, TokenInfo>;

type Hint = (args: readonly unknown[], tokens: KnownTokens) => string;

/** `value` of `token` in token units when the token is known, else in base units. */
function tokenAmount(value: unknown, token: unknown, tokens: KnownTokens): string {
  const t = typeof token === "string" ? tokens.get(getAddress(token)) : undefined;
  return t ? amount(value as bigint, t) : `${String(value)} base units`;
}

const at = (unix: unknown) => dateTime(unix as bigint);

/** Keyed by the contracts' error names: a renamed or removed error fails to compile here. */
const HINTS: { readonly [N in ContractErrorName]?: Hint } = {
  GpuEscrow_DurationOutOfBounds: () =>
    "the deposit pays for a time outside the offer's minimum and maximum duration",
  GpuEscrow_OfferAtCapacity: () => "every slot of this offer is rented right now",
  GpuEscrow_OfferRetired: () => "the provider retired this offer",
  GpuEscrow_Paused: () => "the escrow does not open new rentals at the moment",
  GpuEscrow_OfferSuspended: () =>
    "the provider's bond is below the minimum, so the offer takes no new rentals until the provider tops it up",
  GpuEscrow_RentalNotFrozen: () => "the rental is not under a dispute",
  GpuEscrow_StaleSeq: () => "a newer attestation was already used: fetch a fresh one from the provider's oracle",
  GpuEscrow_AttestationNotFinal: ([, , end]) =>
    `the attestation does not cover the rental's end (${at(end)}) yet: try again in a few seconds`,
  SignatureCheck_InsufficientGas: () => "the attester is a contract wallet: send the transaction with more gas",
  GpuEscrow_ZeroPrice: () => "the price must be above zero",
  GpuEscrow_NothingToClaim: () => "nothing has accrued on this offer yet",
  GpuEscrow_NotRenter: () => "only the renter's account can do this",
  GpuEscrow_NotOfferProvider: () => "only the offer's provider can do this",
  GpuEscrow_ProviderNotRegistered: () => "register as a provider first",
  GpuEscrow_ProviderAlreadyRegistered: () => "this account is already registered",
  GpuEscrow_RentalEnded: () => "the rental has already ended: settle it instead",
  GpuEscrow_InsufficientCredit: () => "the amount is above your credit",
  GpuEscrow_RentalNotActive: ([, status]) =>
    Number(status) === 2
      ? "the rental is frozen by a dispute: nothing moves until the dispute is resolved"
      : "the rental is already closed",

  DisputeModule_ZeroAmount: () => "enter an amount above zero",
  DisputeModule_BondBelowMinimum: ([, token, bonded, min], tokens) =>
    `post a bond of at least ${tokenAmount(min, token, tokens)} first (Provider page, Bond); ` +
    `you have ${tokenAmount(bonded, token, tokens)} bonded that is not being unbonded`,
  DisputeModule_InsufficientBond: ([, token, requested, available], tokens) =>
    `you asked to unbond ${tokenAmount(requested, token, tokens)} but only ` +
    `${tokenAmount(available, token, tokens)} is bonded`,
  DisputeModule_BondInUse: ([offerId]) =>
    `offer #${String(offerId)} still needs this bond: retire it and let its rentals close first, ` +
    `or keep at least the minimum bonded`,
  DisputeModule_NothingUnbonding: () => "request an unbond first; the bond can be withdrawn after the unbonding delay",
  DisputeModule_UnbondingNotDue: ([due]) => `the unbonded amount can be withdrawn from ${at(due)}`,
  DisputeModule_BondAtStake: ([, , open]) =>
    `${String(open)} dispute(s) on your rentals in this token are open: the bond stays until they are resolved`,
  DisputeModule_InsufficientCredit: () => "the amount is above your credit in the dispute module",
  DisputeModule_RentalNotLive: ([, status]) =>
    Number(status) === 2 ? "the rental is already under dispute" : "the rental is closed",
  DisputeModule_NotParty: () => "only the rental's renter or the offer's provider can do this",
  DisputeModule_DisputeWindowClosed: ([, closedAt]) =>
    `disputes on this rental closed at ${at(closedAt)} (its end plus the challenge window)`,
  DisputeModule_ValueMismatch: ([expected]) =>
    `the transaction must send exactly ${String(expected)} wei (the arbitrator's fee, plus the dispute bond in the ` +
    `native coin): reload the page and try again`,
  DisputeModule_NoDispute: () => "there is no dispute on this rental (it may have been executed already)",
  DisputeModule_RulingPending: ([, deadline]) =>
    `the arbitrator has not ruled yet; without a ruling the billing rules apply from ${at(deadline)}`,
  DisputeModule_NoFallback: () => "the arbitrator ruled: execute the ruling instead",
  DisputeModule_FallbackNeedsAttestation: ([, refundableAt]) =>
    `no ruling came, so the rental settles by the billing rules with the provider's final attestation; ` +
    `without one it can be refunded from ${at(refundableAt)}`,
  DisputeModule_InvalidSignature: () => "the attestation is not signed by the rental's attester",
  DisputeModule_NotRenter: () => "only the rental's renter can rate it",
  DisputeModule_InvalidScore: () => "a score is a whole number from 1 to 5",
  DisputeModule_RentalNotClosed: () => "a rental can be rated once it is settled or otherwise closed",
  DisputeModule_AlreadyRated: () => "this rental is already rated",

  CommitteeArbitrator_NotMember: () => "only a member of the arbitration committee can vote",
  CommitteeArbitrator_AlreadyVoted: () => "this member already voted on the dispute",
  CommitteeArbitrator_DisputeExpired: ([, deadline]) =>
    `the committee's ruling period ended at ${at(deadline)}: execute the fallback instead`,
  CommitteeArbitrator_DisputeAlreadyRuled: () => "the committee already ruled on this dispute",
};

/** HINTS looked up by a decoded error's name (any string). */
const hintsByName: Readonly<Record<string, Hint | undefined>> = HINTS;

function contractOf(errorName: string): string {
  if (errorName.startsWith("DisputeModule_")) return "the dispute module";
  if (errorName.startsWith("CommitteeArbitrator_")) return "the arbitrator";
  return "the escrow";
}

function fmtArg(v: unknown): string {
  return typeof v === "bigint"
    ? v.toString()
    : typeof v === "string"
      ? v
      : JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x));
}

function decoded(name: string, args: readonly unknown[] | undefined, tokens: KnownTokens): string {
  const a = args && args.length ? `(${args.map(fmtArg).join(", ")})` : "";
  let hint = "";
  try {
    hint = hintsByName[name]?.(args ?? [], tokens) ?? "";
  } catch {
    /* arguments of an unexpected shape: the error's name and values still say it */
  }
  return `${contractOf(name)} refused: ${name}${a}${hint ? ` — ${hint}` : ""}`;
}

function findRevertData(e: unknown): Hex | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 10 && cur && typeof cur === "object"; i++) {
    for (const key of ["data", "raw"]) {
      const data = (cur as Record<string, unknown>)[key];
      if (typeof data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(data)) return data as Hex;
      if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") {
        const inner = (data as { data: string }).data;
        if (/^0x[0-9a-fA-F]{8,}$/.test(inner)) return inner as Hex;
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A user-facing message for any error thrown by the wallet, viem or the oracle. */
export function explain(e: unknown, tokens: KnownTokens = new Map()): string {
  if (e instanceof BaseError) {
    if (e.walk((x) => x instanceof UserRejectedRequestError)) return "You rejected the request in your wallet.";
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted?.data?.errorName) return decoded(reverted.data.errorName, reverted.data.args, tokens);
  }
  const code = (e as { code?: unknown })?.code;
  if (code === 4001 || (e as { cause?: { code?: unknown } })?.cause?.code === 4001) {
    return "You rejected the request in your wallet.";
  }
  const data = findRevertData(e);
  if (data) {
    try {
      const r = decodeErrorResult({ abi: errorsAbi, data });
      return decoded(r.errorName, r.args, tokens);
    } catch {
      /* not one of the contracts' errors: fall through */
    }
  }
  if (e instanceof BaseError) return e.shortMessage;
  if (e instanceof Error) return e.message;
  return String(e);
}
