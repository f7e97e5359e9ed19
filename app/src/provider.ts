// The provider page: registration and oracle endpoint, reputation, bonds (post, request unbond, withdraw), offers
// (create, reprice, retire), earnings per offer with claimEarnings, the open rentals of its offers (open a dispute,
// add evidence to one), and withdrawable credit.
import { erc20Abi, getAddress, isAddress } from "viem";
import { escrowAbi } from "./abi.generated";
import type { App } from "./app";
import type { TokenInfo } from "./chain";
import { creditsView } from "./credits";
import { evidenceView, openDisputeControls } from "./disputes";
import { amount, dateTime, duration, parseAmount, pct, short } from "./format";
import { openRentalsOfOffers } from "./history";
import { eventAbi } from "./logs";
import { ratingText, uptimeText } from "./offers";
import { statusOf } from "./rental";
import { busy, field, h, notice, replace } from "./ui";

export function providerView(app: App): HTMLElement {
  const chain = app.chain;
  const registration = h("div", { testid: "provider-registration" });
  const offers = h("div", { testid: "provider-offers" });
  const bonds = h("div", { testid: "bonds" });
  const rentals = h("div", { testid: "provider-rentals" });
  const create = createOfferForm(app);

  const render = async () => {
    const me = app.market.providers.get(chain.account);
    if (!me) {
      const payout = h("input", { type: "text", value: chain.account, testid: "reg-payout" });
      const attester = h("input", { type: "text", value: chain.account, testid: "reg-attester" });
      const endpoint = h("input", {
        type: "url",
        placeholder: "https://gpu-host.example:7070",
        testid: "reg-endpoint",
      });
      const btn = h("button", { class: "primary", testid: "reg-submit" }, "Register");
      btn.addEventListener(
        "click",
        () =>
          void busy(btn, async () => {
            if (!isAddress(payout.value) || !isAddress(attester.value)) {
              notice("error", "Register: payout and attester must be addresses (0x…)");
              return;
            }
            const ok = await app.tx("Register as provider", {
              functionName: "registerProvider",
              args: [getAddress(payout.value), getAddress(attester.value), endpoint.value.trim()],
            });
            if (ok) await app.refresh();
          }),
      );
      replace(
        registration,
        h("p", {}, "This account is not a registered provider."),
        h(
          "div",
          { class: "form" },
          field("Payout address", payout),
          field("Attester (signs usage attestations)", attester),
          field("Oracle endpoint URL", endpoint, "where renters and keepers reach your gpu-oracle"),
        ),
        btn,
      );
      create.hidden = true;
    } else {
      const endpoint = h("input", { type: "url", value: me.endpoint, testid: "endpoint-input" });
      const btn = h("button", { testid: "endpoint-submit" }, "Update endpoint");
      btn.addEventListener(
        "click",
        () =>
          void busy(btn, async () => {
            if (
              await app.tx("Update oracle endpoint", { functionName: "setEndpoint", args: [endpoint.value.trim()] })
            ) {
              await app.refresh();
            }
          }),
      );
      replace(
        registration,
        h(
          "dl",
          { class: "grid" },
          h("dt", {}, "Payout"),
          h("dd", {}, h("code", {}, me.payout)),
          h("dt", {}, "Attester"),
          h("dd", {}, h("code", {}, me.attester)),
          h("dt", {}, "Oracle endpoint"),
          h("dd", { testid: "endpoint" }, me.endpoint),
          h("dt", {}, "Completed rentals"),
          h("dd", { testid: "rep-completed" }, me.reputation?.rentalsCompleted.toString() ?? "…"),
          h("dt", {}, "Uptime"),
          h("dd", { testid: "rep-uptime" }, uptimeText(me.reputation)),
          h("dt", {}, "Disputes (lost / opened)"),
          h(
            "dd",
            { testid: "rep-disputes" },
            me.reputation ? `${me.reputation.disputesLost} / ${me.reputation.disputesOpened}` : "…",
          ),
          h("dt", {}, "Slashes, terminations"),
          h("dd", {}, me.reputation ? `${me.reputation.slashes}, ${me.reputation.terminations}` : "…"),
          h("dt", {}, "Rating"),
          h("dd", { testid: "rep-rating" }, ratingText(me.reputation)),
        ),
        h("div", { class: "actions" }, field("Oracle endpoint", endpoint), btn),
      );
      create.hidden = false;
    }
    await Promise.all([renderBonds(app, bonds), renderOffers(app, offers), renderRentals(app, rentals)]);
  };
  app.onChange(() => void render().catch((e) => app.fail("Provider page", e)));
  void render().catch((e) => app.fail("Provider page", e));
  return h(
    "section",
    {},
    h("h2", {}, "Provider"),
    registration,
    h("h3", {}, "Bonds"),
    h(
      "p",
      { class: "hint" },
      "An offer needs a bond in its token (at least the minimum, not being unbonded). The bond answers for a " +
        "proven wrong GPU or contradicting attestations (slashed) and for terminating on-demand rentals (10 % of " +
        "the deposit to the renter). Unbonding takes a delay, and below the minimum needs your offers in that " +
        "token retired with no rental running.",
    ),
    bonds,
    create,
    h("h3", {}, "Your offers"),
    offers,
    h("h3", {}, "Rentals of your offers"),
    rentals,
    h("h3", {}, "Withdrawable credit"),
    creditsView(app),
  );
}

