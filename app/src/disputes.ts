// Disputes on a rental, for its renter and its provider: opening one (evidence URI, the dispute bond and the
// arbitrator's fee), the card of a rental frozen by a dispute (who opened it, the evidence, the ruling deadline, the
// ruling and its execution, or the fallback when nobody ruled), and adding evidence while it waits for the ruling.
import { erc20Abi, zeroAddress, type Address } from "viem";
import type { App, TxCall } from "./app";
import { amount, dateTime, duration, pct, short } from "./format";
import * as oracle from "./oracle";
import { rentalEnd, type Rental } from "./rental";
import { busy, field, h, notice, replace } from "./ui";

/**
 * "Open a dispute" and the form it shows or hides (`fillDisputeForm`), for a running rental of the renter's or of the
 * provider's offers; the caller places both.
 */
export function openDisputeControls(app: App, r: Rental): { button: HTMLButtonElement; form: HTMLElement } {
  const form = h("div", { testid: "dispute-form", hidden: true });
  const button = h("button", { testid: "dispute-open" }, "Open a dispute");
  button.addEventListener(
    "click",
    () =>
      void busy(button, async () => {
        form.hidden = !form.hidden;
        if (!form.hidden) await fillDisputeForm(app, r, form);
      }),
  );
  return { button, form };
}

/**
 * The form that opens a dispute, for the renter or the provider: evidence URI, the dispute bond and the
 * arbitrator's fee it will cost.
 */
async function fillDisputeForm(app: App, r: Rental, el: HTMLElement): Promise<void> {
  const chain = app.chain;
  const token = await chain.token(r.terms.token);
  const [bond, fee, rulingPeriod] = await Promise.all([
    chain.disputesRead.disputeBond([token.address]),
    chain.arbitrationCost(),
    chain.disputesRead.rulingPeriod(),
  ]);
  const native = await chain.token(zeroAddress);
  const evidence = h("input", {
    type: "url",
    placeholder: "https://… or ipfs://… (what went wrong, logs, screenshots)",
    testid: "dispute-evidence-input",
    size: 60,
  });
  const submit = h("button", { class: "primary", testid: "dispute-submit" }, "Open the dispute");
  submit.addEventListener(
    "click",
    () => void busy(submit, () => openDispute(app, r, evidence.value.trim(), bond, fee)),
  );
  replace(
    el,
    h(
      "div",
      { class: "card" },
      h("h4", {}, "Open a dispute"),
      h(
        "p",
        { testid: "dispute-cost" },
        `The rental is frozen until the arbitrator rules (within ${duration(rulingPeriod)}); then its unpaid deposit ` +
          `is split by the ruling, or half to each side without one. You post a dispute bond of ` +
          `${amount(bond, token)}` +
          (fee > 0n ? ` and pay the arbitrator ${amount(fee, native)}; ` : " (the arbitrator charges nothing); ") +
          `you lose the bond if the ruling gives you less than half.`,
      ),
      h("div", { class: "actions" }, field("Evidence URI", evidence), submit),
    ),
  );
}

async function openDispute(app: App, r: Rental, evidenceURI: string, bond: bigint, fee: bigint): Promise<void> {
  const chain = app.chain;
  const token = await chain.token(r.terms.token);
  if (!evidenceURI) {
    notice("error", "Dispute: give the URI of your evidence (a page or file the arbitrator can read)");
    return;
  }
  const balance = await chain.balanceOf(token);
  const needed = token.native ? bond + fee : bond;
  if (balance < needed) {
    notice(
      "error",
      `Dispute: insufficient ${token.symbol} balance for the dispute bond: you have ${amount(balance, token)}, ` +
        `need ${amount(needed, token)}`,
    );
    return;
  }
  if (!token.native && bond > 0n && (await chain.allowance(token, chain.disputes)) < bond) {
    const ok = await app.tx(`Approve the dispute bond of ${amount(bond, token)}`, {
      address: token.address,
      abi: erc20Abi,
      functionName: "approve",
      args: [chain.disputes, bond],
    });
    if (!ok) return;
  }
  const ok = await app.tx("Open dispute", {
    address: "disputes",
    functionName: "openDispute",
    args: [r.terms, evidenceURI],
    value: token.native ? fee + bond : fee,
  });
  if (ok) await app.refresh();
}

