#!/usr/bin/env node
// `make bench`'s report: the gas users pay per operation (named snapshots from `forge snapshot --isolate`, which
// equal anvil receipts) beside the published figures of two anchors doing the same job, then the keeper's and the
// oracle's measured figures (the `BENCH_JSON` lines their benchmark programs print), and the machine they ran on.
//
//   node tools/bench-report.js [RESULTS.jsonl] [--readme README.md]
//
// With --readme, the block between `<!-- bench:begin -->` and `<!-- bench:end -->` in that file is replaced by the
// same report, so the README always shows the latest figures and where they came from.
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

const args = process.argv.slice(2);
const readmeAt = args.indexOf("--readme");
const readme = readmeAt >= 0 ? args.splice(readmeAt, 2)[1] : undefined;
const resultsFile = args[0];

const fmt = (v, digits = 0) =>
  v === undefined ? "—" : Number(v).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(header, rows, numeric = []) {
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r) =>
    "| " + r.map((c, i) => (numeric.includes(i) ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (numeric.includes(i) ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

// --- gas -------------------------------------------------------------------------------------------------------
const snapshots = path.join(__dirname, "..", "snapshots");
const gas = {};
for (const file of fs.readdirSync(snapshots).filter((f) => f.endsWith(".json"))) {
  Object.assign(gas, JSON.parse(fs.readFileSync(path.join(snapshots, file), "utf8")));
}
const g = (k) => (gas[k] === undefined ? undefined : Number(gas[k]));
// Anchors (gas as published for the comparable calls).
const sablier = { create: 127027, deposit: 37028, withdraw: 45945, refund: 24785 };
const base = { authorize: 155657, capture: 69915, refund: 80064 };
const lifecycle = g("open") !== undefined && g("stopAndSettle") !== undefined ? g("open") + g("stopAndSettle") : undefined;
const gasRows = [
  ["open (ERC-20, exact approve)", g("open"), "create + deposit " + fmt(sablier.create + sablier.deposit), "authorize " + fmt(base.authorize)],
  ["open with EIP-2612 permit", g("openWithPermit"), "", ""],
  ["open with native coin", g("openNative"), "", ""],
  ["extend (top up)", g("extend"), "deposit " + fmt(sablier.deposit), ""],
  ["stopAndSettle (renter: stop, pay, refund)", g("stopAndSettle"), "withdraw + refund " + fmt(sablier.withdraw + sablier.refund), "capture + refund " + fmt(base.capture + base.refund)],
  ["settle (keeper, after the window)", g("settle"), "", ""],
  ["checkpoint (pay a running rental)", g("checkpoint"), "withdraw " + fmt(sablier.withdraw), "capture " + fmt(base.capture)],
  ["settleBatch, per rental (10 per tx)", g("settleBatch_perRental"), "", ""],
  ["refund (no attestation by end + grace)", g("refund"), "", ""],
  ["claimEarnings (provider)", g("claimEarnings"), "", ""],
  ["lifecycle: open + stopAndSettle", lifecycle, fmt(sablier.create + sablier.deposit + sablier.withdraw + sablier.refund), fmt(base.authorize + base.capture + base.refund)],
].map(([a, b, c, d]) => [a, fmt(b), c, d]);

const out = [];
out.push("### Gas (what users pay)\n");
out.push(table(["operation", "gpu-escrow (gas)", "Sablier Flow v2", "Base AuthCaptureEscrow"], gasRows, [1]));
out.push("\nTargets: open ≤ 85,000; settle ≤ 65,000; lifecycle ≤ 150,000. Gas does not depend on the machine.");

// Dispute paths (DisputeModule), off the happy path: what a provider, renter, arbitrator or prover pays.
const disputeRows = [
  ["bond (provider, adding to its bond)", g("bond")],
  ["openDispute (renter or provider; freezes the rental)", g("openDispute")],
  ["committee vote that reaches quorum and rules", g("rule_quorumVote")],
  ["executeRuling (anyone: split, dispute bond)", g("executeRuling")],
  ["proveEquivocation (anyone: refund, slash, bounty)", g("proveEquivocation")],
  ["rate (renter, once per closed rental)", g("rate")],
].filter(([, v]) => v !== undefined);
if (disputeRows.length) {
  out.push("\nDispute paths (`DisputeModule`, never on the happy path):\n");
  out.push(table(["operation", "gas"], disputeRows.map(([a, b]) => [a, fmt(b)]), [1]));
}

// --- keeper and oracle -------------------------------------------------------------------------------------------
const results = {};
if (resultsFile) {
  for (const line of fs.readFileSync(resultsFile, "utf8").split("\n")) {
    const m = line.match(/^BENCH_JSON (.*)$/);
    if (m) {
      const r = JSON.parse(m[1]);
      results[r.bench] = r;
    }
  }
}
const k = results.keeper_settle;
if (k) {
  out.push("\n### Keeper: batch settlement on anvil\n");
  out.push(
    table(
      ["what", "figure", "target"],
      [
        [`rentals indexed (${fmt(k.rentals)} opened, ending together)`, `${fmt(k.indexSeconds, 2)} s`, ""],
        ["rentals settled", `${fmt(k.rentals)} in ${fmt(k.wallSeconds, 2)} s (${k.rounds} round${k.rounds === 1 ? "" : "s"})`, ""],
        ["transactions", `${k.transactions} settleBatch of ${k.batchSize}`, ""],
        ["gas per rental (receipts)", fmt(k.gasPerRental), "≤ 40,000"],
        ["per 1,000 rentals: keeper time (index and settle)", `${fmt(k.secondsPer1000, 2)} s`, ""],
        ["per 1,000 rentals: keeper CPU", `${fmt(k.cpuSecondsPer1000, 2)} s`, ""],
        ["per 1,000 rentals: memory growth", `${fmt(k.rssGrowthMiBPer1000, 1)} MiB`, ""],
        ["peak RSS (keeper and the bench's attestation server)", `${fmt(k.peakRssMiB)} MiB`, ""],
      ],
      [1, 2],
    ),
  );
}
const s = results.oracle_sign;
const d = results.oracle_daemon;
if (s || d) {
  out.push("\n### Oracle\n");
  const rows = [];
  if (s) rows.push(["EIP-712 attestations signed per second, one core", fmt(s.perSecond), "≥ 5,000"]);
  if (d) {
    rows.push([`${d.gpus} mock GPUs at 1 Hz, ${d.rentals} rentals: CPU over ${fmt(d.wallSeconds)} s`, `${fmt(d.cpuPercentOfOneCore, 3)} % of one core`, "< 1 %"]);
    rows.push(["same run: peak RSS", `${fmt(d.peakRssMiB, 1)} MiB`, "< 30 MB"]);
  }
  out.push(table(["what", "figure", "target"], rows, [1, 2]));
}

// --- the machine -------------------------------------------------------------------------------------------------
const cpu = os.cpus()[0] ? os.cpus()[0].model.trim() : "unknown CPU";
const machine = `${os.cpus().length} × ${cpu}, ${fmt(os.totalmem() / 2 ** 30)} GiB RAM, ${os.type()} ${os.release()}`;
if (resultsFile) out.push(`\nMeasured ${new Date().toISOString().slice(0, 10)} on ${machine} (release builds).`);

const report = out.join("\n");
console.log(report);

if (readme) {
  const text = fs.readFileSync(readme, "utf8");
  const begin = "<!-- bench:begin -->";
  const end = "<!-- bench:end -->";
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) {
    console.error(`${readme}: no ${begin} … ${end} block to replace`);
    process.exit(1);
  }
  fs.writeFileSync(readme, text.slice(0, i + begin.length) + "\n" + report + "\n" + text.slice(j));
  console.error(`updated the benchmark block in ${readme}`);
}
