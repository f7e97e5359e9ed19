#!/usr/bin/env node
// Prints the gas users pay per operation (named snapshots from `forge snapshot --isolate`, which equal anvil
// receipts) beside the published figures of two anchors doing the same job.
"use strict";
const fs = require("fs");
const path = require("path");

const dir = path.join(__dirname, "..", "snapshots");
const gas = {};
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".json"))) {
  Object.assign(gas, JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")));
}
const n = (k) => (gas[k] === undefined ? undefined : Number(gas[k]));
const fmt = (v) => (v === undefined ? "—" : v.toLocaleString("en-US"));

// Anchors (gas as published for the comparable calls).
const sablier = { create: 127027, deposit: 37028, withdraw: 45945, refund: 24785 };
const base = { authorize: 155657, capture: 69915, refund: 80064 };

const rows = [
  ["open (ERC-20, exact approve)", n("open"), "create + deposit " + fmt(sablier.create + sablier.deposit), "authorize " + fmt(base.authorize)],
  ["open with EIP-2612 permit", n("openWithPermit"), "", ""],
  ["open with native coin", n("openNative"), "", ""],
  ["extend (top up)", n("extend"), "deposit " + fmt(sablier.deposit), ""],
  ["stopAndSettle (renter: stop, pay, refund)", n("stopAndSettle"), "withdraw + refund " + fmt(sablier.withdraw + sablier.refund), "capture + refund " + fmt(base.capture + base.refund)],
  ["settle (keeper, after the window)", n("settle"), "", ""],
  ["checkpoint (pay a running rental)", n("checkpoint"), "withdraw " + fmt(sablier.withdraw), "capture " + fmt(base.capture)],
  ["settleBatch, per rental (10 per tx)", n("settleBatch_perRental"), "", ""],
  ["refund (no attestation by end + grace)", n("refund"), "", ""],
  ["claimEarnings (provider)", n("claimEarnings"), "", ""],
];
const lifecycle = n("open") !== undefined && n("stopAndSettle") !== undefined ? n("open") + n("stopAndSettle") : undefined;
rows.push([
  "lifecycle: open + stopAndSettle",
  lifecycle,
  fmt(sablier.create + sablier.deposit + sablier.withdraw + sablier.refund),
  fmt(base.authorize + base.capture + base.refund),
]);

const header = ["operation", "gpu-escrow (gas)", "Sablier Flow v2", "Base AuthCaptureEscrow"];
const table = [header, ...rows.map(([a, b, c, d]) => [a, fmt(b), c || "", d || ""])];
const widths = header.map((_, i) => Math.max(...table.map((r) => r[i].length)));
const line = (r) => "| " + r.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ") + " |";
console.log(line(table[0]));
console.log("|" + widths.map((w, i) => (i === 1 ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|");
for (const r of table.slice(1)) console.log(line(r));
console.log("\nTargets: open ≤ 85,000; settle ≤ 65,000; lifecycle ≤ 150,000 (gas, what the user pays).");
