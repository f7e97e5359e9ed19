// A running rental's card on the renter's page: the live numbers quoted from its terms and on-chain state, usage and
// the projected SLA credit from the provider's oracle, and its actions: top up (extend), stop and settle (or stop
// without an attestation), access details, opening a dispute.
import { erc20Abi, type Block } from "viem";
import { escrowAbi } from "./abi.generated";
import type { App } from "./app";
import { costOf, quote, slaCreditOf } from "./billing";
import { openDisputeControls } from "./disputes";
import { amount, dateTime, duration, parseAmount, pct, short } from "./format";
import * as oracle from "./oracle";
import type { Rental } from "./rental";
import { busy, field, h, notice, replace } from "./ui";

/** Below this much time left a running rental shows a warning (or a tenth of its length, if shorter). */
const LOW_BALANCE_SECONDS = 600;

/**
 * A card of the running-rentals list: its element, and `tick` to refresh it at `block` (read once for every card;
 * undefined when it could not be) and wall-clock time `now` (ms).
 */
export interface LiveCard {
  el: HTMLElement;
  tick(block: Block | undefined, now: number): Promise<void>;
}

export function runningRentalCard(app: App, r: Rental): LiveCard {
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
  let usageAt = 0;

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
  const dispute = openDisputeControls(app, r);

  const tick = async (block: Block | undefined, now: number): Promise<void> => {
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
      fields.elapsed.textContent = duration(q.elapsed);
      fields.accrued.textContent = amount(q.accruedMax, t);
      fields.remaining.textContent = amount(q.remaining, t);
      fields.left.textContent = q.ended ? "ended" : duration(left);
      fields.end.textContent = dateTime(q.endsAt);
      fields.deposit.textContent = amount(r.deposit, t);
      const total = Number(q.endsAt) - r.terms.startedAt;
      const low = !q.ended && left < Math.min(LOW_BALANCE_SECONDS, Math.max(60, total / 10));
      fields.warning.hidden = !(low || q.ended);
      fields.warning.textContent = q.ended
        ? "The deposit is used up or the rental was stopped: settle it to get the unused part back."
        : `Low balance: ${duration(left)} left. Extend the deposit or the rental ends at ${dateTime(q.endsAt)}.`;
      fields.stop.textContent = q.ended ? "Settle" : "Stop and settle";
    } catch (e) {
      fields.warning.hidden = false;
      fields.warning.textContent = `Could not read the rental's quote: ${(e as Error).message}`;
    }
    if (now - usageAt >= 3000) {
      usageAt = now;
      const endpoint = app.market.endpointOf(r.terms.offerId);
      if (!endpoint) {
        fields.usage.textContent = "the provider has no oracle endpoint";
        return;
      }
      try {
        const u = await oracle.usage(endpoint, r.id);
        const up = u.elapsedSeconds > 0 ? (u.uptimeSeconds / u.elapsedSeconds) * 100 : 0;
        fields.uptime.textContent = `${up.toFixed(1)} % (${u.uptimeSeconds} s of ${u.elapsedSeconds} s)`;
        fields.util.textContent = pct(u.avgUtilBps);
        fields.usage.textContent = `last attestation #${u.lastSeq}`;
        const billed = BigInt(u.uptimeSeconds);
        const credit = slaCreditOf(
          costOf(r.terms.pricePerHour, billed),
          billed,
          BigInt(u.elapsedSeconds),
          r.terms.slaBps,
        );
        fields.slaCredit.textContent =
          credit > 0n ? `${amount(credit, t)} back if settled now` : "none (uptime meets the SLA)";
      } catch (e) {
        fields.usage.textContent = (e as Error).message;
      }
    }
  };

  const el = h(
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
      dispute.button,
    ),
    accessOut,
    dispute.form,
  );
  return { el, tick };
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
