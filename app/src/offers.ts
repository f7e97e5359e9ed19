// The offers table (filters, sorting, the provider's on-chain reputation and the offer's SLA) and the rent form.
import {
  bytesToHex,
  erc20Abi,
  formatUnits,
  parseEventLogs,
  parseSignature,
  toHex,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { escrowAbi } from "./abi.generated";
import type { App } from "./app";
import { coveredSeconds } from "./billing";
import { permitAbi, type TokenInfo } from "./chain";
import { amount, duration, parseAmount, pct } from "./format";
import { averageRating, uptimeOf, type Offer, type Reputation } from "./market";
import { sshKeyToWire } from "./sshkey";
import { busy, field, h, notice, replace, type Notice } from "./ui";

type Sort = "price" | "price-desc" | "vram" | "reliability" | "rating" | "id";

function reputationOf(app: App, o: Offer): Reputation | undefined {
  return app.market.providers.get(o.provider)?.reputation;
}

/** "4.5 ★ (2)", or "not rated". */
export function ratingText(rep: Reputation | undefined): string {
  const avg = averageRating(rep);
  return avg === null ? "not rated" : `${avg.toFixed(1)} ★ (${rep!.ratingCount})`;
}

/** "99.2 %", or "no history" before the first settled rental. */
export function uptimeText(rep: Reputation | undefined): string {
  const up = uptimeOf(rep);
  return up === null ? "no history" : `${(up * 100).toFixed(1)} %`;
}

export function offersView(app: App, onRented: () => void): HTMLElement {
  const model = h("input", { type: "search", placeholder: "e.g. H100", testid: "filter-model" });
  const minVram = h("input", { type: "number", min: 0, placeholder: "GiB", testid: "filter-vram" });
  const maxPrice = h("input", { type: "number", min: 0, step: "any", placeholder: "per hour", testid: "filter-price" });
  const spot = h(
    "select",
    { testid: "filter-spot" },
    h("option", { value: "any" }, "spot and on-demand"),
    h("option", { value: "spot" }, "spot only"),
    h("option", { value: "on-demand" }, "on-demand only"),
  );
  const sort = h(
    "select",
    { testid: "sort" },
    h("option", { value: "price" }, "price, lowest first"),
    h("option", { value: "price-desc" }, "price, highest first"),
    h("option", { value: "vram" }, "VRAM, largest first"),
    h("option", { value: "reliability" }, "provider uptime, best first"),
    h("option", { value: "rating" }, "provider rating, best first"),
    h("option", { value: "id" }, "newest first"),
  );
  const table = h("div", { testid: "offers" });
  const panel = h("div", { class: "rent-panel" });

  const render = () => {
    const tokens = app.chain.tokens;
    const price = (o: Offer) => {
      const t = tokens.get(o.token);
      return t ? Number(formatUnits(o.pricePerHour, t.decimals)) : Number.POSITIVE_INFINITY;
    };
    let rows = [...app.market.offers.values()].filter((o) => !o.retired);
    const m = model.value.trim().toLowerCase();
    if (m) rows = rows.filter((o) => o.model.toLowerCase().includes(m));
    if (minVram.value) rows = rows.filter((o) => o.vramGiB >= Number(minVram.value));
    if (maxPrice.value) rows = rows.filter((o) => price(o) <= Number(maxPrice.value));
    if (spot.value !== "any") rows = rows.filter((o) => o.spot === (spot.value === "spot"));
    const by = sort.value as Sort;
    rows.sort((a, b) => {
      switch (by) {
        case "price":
          return price(a) - price(b);
        case "price-desc":
          return price(b) - price(a);
        case "vram":
          return b.vramGiB * b.gpuCount - a.vramGiB * a.gpuCount;
        case "reliability":
          return (uptimeOf(reputationOf(app, b)) ?? -1) - (uptimeOf(reputationOf(app, a)) ?? -1);
        case "rating":
          return (averageRating(reputationOf(app, b)) ?? -1) - (averageRating(reputationOf(app, a)) ?? -1);
        default:
          return Number(b.id - a.id);
      }
    });
    if (rows.length === 0) {
      replace(table, h("p", { class: "empty", testid: "no-offers" }, "No offer matches."));
      return;
    }
    replace(
      table,
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
              "#",
              "GPU",
              "VRAM",
              "GPUs",
              "Price / hour",
              "Region",
              "Type",
              "SLA",
              "Provider uptime",
              "Completed",
              "Disputes lost",
              "Rating",
              "",
            ].map((c) => h("th", {}, c)),
          ),
        ),
        h(
          "tbody",
          {},
          ...rows.map((o) => {
            const t = tokens.get(o.token);
            const rep = reputationOf(app, o);
            return h(
              "tr",
              { testid: "offer-row", "data-offer": o.id.toString() },
              h("td", {}, o.id.toString()),
              h("td", { testid: "offer-model" }, o.model),
              h("td", {}, `${o.vramGiB} GiB`),
              h("td", {}, o.gpuCount),
              h("td", { testid: "offer-price" }, t ? amount(o.pricePerHour, t) : "…"),
              h("td", {}, o.region),
              h("td", {}, o.spot ? "spot" : "on-demand"),
              h("td", { testid: "offer-sla" }, pct(o.slaBps)),
              h("td", { testid: "offer-uptime" }, uptimeText(rep)),
              h("td", { testid: "offer-completed" }, rep ? rep.rentalsCompleted.toString() : "…"),
              h(
                "td",
                { testid: "offer-disputes", title: rep ? `${rep.disputesOpened} opened, ${rep.slashes} slashes` : "" },
                rep ? `${rep.disputesLost} of ${rep.disputesOpened}` : "…",
              ),
              h("td", { testid: "offer-rating" }, ratingText(rep)),
              h(
                "td",
                {},
                o.suspended
                  ? h(
                      "span",
                      {
                        class: "badge",
                        testid: "offer-suspended",
                        title: "the provider's bond is below the minimum: no new rentals until it is topped up",
                      },
                      "suspended",
                    )
                  : h(
                      "button",
                      {
                        testid: "rent-open",
                        onclick: () => void rentForm(app, o, panel, onRented).catch((e) => app.fail("Rent", e)),
                      },
                      "Rent",
                    ),
              ),
            );
          }),
        ),
      ),
    );
  };
  for (const el of [model, minVram, maxPrice, spot, sort]) el.addEventListener("input", render);
  app.onChange(render);
  render();
  return h(
    "section",
    {},
    h("h2", {}, "Offers"),
    h(
      "div",
      { class: "filters" },
      field("GPU model", model),
      field("Min VRAM (GiB)", minVram),
      field("Max price / hour", maxPrice, "in the offer's token"),
      field("Type", spot),
      field("Sort", sort),
    ),
    table,
    panel,
  );
}

