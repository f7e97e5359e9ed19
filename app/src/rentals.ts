// The renter's active rentals (live numbers quoted from their terms and on-chain state, usage and projected SLA credit from the
// provider's oracle, extend, stop, access details, opening a dispute), frozen rentals with their dispute (state,
// deadline, ruling, execution), and the history of every rental with ratings and downloadable receipts.
import { erc20Abi, zeroAddress, type Address, type Hex } from "viem";
import type { App, TxCall } from "./app";
import { creditsView } from "./credits";
import { amount, dateTime, duration, parseAmount, pct, short } from "./format";
import { costOf, quote, slaCreditOf } from "./billing";
import { attestationFromSettlement, endsAt, isOpen, statusOf, type Rental } from "./indexer";
import { escrowAbi } from "./abi.generated";
import * as oracle from "./oracle";
import { disputeText, download, moneyOf, receiptOf, toCsv } from "./receipts";
import { busy, field, h, notice, replace } from "./ui";

/** Below this much time left a running rental shows a warning (or a tenth of its length, if shorter). */
const LOW_BALANCE_SECONDS = 600;

interface Card {
  rental: Rental;
  fields: Record<string, HTMLElement>;
  usageAt: number;
  /** Frozen by a dispute: the card follows the dispute instead of the quote. */
  frozen: boolean;
}

export function rentalsView(app: App): { el: HTMLElement; tick: () => Promise<void> } {
  const active = h("div", { testid: "active-rentals" });
  const history = h("div", { testid: "history" });
  const cards = new Map<Hex, Card>();

  const render = () => {
    cards.clear();
    const open = app.history.filter(isOpen);
    replace(
      active,
      open.length === 0 ? h("p", { class: "empty" }, "No running rental.") : null,
      ...open.map((r) => (r.frozen ? disputeCard(app, r, cards) : card(app, r, cards))),
    );
    renderHistory(app, history);
  };
  app.onChange(render);
  render();

  const tick = async () => {
    const now = Date.now();
    // One block for every card: the quotes are computed at its timestamp, from the state it holds.
    const block = cards.size > 0 ? await app.chain.pub.getBlock() : undefined;
    await Promise.all(
      [...cards.values()].map(async (c) => {
        const r = c.rental;
        if (c.frozen) {
          await tickDispute(app, c);
          return;
        }
        const t = await app.chain.token(r.terms.token);
        try {
          const state = await app.chain.pub.readContract({
            address: app.chain.escrow,
            abi: escrowAbi,
            functionName: "rentalState",
            args: [r.id],
            blockNumber: block?.number ?? undefined,
          });
          const chainNow = block?.timestamp ?? BigInt(Math.floor(now / 1000));
          const q = quote(r.terms, state, chainNow);
          const left = Math.max(0, Number(q.endsAt - chainNow));
          c.fields.elapsed.textContent = duration(q.elapsed);
          c.fields.accrued.textContent = amount(q.accruedMax, t);
          c.fields.remaining.textContent = amount(q.remaining, t);
          c.fields.left.textContent = q.ended ? "ended" : duration(left);
          c.fields.end.textContent = dateTime(q.endsAt);
          c.fields.deposit.textContent = amount(r.deposit, t);
          const total = Number(q.endsAt) - r.terms.startedAt;
          const low = !q.ended && left < Math.min(LOW_BALANCE_SECONDS, Math.max(60, total / 10));
          c.fields.warning.hidden = !(low || q.ended);
          c.fields.warning.textContent = q.ended
            ? "The deposit is used up or the rental was stopped: settle it to get the unused part back."
            : `Low balance: ${duration(left)} left. Extend the deposit or the rental ends at ${dateTime(q.endsAt)}.`;
          c.fields.stop.textContent = q.ended ? "Settle" : "Stop and settle";
        } catch (e) {
          c.fields.warning.hidden = false;
          c.fields.warning.textContent = `Could not read the rental's quote: ${(e as Error).message}`;
        }
        if (now - c.usageAt >= 3000) {
          c.usageAt = now;
          const endpoint = app.market.endpointOf(r.terms.offerId);
          if (!endpoint) {
            c.fields.usage.textContent = "the provider has no oracle endpoint";
            return;
          }
          try {
            const u = await oracle.usage(endpoint, r.id);
            const up = u.elapsedSeconds > 0 ? (u.uptimeSeconds / u.elapsedSeconds) * 100 : 0;
            c.fields.uptime.textContent = `${up.toFixed(1)} % (${u.uptimeSeconds} s of ${u.elapsedSeconds} s)`;
            c.fields.util.textContent = pct(u.avgUtilBps);
            c.fields.usage.textContent = `last attestation #${u.lastSeq}`;
            const billed = BigInt(u.uptimeSeconds);
            const credit = slaCreditOf(
              costOf(r.terms.pricePerHour, billed),
              billed,
              BigInt(u.elapsedSeconds),
              r.terms.slaBps,
            );
            c.fields.slaCredit.textContent =
              credit > 0n ? `${amount(credit, t)} back if settled now` : "none (uptime meets the SLA)";
          } catch (e) {
            c.fields.usage.textContent = (e as Error).message;
          }
        }
      }),
    );
  };

  return {
    el: h(
      "section",
      {},
      h("h2", {}, "Running rentals"),
      active,
      h("h2", {}, "History and receipts"),
      history,
      h("h2", {}, "Withdrawable credit"),
      creditsView(app),
    ),
    tick,
  };
}

