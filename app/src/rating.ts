// The renter's rating of a closed rental's provider: the stars once rated, else a score to submit, proven with the
// latest attestation of the rental from the provider's oracle, checked here to be signed by the rental's own attester
// before it is sent. The escrow's events carry no attestation, and a settlement's calldata is no source either (a
// contract wallet or a batch wraps it), so without the oracle's answer there is nothing to prove the rental with.
import type { Hex } from "viem";
import type { App } from "./app";
import * as oracle from "./oracle";
import { isOpen, type Rental } from "./rental";
import { busy, h, notice } from "./ui";

/**
 * The oracle's latest attestation of `r`, as `rate` takes it, once checked: about this rental, and its digest (the
 * escrow's `attestationDigest`) signed by `terms.attester` (an ECDSA signature, or ERC-1271 for a contract attester).
 */
async function provenAttestation(app: App, r: Rental): Promise<{ usage: oracle.OnChainUsage; signature: Hex }> {
  const endpoint = app.market.endpointOf(r.terms.offerId);
  if (!endpoint) throw new Error("the provider registered no oracle endpoint");
  const signed = await oracle.latestAttestation(endpoint, r.id);
  if (signed.attestation.rentalId.toLowerCase() !== r.id.toLowerCase()) {
    throw new Error(`the oracle answered with an attestation of another rental (${signed.attestation.rentalId})`);
  }
  const usage = oracle.onChainUsage(signed);
  const digest = await app.chain.escrowRead.attestationDigest([r.terms, usage]);
  const signedByAttester = await app.chain.pub.verifyHash({
    address: r.terms.attester,
    hash: digest,
    signature: signed.signature,
    mode: "eoa",
  });
  if (!signedByAttester) {
    throw new Error(`the oracle's attestation is not signed by the rental's attester ${r.terms.attester}`);
  }
  return { usage, signature: signed.signature };
}

/** The renter rates the provider of a closed rental, proving the rental with an attestation its attester signed. */
async function rate(app: App, r: Rental, score: number): Promise<void> {
  const n = notice("pending", "Rate: fetching an attestation of the rental from the provider's oracle…");
  let proof;
  try {
    proof = await provenAttestation(app, r);
  } catch (e) {
    app.fail("Rate: no attestation of this rental signed by its attester from the provider's oracle to prove it", e, n);
    return;
  }
  if (
    await app.tx(
      `Rate ${score} of 5`,
      { address: "disputes", functionName: "rate", args: [r.terms, proof.usage, proof.signature, score] },
      n,
    )
  ) {
    await app.refresh();
  }
}

/** The history table's rating cell of `r`. */
export function ratingCell(app: App, r: Rental): HTMLElement {
  if (r.rating !== undefined) {
    const stars = `${"★".repeat(r.rating)}${"☆".repeat(5 - r.rating)}`;
    return h("td", { testid: "history-rating", "data-rating": r.rating, title: `${r.rating} of 5` }, stars);
  }
  if (isOpen(r)) return h("td", { testid: "history-rating" }, "—");
  const score = h(
    "select",
    { testid: "rate-score" },
    ...[5, 4, 3, 2, 1].map((v) => h("option", { value: v }, `${v} ★`)),
  );
  const btn = h("button", { testid: "rate-submit" }, "Rate");
  btn.addEventListener("click", () => void busy(btn, () => rate(app, r, Number(score.value))));
  return h("td", { testid: "history-rating" }, h("div", { class: "actions" }, score, btn));
}
