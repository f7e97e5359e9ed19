//! Settlement benchmark: opens N rentals on a fresh anvil that end together (sent without waiting
//! for each receipt, mined in few blocks), serves their final attestations from an in-process fake
//! oracle, starts a keeper that indexes them and runs it until all are settled, and prints the
//! time it took to index and to settle, transactions, gas per rental (from receipts), and the
//! keeper's CPU time and memory, in all and per 1,000 rentals.
//!
//! `cargo run --release -p gpu-keeper --example bench_settle -- [RENTALS] [BATCH_SIZE]`
//! (defaults 10000 and 100). CPU and memory are the whole process's (the fake oracle included):
//! CPU from `/proc/self/stat`, memory from `/proc/self/status`, its peak reset just before the
//! keeper starts (`/proc/self/clear_refs`), so the growth is the keeper's work.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::{KeeperMarket, HOUR};
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

/// A size in KiB from /proc/self/status (`VmRSS`: now, `VmHWM`: the peak).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Resets the peak resident set size (`VmHWM`) to the current one; `false` where the kernel
/// does not allow it (the peak then covers the setup too).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rentals: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let batch_size: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);

    let m = common::market_with(&["--gas-limit", "100000000"]).await;
    let setup = Instant::now();
    let opened = m.open_pipelined(m.offer_id, rentals as u64, HOUR, 1).await;
    for terms in &opened {
        m.serve_final(terms, HOUR, 3);
    }
    let open_seconds = setup.elapsed().as_secs_f64();
    println!("opened {rentals} rentals in {open_seconds:.1} s");

    let mut settings = m.settings("bench.sqlite");
    settings.batch_size = batch_size;
    settings.max_log_range = 100_000;
    m.chain.advance(2 * HOUR + 10).await;

    let peak_reset = reset_peak_rss();
    let rss_before = status_kib("VmRSS");
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let mut keeper = Keeper::connect(settings, m.key(5), Metrics::new()).await.unwrap();
    keeper.sync().await.unwrap();
    let index_seconds = start.elapsed().as_secs_f64();
    let settling = Instant::now();
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
    let wall = settling.elapsed().as_secs_f64();
    let keeper_seconds = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    let peak = status_kib("VmHWM");
    assert_eq!(settled, rentals, "not everything settled after {rounds} rounds");
    let thousands = settled as f64 / 1_000.0;
    let growth = mib(peak.saturating_sub(rss_before));
    println!("indexed {rentals} rentals in {index_seconds:.2} s");
    println!("settled {settled} in {wall:.2} s wall, {rounds} rounds, {txs} transactions (batch size {batch_size})");
    println!("gas: {gas} total, {} per rental (receipts)", gas / settled as u64);
    println!(
        "per 1,000 rentals, indexing and settling: {:.2} s wall, {:.2} s CPU, {:.1} MiB more memory",
        keeper_seconds / thousands,
        cpu / thousands,
        growth / thousands
    );
    println!(
        "process: {cpu:.2} s CPU; peak RSS {:.0} MiB from {:.0} MiB before the keeper{}",
        mib(peak),
        mib(rss_before),
        if peak_reset {
            ""
        } else {
            " (peak not reset: it covers the setup too)"
        }
    );
    // One machine-readable line for `make bench`'s table (tools/bench-report.js).
    println!(
        "BENCH_JSON {}",
        serde_json::json!({
            "bench": "keeper_settle", "rentals": settled, "batchSize": batch_size, "openSeconds": open_seconds,
            "indexSeconds": index_seconds, "wallSeconds": wall, "rounds": rounds, "transactions": txs,
            "gasTotal": gas, "gasPerRental": gas / settled as u64, "cpuSeconds": cpu,
            "peakRssMiB": mib(peak).round(), "secondsPer1000": keeper_seconds / thousands,
            "cpuSecondsPer1000": cpu / thousands, "rssGrowthMiBPer1000": growth / thousands,
            "peakReset": peak_reset
        })
    );
}