function card(app: App, r: Rental, cards: Map<Hex, Card>): HTMLElement {
  const offer = app.market.offers.get(r.terms.offerId);
  const f = (name: string) => h("span", { testid: `live-${name}` }, "…");
  const fields: Record<string, HTMLElement> = {
    elapsed: f("elapsed"),
    accrued: f("accrued"),
    remaining: f("remaining"),
    left: f("left"),
    end: f("end"),
    deposit: f("deposit"),
    uptime: f("uptime"),
    util: f("util"),
    slaCredit: f("sla-credit"),
    usage: h("small", { testid: "live-usage" }, ""),
    warning: h("div", { class: "warn", testid: "low-balance", hidden: true }),
    stop: h("button", { class: "primary", testid: "stop" }, "Stop and settle"),
  };
  cards.set(r.id, { rental: r, fields, usageAt: 0, frozen: false });

  const extendAmount = h("input", { type: "text", placeholder: "amount", testid: "extend-amount" });
  const extendBtn = h("button", { testid: "extend" }, "Extend");
  extendBtn.addEventListener("click", () => void busy(extendBtn, () => extend(app, r, extendAmount.value)));
  const stopBtn = fields.stop as HTMLButtonElement;
  const stopOnly = h("button", { testid: "stop-only", hidden: true }, "Stop without attestation");
  stopBtn.addEventListener("click", () => void busy(stopBtn, () => stopAndSettle(app, r, stopOnly)));
  stopOnly.addEventListener(
    "click",
    () =>
      void busy(stopOnly, async () => {
        if (await app.tx("Stop", { functionName: "stop", args: [r.terms] })) await app.refresh();
      }),
  );
  const accessOut = h("div", { class: "access", testid: "access" });
  const accessBtn = h("button", { testid: "access-request" }, "Access details");
  accessBtn.addEventListener("click", () => void busy(accessBtn, () => requestAccess(app, r, accessOut)));
  const disputeForm = h("div", { testid: "dispute-form", hidden: true });
  const disputeBtn = h("button", { testid: "dispute-open" }, "Open a dispute");
  disputeBtn.addEventListener(
    "click",
    () =>
      void busy(disputeBtn, async () => {
        disputeForm.hidden = !disputeForm.hidden;
        if (!disputeForm.hidden) await fillDisputeForm(app, r, disputeForm);
      }),
  );

  return h(
    "div",
    { class: "card rental", testid: "rental-card", "data-rental": r.id },
    h(
      "h3",
      {},
      `${offer?.model ?? "GPU"} · offer #${r.terms.offerId} · rental `,
      h("code", { title: r.id }, short(r.id)),
    ),
    h(
      "dl",
      { class: "live" },
      h("dt", {}, "Elapsed"),
      h("dd", {}, fields.elapsed),
      h("dt", {}, "Accrued (at most)"),
      h("dd", {}, fields.accrued),
      h("dt", {}, "Remaining deposit"),
      h("dd", {}, fields.remaining),
      h("dt", {}, "Deposit"),
      h("dd", {}, fields.deposit),
      h("dt", {}, "Time left"),
      h("dd", {}, fields.left),
      h("dt", {}, "Projected end"),
      h("dd", {}, fields.end),
      h("dt", {}, "GPU uptime (oracle)"),
      h("dd", {}, fields.uptime),
      h("dt", {}, "Utilization"),
      h("dd", {}, fields.util),
      h("dt", {}, "SLA"),
      h("dd", { testid: "live-sla" }, `${pct(r.terms.slaBps)} uptime`),
      h("dt", {}, "SLA credit"),
      h("dd", {}, fields.slaCredit),
    ),
    fields.usage,
    fields.warning,
    h(
      "div",
      { class: "actions" },
      field("Top up", extendAmount),
      extendBtn,
      stopBtn,
      stopOnly,
      accessBtn,
      disputeBtn,
    ),
    accessOut,
    disputeForm,
  );
}