function createOfferForm(app: App): HTMLElement {
  const model = h("input", { type: "text", placeholder: "NVIDIA H100 80GB HBM3", testid: "co-model" });
  const vram = h("input", { type: "number", min: 1, value: "80", testid: "co-vram" });
  const count = h("input", { type: "number", min: 1, value: "1", testid: "co-count" });
  const token = h("select", { testid: "co-token" });
  const price = h("input", { type: "text", placeholder: "per hour", testid: "co-price" });
  const minMinutes = h("input", { type: "number", min: 1, value: "1", testid: "co-min" });
  const maxHours = h("input", { type: "number", min: 1, value: "168", testid: "co-max" });
  const spot = h("input", { type: "checkbox", testid: "co-spot" });
  const sla = h("input", { type: "number", min: 0, max: 100, step: "any", value: "99", testid: "co-sla" });
  const region = h("input", { type: "text", placeholder: "eu-west", testid: "co-region" });
  const capacity = h("input", { type: "number", min: 0, value: "1", testid: "co-capacity" });
  const btn = h("button", { class: "primary", testid: "co-submit" }, "Publish offer");
  let tokens: TokenInfo[] = [];
  void app.chain.knownTokens().then((list) => {
    tokens = list;
    replace(token, ...list.map((t) => h("option", { value: t.address }, t.native ? `${t.symbol} (native)` : t.symbol)));
  });
  btn.addEventListener(
    "click",
    () =>
      void busy(btn, async () => {
        const t = tokens.find((x) => x.address === token.value);
        if (!t) return;
        let pricePerHour: bigint;
        try {
          pricePerHour = parseAmount(price.value, t);
        } catch (e) {
          app.fail("Publish offer: price", e);
          return;
        }
        const params = {
          gpuModel: model.value.trim(),
          vramGiB: Number(vram.value),
          gpuCount: Number(count.value),
          token: t.address,
          pricePerHour,
          minDuration: Math.round(Number(minMinutes.value) * 60),
          maxDuration: Math.round(Number(maxHours.value) * 3600),
          spot: spot.checked,
          slaBps: Math.round(Number(sla.value) * 100),
          region: region.value.trim(),
          capacity: Number(capacity.value),
        };
        if (await app.tx("Publish offer", { functionName: "createOffer", args: [params] })) await app.refresh();
      }),
  );
  return h(
    "div",
    { class: "card", testid: "create-offer" },
    h("h3", {}, "Publish an offer"),
    h(
      "div",
      { class: "form" },
      field("GPU model (the NVML name the oracle reports)", model),
      field("VRAM per GPU (GiB)", vram),
      field("GPUs per rental", count),
      field("Token", token),
      field("Price per hour", price),
      field("Minimum rental (minutes)", minMinutes),
      field("Maximum rental (hours)", maxHours),
      field("Spot (you may reclaim at any time)", spot),
      field("SLA uptime (%)", sla),
      field("Region", region),
      field("Capacity (rentals at once)", capacity),
    ),
    btn,
  );
}

