// The provider's oracle over HTTP: live usage, signed attestations (a fresh one for stopping, the latest one for
// rating), and the renter's access details.
// The base URL is the provider's registered endpoint; gpu-oracle answers any origin's CORS checks.
import type { Address, ContractFunctionArgs, Hex } from "viem";
import type { escrowAbi } from "./abi.generated";
import type { RentalStatus } from "./rental";

/** `GET /v1/rentals/{id}/usage`: the fields the page reads (the oracle sends more). */
export interface Usage {
  uptimeSeconds: number;
  elapsedSeconds: number;
  avgUtilBps: number;
  energyJoules: number;
  lastSeq: number;
  /** Where the rental stands as the oracle has seen the escrow's events; absent from older oracles. */
  status?: RentalStatus;
}

export interface SignedAttestation {
  attestation: {
    rentalId: Hex;
    seq: number;
    periodEnd: number;
    uptimeSeconds: number;
    gpuModelHash: Hex;
    gpuUuidsHash: Hex;
    energyJoules: number;
    avgUtilBps: number;
  };
  signature: Hex;
}

export type AccessResult =
  | { kind: "ready"; host: string; port: number; user: string; notes?: string; ssh: string }
  | { kind: "provisioning"; attempts?: number; lastError?: string }
  | { kind: "refused"; status: number; error: string };

export class OracleError extends Error {}

async function call(endpoint: string, path: string, init: RequestInit = {}): Promise<Response> {
  let target: URL;
  try {
    target = new URL(endpoint.replace(/\/$/, "") + path);
  } catch {
    throw new OracleError(`the provider's oracle endpoint "${endpoint}" is not a URL`);
  }
  try {
    return await fetch(target.href, { ...init, cache: "no-store" });
  } catch (e) {
    throw new OracleError(
      `the provider's oracle at ${endpoint} did not answer (${(e as Error).message}); it may be down, or not allow ` +
        `requests from this page (CORS)`,
    );
  }
}

async function json<T>(res: Response, what: string): Promise<T> {
  if (!res.ok) {
    let msg = `${res.status}`;
    try {
      msg += ` ${((await res.json()) as { error?: string }).error ?? ""}`;
    } catch {
      /* body not JSON */
    }
    throw new OracleError(`oracle ${what}: HTTP ${msg.trim()}`);
  }
  return (await res.json()) as T;
}

export async function usage(endpoint: string, rentalId: Hex): Promise<Usage> {
  return json<Usage>(await call(endpoint, `/v1/rentals/${rentalId}/usage`), "usage");
}

/** The contracts' `Usage` struct: what `settle`, `stopAndSettle`, `settleFallback` and `rate` take with a signature. */
export type OnChainUsage = ContractFunctionArgs<typeof escrowAbi, "nonpayable", "settle">[1];

/** The on-chain `Usage` struct of a signed attestation (the rental id is not repeated: the terms give it). */
export function onChainUsage(signed: SignedAttestation): OnChainUsage {
  const a = signed.attestation;
  return {
    seq: BigInt(a.seq),
    periodEnd: BigInt(a.periodEnd),
    uptimeSeconds: BigInt(a.uptimeSeconds),
    gpuModelHash: a.gpuModelHash,
    gpuUuidsHash: a.gpuUuidsHash,
    energyJoules: BigInt(a.energyJoules),
    avgUtilBps: a.avgUtilBps,
  };
}

/** The latest attestation the oracle signed for the rental; it keeps serving it after the rental closed. */
export async function latestAttestation(endpoint: string, rentalId: Hex): Promise<SignedAttestation> {
  return json<SignedAttestation>(await call(endpoint, `/v1/rentals/${rentalId}/attestation`), "attestation");
}

export async function freshAttestation(endpoint: string, rentalId: Hex): Promise<SignedAttestation> {
  return json<SignedAttestation>(
    await call(endpoint, `/v1/rentals/${rentalId}/attestation`, { method: "POST" }),
    "attestation",
  );
}

/** The message the renter signs (personal_sign) to ask the oracle for access details. */
export function accessMessage(chainId: number, escrow: Address, rentalId: Hex, timestamp: number): string {
  return [
    "gpu-escrow access request",
    `chain: ${chainId}`,
    `escrow: ${escrow.toLowerCase()}`,
    `rental: ${rentalId.toLowerCase()}`,
    `timestamp: ${timestamp}`,
  ].join("\n");
}

export async function access(
  endpoint: string,
  rentalId: Hex,
  timestamp: number,
  signature: Hex,
): Promise<AccessResult> {
  const res = await call(endpoint, `/v1/rentals/${rentalId}/access`, {
    headers: { "X-Access-Timestamp": String(timestamp), "X-Access-Signature": signature },
  });
  let body: Record<string, unknown> = {};
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    /* handled below by status */
  }
  if (res.status === 200) {
    return {
      kind: "ready",
      host: String(body.host),
      port: Number(body.port),
      user: String(body.user),
      notes: body.notes ? String(body.notes) : undefined,
      ssh: String(body.ssh),
    };
  }
  if (res.status === 202) {
    return {
      kind: "provisioning",
      attempts: body.attempts as number | undefined,
      lastError: body.lastError as string | undefined,
    };
  }
  const why: Record<number, string> = {
    401: "the oracle did not accept the signature (stale or already used: ask again)",
    403: "the oracle says this account is not the rental's renter",
    404: "the oracle does not know this rental (yet)",
    410: "the rental has ended and its access was removed",
  };
  return {
    kind: "refused",
    status: res.status,
    error: `${why[res.status] ?? `HTTP ${res.status}`}: ${body.error ?? ""}`.trim(),
  };
}