/** A rental frozen by a dispute: who opened it, the evidence, the ruling deadline, the ruling, and its execution. */
export function disputeCard(app: App, r: Rental): { el: HTMLElement; tick: () => Promise<void> } {
  const offer = app.market.offers.get(r.terms.offerId);
  const d = r.dispute;
  const t = app.chain.tokens.get(r.terms.token);
  const state = h("span", { testid: "dispute-state" }, "…");
  const execute = h("button", { class: "primary", testid: "dispute-execute", disabled: true }, "Execute the ruling");
  execute.addEventListener(
    "click",
    () =>
      void busy(execute, async () => {
        const label = execute.textContent ?? "Execute";
        const call =
          execute.dataset.fallback === "true"
            ? await fallbackCall(app, r, label, Number(execute.dataset.refundableAt))
            : ({ address: "disputes", functionName: "executeRuling", args: [r.terms] } satisfies TxCall);
        if (call && (await app.tx(label, call))) await app.refresh();
      }),
  );
  const opener = d ? (d.opener === r.terms.renter ? "you" : "the provider") : "…";
  const el = h(
    "div",
    { class: "card rental frozen", testid: "dispute-card", "data-rental": r.id },
    h(
      "h3",
      {},
      `${offer?.model ?? "GPU"} · offer #${r.terms.offerId} · rental `,
      h("code", { title: r.id }, short(r.id)),
      " · ",
      h("span", { class: "badge", testid: "frozen-badge" }, "frozen by a dispute"),
    ),
    h(
      "dl",
      {},
      h("dt", {}, "Opened by"),
      h("dd", { testid: "dispute-opener" }, opener),
      h("dt", {}, "Evidence"),
      h("dd", {}, d ? evidenceView(app, r) : "…"),
      h("dt", {}, "Arbitrator's dispute"),
      h("dd", { testid: "dispute-id" }, d ? `#${d.arbitratorDisputeId}` : "…"),
      h("dt", {}, "Dispute bond"),
      h("dd", {}, d && t ? amount(d.bond, t) : "…"),
      h("dt", {}, "Ruling deadline"),
      h("dd", { testid: "dispute-deadline" }, d ? dateTime(d.deadline) : "…"),
      h("dt", {}, "Deposit"),
      h("dd", {}, t ? amount(r.deposit, t) : "…"),
    ),
    h("div", { class: "dispute-state" }, state),
    h("div", { class: "actions" }, execute),
  );
  return { el, tick: () => tickDispute(app, r, state, execute) };
}

/**
 * Every evidence URI of a rental's dispute (the opener's, then what either party added), and a field for the
 * connected party to add more (`submitEvidence`) while the dispute waits for its ruling.
 */
export function evidenceView(app: App, r: Rental): HTMLElement {
  const party = (a: Address) =>
    a === app.chain.account ? "you" : a === r.terms.renter ? "the renter" : "the provider";
  const input = h("input", {
    type: "url",
    placeholder: "https://… or ipfs://… (more evidence for the arbitrator)",
    testid: "evidence-add-input",
    size: 50,
  });
  const btn = h("button", { testid: "evidence-add" }, "Add evidence");
  btn.addEventListener(
    "click",
    () =>
      void busy(btn, async () => {
        const uri = input.value.trim();
        if (!uri) {
          notice("error", "Add evidence: give the URI of the evidence (a page or file the arbitrator can read)");
          return;
        }
        const ok = await app.tx("Add evidence", {
          address: "disputes",
          functionName: "submitEvidence",
          args: [r.terms, uri],
        });
        if (ok) await app.refresh();
      }),
  );
  return h(
    "div",
    { testid: "dispute-evidence" },
    h(
      "ol",
      { class: "evidence" },
      ...(r.dispute?.evidence ?? []).map((e) =>
        h(
          "li",
          { testid: "dispute-evidence-item", "data-uri": e.uri },
          // Anyone can submit any string: only web and IPFS addresses become links.
          /^(https?|ipfs):\/\//i.test(e.uri)
            ? h("a", { href: e.uri, target: "_blank", rel: "noopener" }, e.uri)
            : h("code", {}, e.uri),
          ` (${party(e.party)})`,
        ),
      ),
    ),
    r.dispute?.outcome ? null : h("div", { class: "actions" }, input, btn),
  );
}