async function renderOffers(app: App, el: HTMLElement): Promise<void> {
  const chain = app.chain;
  const mine = [...app.market.offers.values()].filter((o) => o.provider === chain.account);
  if (mine.length === 0) {
    replace(el, h("p", { class: "empty" }, "No offer yet."));
    return;
  }
  const claimed = new Map<bigint, bigint>();
  const logs = await chain.pub.getLogs({
    address: chain.escrow,
    event: eventAbi(escrowAbi, "EarningsClaimed"),
    args: { provider: chain.account },
    fromBlock: BigInt(chain.dep.deployBlock),
    strict: true,
  });
  for (const l of logs) {
    claimed.set(l.args.offerId, (claimed.get(l.args.offerId) ?? 0n) + l.args.net);
  }
  const rows = await Promise.all(
    mine.map(async (o) => {
      const t = await chain.token(o.token);
      const acc = await chain.escrowRead.offerAccount([o.id]);
      const newPrice = h("input", { type: "text", placeholder: "new price", testid: "op-price" });
      const priceBtn = h("button", { testid: "op-price-submit" }, "Set price");
      priceBtn.addEventListener(
        "click",
        () =>
          void busy(priceBtn, async () => {
            let p: bigint;
            try {
              p = parseAmount(newPrice.value, t);
            } catch (e) {
              app.fail("Set price", e);
              return;
            }
            if (await app.tx(`Set the price of offer #${o.id}`, { functionName: "updatePrice", args: [o.id, p] })) {
              await app.refresh();
            }
          }),
      );
      const retire = h("button", { testid: "op-retire" }, "Retire");
      retire.addEventListener(
        "click",
        () =>
          void busy(retire, async () => {
            if (await app.tx(`Retire offer #${o.id}`, { functionName: "retireOffer", args: [o.id] }))
              await app.refresh();
          }),
      );
      const claim = h("button", { testid: "op-claim" }, "Claim earnings");
      claim.addEventListener(
        "click",
        () =>
          void busy(claim, async () => {
            if (await app.tx(`Claim the earnings of offer #${o.id}`, { functionName: "claimEarnings", args: [o.id] })) {
              await app.refresh();
            }
          }),
      );
      return h(
        "tr",
        { testid: "provider-offer", "data-offer": o.id.toString() },
        h("td", {}, o.id.toString()),
        h("td", {}, `${o.model} · ${o.gpuCount} × ${o.vramGiB} GiB · ${o.region} · ${o.spot ? "spot" : "on-demand"}`),
        h("td", { testid: "op-current-price" }, amount(o.pricePerHour, t)),
        h("td", {}, `${duration(o.minDuration)} – ${duration(o.maxDuration)}, SLA ${pct(o.slaBps)}`),
        h("td", {}, o.retired ? "retired" : `${acc.activeRentals} / ${o.capacity} rented`),
        h(
          "td",
          { testid: "op-record" },
          `${acc.completed} settled`,
          acc.secondsRented > 0
            ? `, ${((Number(acc.secondsUp) / Number(acc.secondsRented)) * 100).toFixed(1)} % up`
            : null,
        ),
        h("td", { testid: "op-accrued" }, amount(acc.net, t)),
        h("td", { testid: "op-claimed" }, amount(claimed.get(o.id) ?? 0n, t)),
        h(
          "td",
          {},
          h(
            "div",
            { class: "actions" },
            o.retired ? null : newPrice,
            o.retired ? null : priceBtn,
            o.retired ? null : retire,
            acc.net > 0n ? claim : null,
          ),
        ),
      );
    }),
  );
  replace(
    el,
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["#", "Offer", "Price / hour", "Terms", "Status", "Record", "Earned, unclaimed", "Claimed", ""].map((c) =>
            h("th", {}, c),
          ),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
  );
}

/**
 * The rentals of the provider's offers that are not closed: a dispute can be opened on one (same bond and fee as the
 * renter's), and a frozen one lists its dispute's evidence, to which the provider can add.
 */
async function renderRentals(app: App, el: HTMLElement): Promise<void> {
  const chain = app.chain;
  const ids = [...app.market.offers.values()].filter((o) => o.provider === chain.account).map((o) => o.id);
  const open = await openRentalsOfOffers(chain, ids);
  if (open.length === 0) {
    replace(el, h("p", { class: "empty" }, "No rental of your offers is running."));
    return;
  }
  const rows = await Promise.all(
    open.map(async (r) => {
      const t = await chain.token(r.terms.token);
      const status = statusOf(r);
      let action: HTMLElement;
      if (r.dispute) {
        action = evidenceView(app, r);
      } else {
        const dispute = openDisputeControls(app, r);
        action = h("div", {}, dispute.button, dispute.form);
      }
      return h(
        "tr",
        { testid: "provider-rental", "data-rental": r.id, "data-status": status },
        h("td", {}, h("code", { title: r.id }, short(r.id))),
        h("td", {}, `#${r.terms.offerId}`),
        h("td", {}, h("code", { title: r.terms.renter }, short(r.terms.renter))),
        h("td", {}, dateTime(r.terms.startedAt)),
        h("td", {}, amount(r.deposit, t)),
        h("td", { testid: "provider-rental-status" }, status),
        h("td", {}, action),
      );
    }),
  );
  replace(
    el,
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Rental", "Offer", "Renter", "Start", "Deposit", "Status", "Dispute"].map((c) => h("th", {}, c)),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
  );
}

