// The renter's history table: every rental with its billed time, cost, fee, SLA credit, refund, status, dispute
// outcome, rating and transactions, and the receipts of all of them to download as JSON or CSV.
import type { Hex } from "viem";
import type { App } from "./app";
import { amount, dateTime, pct, short } from "./format";
import { ratingCell } from "./rating";
import { disputeText, download, moneyOf, receiptOf, toCsv } from "./receipts";
import { billedSeconds, isOpen, rentalEnd, statusOf } from "./rental";
import { h, replace } from "./ui";

/** Renders the history of `app.history` into `el`. */
export function renderHistory(app: App, el: HTMLElement): void {
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
            ["open", r.txs.open],
            ...r.txs.extend.map((tx): [string, Hex] => ["extend", tx]),
          ];
          if (r.txs.stop) txs.push(["stop", r.txs.stop]);
          if (r.dispute) txs.push(["dispute", r.dispute.tx]);
          const closedBy = { settled: "settle", refunded: "refund", resolved: "outcome" } as const;
          if (r.closure && r.txs.close) txs.push([closedBy[r.closure.kind], r.txs.close]);
          // A stopped rental is still running (not closed) until it is settled or refunded, billed up to its stop.
          const stoppedOpen = status === "running" ? r.stopped : null;
          return h(
            "tr",
            {
              testid: "history-row",
              "data-rental": r.id,
              "data-status": status,
              "data-stopped": r.stopped ? "true" : "false",
            },
            h("td", {}, h("code", { title: r.id }, short(r.id))),
            h("td", {}, o ? `${o.model} (${o.gpuCount} × ${o.vramGiB} GiB)` : `offer #${r.terms.offerId}`),
            h("td", {}, dateTime(r.terms.startedAt)),
            h("td", { testid: "history-end" }, closed ? dateTime(Number(rentalEnd(r))) : "—"),
            h("td", { testid: "history-billed" }, closed ? `${billedSeconds(r)} s` : "—"),
            h("td", { testid: "history-cost" }, closed ? fmt(m.cost) : "—"),
            h("td", { testid: "history-fee" }, closed ? fmt(m.fee) : "—"),
            h(
              "td",
              { testid: "history-sla-credit", title: `SLA ${pct(r.terms.slaBps)}` },
              r.closure?.kind === "settled" ? fmt(m.slaCredit) : "—",
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
              stoppedOpen
                ? h("div", { testid: "history-stopped" }, `stopped ${dateTime(stoppedOpen.at)}, due for settlement`)
                : null,
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