async function rentForm(app: App, o: Offer, panel: HTMLElement, onRented: () => void): Promise<void> {
  const chain = app.chain;
  const token = await chain.token(o.token);
  const { feeBps } = await chain.escrowRead.config();
  let permitOk = false;
  if (!token.native) {
    try {
      await chain.pub.readContract({
        address: token.address,
        abi: permitAbi,
        functionName: "nonces",
        args: [chain.account],
      });
      permitOk = true;
    } catch {
      permitOk = false;
    }
  }
  const mode = h(
    "select",
    { testid: "rent-mode" },
    h("option", { value: "fixed" }, "fixed duration"),
    h("option", { value: "open" }, "open-ended (until stopped or the deposit is used)"),
  );
  const hours = h("input", { type: "number", min: 0, step: "any", value: "1", testid: "rent-hours" });
  const depositIn = h("input", { type: "text", placeholder: `amount in ${token.symbol}`, testid: "rent-deposit" });
  const pay = h(
    "select",
    { testid: "rent-pay" },
    token.native
      ? h("option", { value: "native" }, `send ${token.symbol} with the transaction`)
      : h("option", { value: "approve" }, "approve the exact deposit, then open (2 transactions)"),
    !token.native && permitOk ? h("option", { value: "permit" }, "sign a permit, open in one transaction") : null,
  );
  // The escrow keeps undeliverable refunds as a withdrawable credit per token and cannot open a rental from it:
  // using it means withdrawing it to the wallet first, then paying the deposit from the wallet as usual.
  // Shown only while the renter has credit in the offer's token.
  const creditNow = () => chain.escrowRead.credit([chain.account, token.address]);
  const useCredit = h("input", { type: "checkbox", testid: "rent-use-credit" });
  const creditLabel = h("span", { testid: "rent-credit-label" });
  const creditField = h(
    "label",
    { class: "field", hidden: true },
    h("span", { class: "check" }, useCredit, creditLabel),
    h(
      "small",
      {},
      "two transactions: the escrow cannot open a rental from credit, so the credit (up to the deposit) is " +
        "withdrawn to your wallet first, then the rental opens from your wallet as chosen under Payment",
    ),
  );
  const sshKey = h("textarea", {
    rows: 2,
    placeholder: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA... you@laptop",
    testid: "rent-ssh",
  });
  const estimate = h("div", { class: "estimate", testid: "rent-estimate" });
  const submit = h("button", { class: "primary", testid: "rent-submit" }, "Rent");
  const hoursField = field("Hours", hours);
  const depositField = field(
    `Deposit (${token.symbol})`,
    depositIn,
    "the rental runs until you stop it or this is used up",
  );

  let deposit: bigint | null = null;
  const update = async () => {
    const fixed = mode.value === "fixed";
    hoursField.hidden = !fixed;
    depositField.hidden = fixed;
    deposit = null;
    try {
      if (fixed) {
        const secs = Math.round(Number(hours.value) * 3600);
        if (!(secs > 0) || secs > 0xffffffff) throw new Error("enter a number of hours above zero");
        deposit = await chain.escrowRead.quoteDeposit([o.id, secs]);
      } else {
        deposit = parseAmount(depositIn.value || "0", token);
        if (deposit === 0n) throw new Error("enter a deposit above zero");
      }
      const covers = coveredSeconds(o.pricePerHour, deposit);
      const [balance, bond, credit] = await Promise.all([
        chain.balanceOf(token),
        chain.disputesRead.bondOf([o.provider, o.token]),
        creditNow(),
      ]);
      creditField.hidden = credit === 0n;
      creditLabel.textContent = `Use my credit (${amount(credit, token)})`;
      const fromCredit = !useCredit.checked ? 0n : credit < deposit ? credit : deposit;
      replace(
        estimate,
        h("div", {}, "Deposit: ", h("strong", { testid: "rent-estimate-deposit" }, amount(deposit, token))),
        h("div", {}, `Pays for up to ${duration(covers)} at ${amount(o.pricePerHour, token)} per hour`),
        h(
          "div",
          { testid: "rent-fee" },
          `Protocol fee: ${pct(feeBps)} of the billed cost (included in the price; the provider receives the rest)`,
        ),
        h("div", {}, `You are billed per second of delivered GPU time; the unused deposit comes back when you stop.`),
        h(
          "div",
          { testid: "rent-sla" },
          `SLA ${pct(o.slaBps)} uptime: below it, settlement credits you 10 × the shortfall of the cost ` +
            `(e.g. 1 point short: 10 % back), at most 50 %.`,
        ),
        h(
          "div",
          { testid: "rent-bond" },
          `Provider bond: ${amount(bond.amount - bond.unbonding, token)}` +
            `${bond.unbonding > 0n ? ` (${amount(bond.unbonding, token)} more being unbonded)` : ""}; ` +
            `it answers for a wrong GPU, contradicting attestations and early termination.`,
        ),
        fromCredit > 0n
          ? h(
              "div",
              { testid: "rent-credit" },
              `Two transactions: 1. withdraw ${amount(fromCredit, token)} of your credit to your wallet; ` +
                `2. open the rental with the whole deposit from your wallet` +
                `${pay.value === "approve" ? " (the approval of the deposit, if needed, comes between them)" : ""}.`,
            )
          : null,
        h(
          "div",
          { class: balance + fromCredit < deposit ? "warn" : "" },
          `Your balance: ${amount(balance, token)}`,
          fromCredit > 0n ? ` (${amount(balance + fromCredit, token)} after the credit withdrawal)` : "",
        ),
        covers < BigInt(o.minDuration) || covers > BigInt(o.maxDuration)
          ? h(
              "div",
              { class: "warn" },
              `This offer rents for ${duration(o.minDuration)} to ${duration(o.maxDuration)}; the escrow will refuse this deposit.`,
            )
          : null,
      );
    } catch (e) {
      replace(estimate, h("div", { class: "warn" }, (e as Error).message));
    }
  };
  for (const el of [mode, hours, depositIn, pay, useCredit]) el.addEventListener("input", () => void update());

  /** Opens the rental with the whole deposit from the wallet, paid as chosen; null after reporting a failure. */
  const openRental = async (dep: bigint, accessKey: Hex, n: Notice): Promise<TransactionReceipt | null> => {
    const salt = toHex(crypto.getRandomValues(new Uint8Array(32)));
    const params = { offerId: o.id, deposit: dep, salt };
    if (pay.value === "native") {
      return app.tx("Rent", { functionName: "open", args: [params, accessKey], value: dep }, n);
    }
    if (pay.value === "approve") {
      const allowance = await chain.allowance(token);
      if (allowance < dep) {
        n.set("info", `Allowance is ${amount(allowance, token)}: approving exactly ${amount(dep, token)}`);
        const ok = await app.tx(`Approve ${amount(dep, token)}`, {
          address: token.address,
          abi: erc20Abi,
          functionName: "approve",
          args: [chain.escrow, dep],
        });
        if (!ok) {
          n.set("error", "Rent: not opened, the approval did not go through");
          return null;
        }
      }
      return app.tx("Rent", { functionName: "open", args: [params, accessKey] }, n);
    }
    const signed = await signPermit(app, token, dep).catch((e) => {
      app.fail("Rent: permit signature", e, n);
      return null;
    });
    if (!signed) return null;
    return app.tx(
      "Rent with permit",
      {
        functionName: "openWithPermit",
        args: [params, accessKey, signed.deadline, signed.v, signed.r, signed.s],
      },
      n,
    );
  };

  submit.addEventListener(
    "click",
    () =>
      void busy(submit, async () => {
        const n = notice("pending", "Rent: checking…");
        let accessKey: Hex;
        try {
          accessKey = bytesToHex(sshKeyToWire(sshKey.value));
        } catch (e) {
          n.set("error", `Rent: the SSH key is not usable: ${(e as Error).message}`);
          return;
        }
        await update();
        if (deposit === null) {
          n.set("error", "Rent: fix the deposit first");
          return;
        }
        const dep = deposit;
        const [balance, available] = await Promise.all([
          chain.balanceOf(token),
          useCredit.checked ? creditNow() : Promise.resolve(0n),
        ]);
        const fromCredit = available < dep ? available : dep;
        if (balance + fromCredit < dep) {
          n.set(
            "error",
            `Rent: insufficient ${token.symbol} balance: you have ${amount(balance, token)}` +
              `${fromCredit > 0n ? ` and ${amount(fromCredit, token)} of credit` : ""}, ` +
              `the deposit is ${amount(dep, token)}`,
          );
          return;
        }
        if (fromCredit > 0n) {
          n.set("info", `Rent: withdrawing ${amount(fromCredit, token)} of your credit to your wallet first`);
          const ok = await app.tx(`Withdraw ${amount(fromCredit, token)} of your credit`, {
            functionName: "withdraw",
            args: [token.address, fromCredit],
          });
          if (!ok) {
            n.set("error", "Rent: not opened, the credit withdrawal did not go through");
            return;
          }
        }
        const receipt = await openRental(dep, accessKey, n);
        if (!receipt) {
          if (fromCredit > 0n) {
            notice(
              "warning",
              `Rent: the ${amount(fromCredit, token)} withdrawn from your credit is in your wallet; renting again ` +
                `pays from there.`,
            );
            await app.refresh();
          }
          return;
        }
        const opened = parseEventLogs({ abi: escrowAbi, logs: receipt.logs, eventName: "RentalOpened" });
        const id = opened[0]?.args.rentalId;
        notice("success", `Rental ${id ?? ""} opened with a deposit of ${amount(dep, token)}.`);
        replace(panel);
        await app.refresh();
        onRented();
      }),
  );

  replace(
    panel,
    h(
      "div",
      { class: "card", testid: "rent-form" },
      h("h3", {}, `Rent offer #${o.id}: ${o.model}, ${o.gpuCount} × ${o.vramGiB} GiB, ${o.region}`),
      h("div", { class: "form" }, field("Duration", mode), hoursField, depositField, field("Payment", pay)),
      creditField,
      field("SSH public key", sshKey, "the provider's host installs it for your access; it is published on-chain"),
      estimate,
      h("div", { class: "actions" }, submit, h("button", { onclick: () => replace(panel) }, "Cancel")),
    ),
  );
  await update();
}

