// The renter's rating of a closed rental's provider: the stars once rated, else a score to submit, proven with an
// attestation of the rental from its oracle or, failing that, the one its settlement transaction carried.
import type { Hex } from "viem";
import type { App } from "./app";
import { attestationFromSettlement } from "./history";
import * as oracle from "./oracle";
import { isOpen, type Rental } from "./rental";
import { busy, h, notice } from "./ui";

/** The renter rates the provider of a closed rental, proving the rental with any attestation its attester signed. */
async function rate(app: App, r: Rental, score: number): Promise<void> {
  const n = notice("pending", "Rate: fetching an attestation of the rental from the provider's oracle…");
  let usage: oracle.OnChainUsage;
  let signature: Hex;
  try {
    const endpoint = app.market.endpointOf(r.terms.offerId);
    if (!endpoint) throw new Error("the provider registered no oracle endpoint");
    const signed = await oracle.latestAttestation(endpoint, r.id);
    usage = oracle.onChainUsage(signed);
    signature = signed.signature;
  } catch (e) {
    // The settlement transaction carries the attestation it was settled with.
    const settled = await attestationFromSettlement(app.chain, r).catch(() => null);
    if (!settled) {
      app.fail("Rate: no signed attestation of this rental (from its oracle or its settlement) to prove it", e, n);
      return;
    }
    ({ usage, signature } = settled);
  }
  if (
    await app.tx(
      `Rate ${score} of 5`,
      { address: "disputes", functionName: "rate", args: [r.terms, usage, signature, score] },
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
