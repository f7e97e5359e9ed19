//! Settlement benchmark: opens N rentals on a fresh anvil that end together, serves their final
//! attestations from an in-process fake oracle, runs the keeper until all are settled, and prints
//! wall time, transactions, gas per rental (from receipts), keeper CPU time and peak RSS.
//!
//! `cargo run --release -p gpu-keeper --example bench_settle -- [RENTALS] [BATCH_SIZE]`
//! (defaults 1000 and 100). CPU and RSS are the whole process's (the fake oracle included).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{Market, HOUR};
use keeper::{Keeper, Metrics};

/// User + system CPU seconds of this process, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields after the command name: utime is the 12th, stime the 13th (0-based 11, 12).
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak resident set size in KiB, from /proc/self/status.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rentals: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let batch_size: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);

    let m = Market::setup_with(&["--gas-limit", "100000000"]).await;
    let setup = Instant::now();
    let opened = m.open_many(rentals, HOUR, 1).await;
    for terms in &opened {
        m.serve_final(terms, HOUR, 3);
    }
    println!("opened {rentals} rentals in {:.1} s", setup.elapsed().as_secs_f64());

    let mut settings = m.settings("bench.sqlite");
    settings.batch_size = batch_size;
    settings.max_log_range = 100_000;
    let mut keeper = Keeper::connect(settings, m.key(5), Metrics::new()).await.unwrap();
    keeper.sync().await.unwrap();
    m.advance(2 * HOUR + 10).await;

    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let mut settled = 0;
    let mut txs = 0;
    let mut gas = 0;
    let mut rounds = 0;
    while settled < rentals && rounds < 20 {
        let report = keeper.tick().await.unwrap();
        settled += report.settled;
        txs += report.txs;
        gas += report.gas_used;
        rounds += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    assert_eq!(settled, rentals, "not everything settled after {rounds} rounds");
    println!(
        "settled {settled} rentals in {wall:.2} s wall, {rounds} rounds, {txs} transactions (batch size {batch_size})"
    );
    println!("gas: {gas} total, {} per rental (receipts)", gas / settled as u64);
    println!(
        "process CPU during settlement: {cpu:.2} s; peak RSS {} MiB",
        peak_rss_kib() / 1024
    );
    // One machine-readable line for `make bench`'s table (tools/bench-report.js).
    println!(
        "BENCH_JSON {}",
        serde_json::json!({
            "bench": "keeper_settle", "rentals": settled, "batchSize": batch_size, "wallSeconds": wall,
            "rounds": rounds, "transactions": txs, "gasTotal": gas, "gasPerRental": gas / settled as u64,
            "cpuSeconds": cpu, "peakRssMiB": peak_rss_kib() / 1024
        })
    );
}