/** One row per token: minimum, bonded, unbonding; post a bond (approving exactly the amount), unbond, withdraw. */
async function renderBonds(app: App, el: HTMLElement): Promise<void> {
  const chain = app.chain;
  const tokens = await chain.knownTokens();
  const rows = await Promise.all(
    tokens.map(async (t) => {
      const [b, min] = await Promise.all([
        chain.disputesRead.bondOf([chain.account, t.address]),
        chain.disputesRead.minBond([t.address]),
      ]);
      const active = b.amount - b.unbonding;
      const input = h("input", { type: "text", placeholder: `amount in ${t.symbol}`, testid: "bond-amount" });
      const parse = (label: string): bigint | null => {
        try {
          const v = parseAmount(input.value, t);
          if (v === 0n) throw new Error("enter an amount above zero");
          return v;
        } catch (e) {
          app.fail(label, e);
          return null;
        }
      };
      const bondBtn = h("button", { class: "primary", testid: "bond-submit" }, "Bond");
      bondBtn.addEventListener(
        "click",
        () =>
          void busy(bondBtn, async () => {
            const v = parse("Bond");
            if (v === null) return;
            const balance = await chain.balanceOf(t);
            if (balance < v) {
              notice(
                "error",
                `Bond: insufficient ${t.symbol} balance: you have ${amount(balance, t)}, the bond is ${amount(v, t)}`,
              );
              return;
            }
            if (!t.native && (await chain.allowance(t, chain.disputes)) < v) {
              const ok = await app.tx(`Approve ${amount(v, t)} for the bond`, {
                address: t.address,
                abi: erc20Abi,
                functionName: "approve",
                args: [chain.disputes, v],
              });
              if (!ok) return;
            }
            const ok = await app.tx(`Bond ${amount(v, t)}`, {
              address: "disputes",
              functionName: "bond",
              args: [t.address, v],
              value: t.native ? v : undefined,
            });
            if (ok) await app.refresh();
          }),
      );
      const unbondBtn = h("button", { testid: "unbond-submit" }, "Request unbond");
      unbondBtn.addEventListener(
        "click",
        () =>
          void busy(unbondBtn, async () => {
            const v = parse("Request unbond");
            if (v === null) return;
            const ok = await app.tx(`Request to unbond ${amount(v, t)}`, {
              address: "disputes",
              functionName: "requestUnbond",
              args: [t.address, v],
            });
            if (ok) await app.refresh();
          }),
      );
      const withdrawBtn = h("button", { testid: "bond-withdraw" }, "Withdraw bond");
      withdrawBtn.addEventListener(
        "click",
        () =>
          void busy(withdrawBtn, async () => {
            const ok = await app.tx(`Withdraw ${amount(b.unbonding, t)} of bond`, {
              address: "disputes",
              functionName: "withdrawBond",
              args: [t.address],
            });
            if (ok) await app.refresh();
          }),
      );
      const status =
        active < min
          ? h("span", { class: "warn" }, `below the minimum: no new offer in ${t.symbol}`)
          : h("span", {}, "enough for offers");
      return h(
        "tr",
        { testid: "bond-row", "data-symbol": t.symbol },
        h("td", {}, t.native ? `${t.symbol} (native)` : t.symbol),
        h("td", { testid: "bond-min" }, amount(min, t)),
        h("td", { testid: "bond-active" }, amount(active, t)),
        h(
          "td",
          { testid: "bond-unbonding" },
          b.unbonding > 0n ? `${amount(b.unbonding, t)}, withdrawable from ${dateTime(b.unbondableAt)}` : "—",
        ),
        h("td", { testid: "bond-disputes" }, b.openDisputes),
        h("td", { testid: "bond-status" }, status),
        h(
          "td",
          {},
          h(
            "div",
            { class: "actions" },
            input,
            bondBtn,
            b.amount > 0n ? unbondBtn : null,
            b.unbonding > 0n ? withdrawBtn : null,
          ),
        ),
      );
    }),
  );
  replace(
    el,
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Token", "Minimum", "Bonded", "Unbonding", "Open disputes", "Status", ""].map((c) => h("th", {}, c)),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
  );
}