async function signPermit(app: App, token: TokenInfo, value: bigint) {
  const chain = app.chain;
  const nonce = await chain.pub.readContract({
    address: token.address,
    abi: permitAbi,
    functionName: "nonces",
    args: [chain.account],
  });
  let name: string;
  let version = "1";
  try {
    const d = await chain.pub.readContract({ address: token.address, abi: permitAbi, functionName: "eip712Domain" });
    name = d[1];
    version = d[2];
  } catch {
    name = await chain.pub.readContract({ address: token.address, abi: erc20Abi, functionName: "name" });
  }
  const block = await chain.pub.getBlock();
  const deadline = block.timestamp + 3600n;
  const signature = await chain.wallet.signTypedData({
    account: chain.account,
    domain: { name, version, chainId: chain.chainId, verifyingContract: token.address },
    types: {
      Permit: [
        { name: "owner", type: "address" },
        { name: "spender", type: "address" },
        { name: "value", type: "uint256" },
        { name: "nonce", type: "uint256" },
        { name: "deadline", type: "uint256" },
      ],
    },
    primaryType: "Permit",
    message: { owner: chain.account, spender: chain.escrow, value, nonce, deadline },
  });
  const sig = parseSignature(signature);
  const v = sig.v !== undefined ? Number(sig.v) : (sig.yParity ?? 0) + 27;
  return { deadline, v, r: sig.r, s: sig.s };
}