/**
 * The call that applies the fallback of a dispute nobody ruled on: `settleFallback` with the provider's final
 * attestation (the billing rules), or, when the oracle has none and the fallback's grace period is over,
 * `executeRuling` (the refund rules). Null, with the reason reported, when neither can be done yet.
 */
async function fallbackCall(
  app: App,
  r: Rental,
  label: string,
  refundableAt: number,
): Promise<TxCall | null> {
  const endpoint = app.market.endpointOf(r.terms.offerId);
  try {
    if (!endpoint) throw new Error("the provider registered no oracle endpoint");
    const signed = await oracle.freshAttestation(endpoint, r.id);
    // The freeze stopped the clock: the final attestation must cover it.
    const end = Number(rentalEnd(r));
    if (signed.attestation.periodEnd < end) {
      throw new Error(
        `the oracle's latest attestation ends at ${dateTime(signed.attestation.periodEnd)}, before the rental's ` +
          `end (${dateTime(end)})`,
      );
    }
    return {
      address: "disputes",
      functionName: "settleFallback",
      args: [r.terms, oracle.onChainUsage(signed), signed.signature],
    };
  } catch (e) {
    const now = Number((await app.chain.pub.getBlock()).timestamp);
    if (now >= refundableAt) return { address: "disputes", functionName: "executeRuling", args: [r.terms] };
    app.fail(
      `${label}: no final attestation from the provider's oracle; without one the rental can be refunded from ` +
        dateTime(refundableAt),
      e,
    );
    return null;
  }
}

/** Follows a frozen rental's dispute: ruled, still waiting, or past its deadline (the fallback applies). */
async function tickDispute(app: App, r: Rental, state: HTMLElement, execute: HTMLButtonElement): Promise<void> {
  const [d, block] = await Promise.all([app.chain.disputesRead.dispute([r.id]), app.chain.pub.getBlock()]);
  const now = Number(block.timestamp);
  // status 0 none (or executed), 1 open, 2 ruled; ruling 0 none, else 1 + the renter's share in bps
  const { status, ruling, deadline } = d;
  let key: string;
  if (status === 0) {
    key = "executed";
    state.textContent = "The dispute was executed: the rental is closed.";
    execute.hidden = true;
  } else if (status === 2 && ruling > 0) {
    key = "ruled";
    const renterBps = ruling - 1;
    const openerLost = d.opener === r.terms.renter ? renterBps < 5000 : renterBps > 5000;
    state.textContent =
      `Ruled: ${pct(renterBps)} of the cost of the time before the freeze to you, ${pct(10_000 - renterBps)} to the ` +
      `provider; the deposit for the time after it comes back to you (the dispute bond goes ` +
      `${openerLost ? "to the other side" : "back to its opener"}). Anyone can execute it.`;
    execute.textContent = "Execute the ruling";
  } else if (status === 2 || now >= deadline) {
    key = "fallback";
    // For a refusal the module stores its time as the deadline: the fallback starts there.
    const refundableAt = deadline + r.terms.gracePeriod + 1;
    execute.dataset.refundableAt = String(refundableAt);
    const fallback =
      "the billing rules apply as if no dispute had been opened: settling with the provider's final attestation " +
      "bills the time before the freeze (the dispute bond back to its opener); without an attestation the rental " +
      `can be refunded from ${dateTime(refundableAt)}`;
    state.textContent =
      status === 2
        ? `The arbitrator refused to rule: ${fallback}.`
        : `No ruling by the deadline (${dateTime(deadline)}): ${fallback}.`;
    execute.textContent = "Apply the fallback";
  } else {
    key = "open";
    state.textContent =
      `Open: waiting for the arbitrator's ruling until ${dateTime(deadline)} (${duration(deadline - now)} left).`;
    execute.textContent = "Execute the ruling";
  }
  state.dataset.state = key;
  execute.dataset.fallback = String(key === "fallback");
  execute.disabled = key === "open" || key === "executed";
}
