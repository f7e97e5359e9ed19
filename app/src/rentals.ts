// The renter's active rentals (live numbers from the escrow's quote, usage from the provider's oracle, extend,
// stop, access details) and the history of every rental with downloadable receipts.
import { erc20Abi, type Hex } from "viem";
import type { App } from "./app";
import { creditsView } from "./credits";
import { amount, dateTime, duration, parseAmount, pct, short } from "./format";
import { isOpen, type Rental } from "./indexer";
import * as oracle from "./oracle";
import { download, feeOf, receiptOf, toCsv } from "./receipts";
import { busy, field, h, notice, replace } from "./ui";

interface Quote {
  elapsed: bigint;
  accruedMax: bigint;
  paid: bigint;
  remaining: bigint;
  endsAt: bigint;
  ended: boolean;
}

/** Below this much time left a running rental shows a warning (or a tenth of its length, if shorter). */
const LOW_BALANCE_SECONDS = 600;

export function rentalsView(app: App): { el: HTMLElement; tick: () => Promise<void> } {
  const active = h("div", { testid: "active-rentals" });
  const history = h("div", { testid: "history" });
  const cards = new Map<Hex, { rental: Rental; fields: Record<string, HTMLElement>; usageAt: number }>();

  const render = () => {
    cards.clear();
    const open = app.history.filter(isOpen);
    replace(
      active,
      open.length === 0 ? h("p", { class: "empty" }, "No running rental.") : null,
      ...open.map((r) => card(app, r, cards)),
    );
    renderHistory(app, history);
  };
  app.onChange(render);
  render();

  const tick = async () => {
    const now = Date.now();
    await Promise.all(
      [...cards.values()].map(async (c) => {
        const r = c.rental;
        const t = await app.chain.token(r.terms.token);
        try {
          const q = await app.chain.read<Quote>("quote", [r.terms]);
          const chainNow = r.terms.startedAt + Number(q.elapsed);
          const left = Math.max(0, Number(q.endsAt) - chainNow);
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

function card(
  app: App,
  r: Rental,
  cards: Map<Hex, { rental: Rental; fields: Record<string, HTMLElement>; usageAt: number }>,
): HTMLElement {
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
    usage: h("small", { testid: "live-usage" }, ""),
    warning: h("div", { class: "warn", testid: "low-balance", hidden: true }),
    stop: h("button", { class: "primary", testid: "stop" }, "Stop and settle"),
  };
  cards.set(r.id, { rental: r, fields, usageAt: 0 });

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
    ),
    fields.usage,
    fields.warning,
    h("div", { class: "actions" }, field("Top up", extendAmount), extendBtn, stopBtn, stopOnly, accessBtn),
    accessOut,
  );
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
  const a = signed.attestation;
  const usage = {
    seq: BigInt(a.seq),
    periodEnd: BigInt(a.periodEnd),
    uptimeSeconds: BigInt(a.uptimeSeconds),
    gpuUuidsHash: a.gpuUuidsHash,
    energyJoules: BigInt(a.energyJoules),
    avgUtilBps: a.avgUtilBps,
  };
  const receipt = await app.tx(
    "Stop and settle",
    { functionName: "stopAndSettle", args: [r.terms, usage, signed.signature] },
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
          ...["Rental", "GPU", "Start", "End", "Billed", "Cost", "Fee", "Refund", "Status", "Transactions"].map((c) =>
            h("th", {}, c),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        ...rows.map((r) => {
          const t = app.chain.tokens.get(r.terms.token);
          const fmt = (v: bigint) => (t ? amount(v, t) : v.toString());
          const o = app.market.offers.get(r.terms.offerId);
          const cost = r.settled?.cost ?? (r.refunded ? r.deposit - r.refunded.refund : undefined);
          const refund = r.settled?.refund ?? r.refunded?.refund;
          const status = r.settled ? "settled" : r.refunded ? "refunded" : r.stop ? "stopped" : "running";
          const txs: [string, Hex][] = [
            ["open", r.openTx],
            ...r.extensions.map((e): [string, Hex] => ["extend", e.tx]),
          ];
          if (r.stop) txs.push(["stop", r.stop.tx]);
          if (r.settled) txs.push(["settle", r.settled.tx]);
          if (r.refunded) txs.push(["refund", r.refunded.tx]);
          return h(
            "tr",
            { testid: "history-row", "data-rental": r.id, "data-status": status },
            h("td", {}, h("code", { title: r.id }, short(r.id))),
            h("td", {}, o ? `${o.model} (${o.gpuCount} × ${o.vramGiB} GiB)` : `offer #${r.terms.offerId}`),
            h("td", {}, dateTime(r.terms.startedAt)),
            h("td", {}, r.end !== undefined ? dateTime(r.end) : "—"),
            h("td", { testid: "history-billed" }, r.settled ? `${r.settled.billedSeconds} s` : "—"),
            h("td", { testid: "history-cost" }, cost !== undefined ? fmt(cost) : "—"),
            h("td", { testid: "history-fee" }, r.settled ? fmt(feeOf(r.settled.cost, r.terms.feeBps)) : "—"),
            h(
              "td",
              { testid: "history-refund" },
              refund !== undefined ? fmt(refund) : "—",
              r.credited > 0n ? ` (${fmt(r.credited)} credited in the escrow)` : "",
            ),
            h("td", { testid: "history-status" }, status),
            h("td", { class: "txs" }, ...txs.map(([label, hash]) => h("div", {}, `${label}: `, app.txLink(hash)))),
          );
        }),
      ),
    ),
  );
}
