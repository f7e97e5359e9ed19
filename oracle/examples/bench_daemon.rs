//! Resource use of the oracle's steady state: `cargo run --release -p gpu-oracle --example
//! bench_daemon [SECONDS]` runs the sampler thread over 8 mock GPUs and the 1 Hz tick over 8
//! running rentals (one GPU each, an attestation every 10 s, each fsynced before signing) for
//! SECONDS (default 60) of wall time, then prints the process's CPU seconds and peak RSS
//! (targets: < 1 % of one core, < 30 MB). The chain follower is not included (one
//! `eth_blockNumber` per poll interval).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::too_many_lines,
    missing_docs
)]

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::{
    primitives::{address, aliases::U96, B256, U256},
    signers::local::PrivateKeySigner,
};
use oracle::{
    clock::{Clock, SystemClock},
    engine::{Engine, EngineConfig},
    gpu::{
        mock::{mock_uuid, FaultPlan, MockSource, DEFAULT_MOCK_MODEL},
        GpuSource, Sampler,
    },
    metrics::Metrics,
    store::Store,
};
use protocol::{chain::EscrowEvent, rental_id, LoggedEvent, RentalTerms};

fn proc_field(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime of this process, seconds (from /proc/self/stat, clock ticks of 100 Hz).
#[allow(clippy::cast_precision_loss)]
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let secs: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(60);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let signer = PrivateKeySigner::random();
    let mut source = MockSource::new(8, DEFAULT_MOCK_MODEL, FaultPlan::default(), clock.clone());
    let inventory = source.inventory().unwrap();
    let state = std::env::temp_dir().join(format!("gpu-oracle-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let pool: Vec<String> = (0..8).map(mock_uuid).collect();
    let mut engine = Engine::new(
        EngineConfig {
            chain_id: 31_337,
            escrow: address!("5FbDB2315678afecb367f032d93F642f64180aa3"),
            offers: BTreeMap::from([(1, (pool, 1))]),
            attest_interval_secs: 10,
            release_after_secs: 300,
            provisioning: false,
        },
        signer.clone(),
        Store::open(&state).unwrap(),
        inventory.gpus.clone(),
        Arc::new(Metrics::new("bench")),
    )
    .unwrap();
    let now = clock.now_secs();
    for i in 0..8u8 {
        let terms = RentalTerms {
            renter: address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            offerId: 1,
            pricePerHour: U96::from(3_600_000u64),
            attester: signer.address(),
            startedAt: alloy::primitives::aliases::U40::from(now),
            salt: B256::with_last_byte(i),
            ..Default::default()
        };
        engine
            .apply(&LoggedEvent {
                block_number: 1,
                block_hash: B256::ZERO,
                tx_hash: B256::ZERO,
                log_index: u64::from(i),
                event: EscrowEvent::RentalOpened {
                    rental_id: rental_id(&terms),
                    terms,
                    deposit: U256::from(3_600_000u64 * 24),
                    access_key: protocol::access_key::to_wire(
                        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK bench",
                    )
                    .unwrap()
                    .into(),
                },
            })
            .unwrap();
    }
    let engine = Arc::new(Mutex::new(engine));
    let sampler = Sampler::new(Box::new(source), clock.clone(), &inventory);
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    sampler.spawn(move |b| tx.blocking_send(b).is_ok()).unwrap();
    let recorder = {
        let engine = engine.clone();
        tokio::spawn(async move {
            while let Some(batch) = rx.recv().await {
                engine.lock().unwrap().record_samples(&batch);
            }
        })
    };
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut interval = tokio::time::interval(Duration::from_secs(1));
    while started.elapsed() < Duration::from_secs(secs) {
        interval.tick().await;
        let (engine, now) = (engine.clone(), clock.now_secs());
        tokio::task::spawn_blocking(move || engine.lock().unwrap().tick(now).unwrap())
            .await
            .unwrap();
    }
    recorder.abort();
    let cpu = cpu_seconds() - cpu_before;
    let wall = started.elapsed().as_secs_f64();
    let rss_kib = proc_field("/proc/self/status", "VmHWM:").unwrap_or(0);
    let signed: u64 = {
        let e = engine.lock().unwrap();
        e.rental_ids()
            .iter()
            .filter_map(|id| e.latest(*id))
            .map(|a| a.attestation.seq)
            .sum()
    };
    println!(
        "8 mock GPUs, 8 rentals, {wall:.1} s: CPU {cpu:.2} s ({:.3} % of one core; target < 1 %), peak RSS {:.1} MB (target < 30 MB), {signed} attestations signed",
        100.0 * cpu / wall,
        rss_kib as f64 / 1024.0
    );
    // One machine-readable line for `make bench`'s table (tools/bench-report.js).
    println!(
        "BENCH_JSON {}",
        serde_json::json!({
            "bench": "oracle_daemon", "gpus": 8, "rentals": 8, "wallSeconds": wall, "cpuSeconds": cpu,
            "cpuPercentOfOneCore": 100.0 * cpu / wall, "peakRssMiB": rss_kib as f64 / 1024.0, "signed": signed
        })
    );
    let _ = std::fs::remove_dir_all(&state);
}