/**
 * The form that opens a dispute, for the renter or the provider: evidence URI, the dispute bond and the
 * arbitrator's fee it will cost.
 */
export async function fillDisputeForm(app: App, r: Rental, el: HTMLElement): Promise<void> {
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
function disputeCard(app: App, r: Rental, cards: Map<Hex, Card>): HTMLElement {
  const offer = app.market.offers.get(r.terms.offerId);
  const d = r.dispute;
  const t = app.chain.tokens.get(r.terms.token);
  const fields: Record<string, HTMLElement> = {
    state: h("span", { testid: "dispute-state" }, "…"),
    execute: h("button", { class: "primary", testid: "dispute-execute", disabled: true }, "Execute the ruling"),
  };
  cards.set(r.id, { rental: r, fields, usageAt: 0, frozen: true });
  const execute = fields.execute as HTMLButtonElement;
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
  return h(
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
    h("div", { class: "dispute-state" }, fields.state),
    h("div", { class: "actions" }, execute),
  );
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
    const end = r.stop ? Math.min(r.stop.at, endsAt(r)) : endsAt(r);
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
async function tickDispute(app: App, c: Card): Promise<void> {
  const r = c.rental;
  const [d, block] = await Promise.all([app.chain.disputesRead.dispute([r.id]), app.chain.pub.getBlock()]);
  const state = c.fields.state;
  const execute = c.fields.execute as HTMLButtonElement;
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

async function extend(app: App, r: Rental, text: string): Promise<void> {
  const chain = app.chain;
  const token = await chain.token(r.terms.token);
  let value: bigint;
  try {
    value = parseAmount(text, token);
    if (value === 0n) throw new Error("enter an amount above zero");
  } catch (e) {
    app.fail("Extend", e);
    return;
  }
  const balance = await chain.balanceOf(token);
  if (balance < value) {
    notice(
      "error",
      `Extend: insufficient ${token.symbol} balance: you have ${amount(balance, token)}, need ${amount(value, token)}`,
    );
    return;
  }
  if (!token.native) {
    const allowance = await chain.allowance(token);
    if (allowance < value) {
      const ok = await app.tx(`Approve ${amount(value, token)}`, {
        address: token.address,
        abi: erc20Abi,
        functionName: "approve",
        args: [chain.escrow, value],
      });
      if (!ok) return;
    }
  }
  const ok = await app.tx(`Extend by ${amount(value, token)}`, {
    functionName: "extend",
    args: [r.terms, value],
    value: token.native ? value : undefined,
  });
  if (ok) await app.refresh();
}

async function stopAndSettle(app: App, r: Rental, stopOnly: HTMLElement): Promise<void> {
  const endpoint = app.market.endpointOf(r.terms.offerId);
  const n = notice("pending", "Stop: asking the provider's oracle for a fresh attestation…");
  let signed: oracle.SignedAttestation;
  try {
    if (!endpoint) throw new Error("the provider registered no oracle endpoint");
    signed = await oracle.freshAttestation(endpoint, r.id);
  } catch (e) {
    stopOnly.hidden = false;
    app.fail(
      "Stop: no attestation from the provider's oracle, so the rental cannot be settled now. " +
        "You can still stop it (billing ends now) and let a keeper settle it later",
      e,
      n,
    );
    return;
  }
  const receipt = await app.tx(
    "Stop and settle",
    { functionName: "stopAndSettle", args: [r.terms, oracle.onChainUsage(signed), signed.signature] },
    n,
  );
  if (receipt) await app.refresh();
}

async function requestAccess(app: App, r: Rental, out: HTMLElement): Promise<void> {
  const chain = app.chain;
  const endpoint = app.market.endpointOf(r.terms.offerId);
  if (!endpoint) {
    replace(out, h("div", { class: "warn" }, "The provider registered no oracle endpoint."));
    return;
  }
  replace(out);
  const n = notice("pending", "Access: sign the request in your wallet…");
  try {
    const ts = Math.floor(Date.now() / 1000);
    const message = oracle.accessMessage(chain.chainId, chain.escrow, r.id, ts);
    const signature = await chain.wallet.signMessage({ account: chain.account, message });
    n.set("pending", "Access: asking the provider's oracle…");
    const res = await oracle.access(endpoint, r.id, ts, signature);
    if (res.kind === "ready") {
      n.set("success", "Access: ready");
      replace(
        out,
        h("div", {}, "Connect with: ", h("code", { testid: "access-ssh" }, res.ssh)),
        h("div", {}, `host ${res.host}, port ${res.port}, user ${res.user}`),
        res.notes ? h("div", {}, res.notes) : null,
      );
    } else if (res.kind === "provisioning") {
      n.set("info", "Access: the provider's host is still being prepared");
      replace(
        out,
        h(
          "div",
          { class: "warn", testid: "access-provisioning" },
          `Still provisioning (attempt ${res.attempts ?? "?"}${res.lastError ? `, last error: ${res.lastError}` : ""}). Ask again in a moment.`,
        ),
      );
    } else {
      n.set("error", `Access: ${res.error}`);
      replace(out, h("div", { class: "warn", testid: "access-refused" }, res.error));
    }
  } catch (e) {
    app.fail("Access", e, n);
  }
}

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

function ratingCell(app: App, r: Rental): HTMLElement {
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

function renderHistory(app: App, el: HTMLElement): void {
  const rows = app.history;
  if (rows.length === 0) {
    replace(el, h("p", { class: "empty" }, "No rental yet."));
    return;
  }
  const receipts = () =>
    rows.map((r) => {
      const t = app.chain.tokens.get(r.terms.token)!;
      const o = app.market.offers.get(r.terms.offerId);
      const gpu = o ? `${o.model}, ${o.gpuCount} x ${o.vramGiB} GiB` : "";
      return receiptOf(r, t, gpu, o?.provider ?? "");
    });
  const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
  replace(
    el,
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          testid: "download-json",
          onclick: () =>
            download(`gpu-escrow-receipts-${stamp()}.json`, "application/json", JSON.stringify(receipts(), null, 2)),
        },
        "Download JSON",
      ),
      h(
        "button",
        {
          testid: "download-csv",
          onclick: () => download(`gpu-escrow-receipts-${stamp()}.csv`, "text/csv", toCsv(receipts())),
        },
        "Download CSV",
      ),
    ),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...[
            "Rental",
            "GPU",
            "Start",
            "End",
            "Billed",
            "Cost",
            "Fee",
            "SLA credit",
            "Refund",
            "Status",
            "Rating",
            "Transactions",
          ].map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        ...rows.map((r) => {
          const t = app.chain.tokens.get(r.terms.token);
          const fmt = (v: bigint) => (t ? amount(v, t) : v.toString());
          const o = app.market.offers.get(r.terms.offerId);
          const status = statusOf(r);
          const closed = !isOpen(r);
          const m = moneyOf(r);
          const txs: [string, Hex][] = [
            ["open", r.openTx],
            ...r.extensions.map((e): [string, Hex] => ["extend", e.tx]),
          ];
          if (r.stop) txs.push(["stop", r.stop.tx]);
          if (r.dispute) txs.push(["dispute", r.dispute.tx]);
          if (r.settled) txs.push(["settle", r.settled.tx]);
          if (r.refunded) txs.push(["refund", r.refunded.tx]);
          if (r.resolved) txs.push(["outcome", r.resolved.tx]);
          return h(
            "tr",
            { testid: "history-row", "data-rental": r.id, "data-status": status },
            h("td", {}, h("code", { title: r.id }, short(r.id))),
            h("td", {}, o ? `${o.model} (${o.gpuCount} × ${o.vramGiB} GiB)` : `offer #${r.terms.offerId}`),
            h("td", {}, dateTime(r.terms.startedAt)),
            h("td", {}, r.end !== undefined ? dateTime(r.end) : "—"),
            h("td", { testid: "history-billed" }, r.settled ? `${r.settled.billedSeconds} s` : "—"),
            h("td", { testid: "history-cost" }, closed ? fmt(m.cost) : "—"),
            h("td", { testid: "history-fee" }, closed ? fmt(m.fee) : "—"),
            h(
              "td",
              { testid: "history-sla-credit", title: `SLA ${pct(r.terms.slaBps)}` },
              r.settled ? fmt(m.slaCredit) : "—",
            ),
            h(
              "td",
              { testid: "history-refund" },
              closed ? fmt(m.refund) : "—",
              r.credited > 0n ? ` (${fmt(r.credited)} credited)` : "",
            ),
            h(
              "td",
              { testid: "history-status" },
              status,
              r.dispute?.outcome ? h("div", { testid: "history-dispute" }, disputeText(r)) : null,
            ),
            ratingCell(app, r),
            h("td", { class: "txs" }, ...txs.map(([label, hash]) => h("div", {}, `${label}: `, app.txLink(hash)))),
          );
        }),
      ),
    ),
  );
}
