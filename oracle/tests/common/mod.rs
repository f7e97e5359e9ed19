//! The oracle's market (testkit's, with an offer of `gpu_count` GPUs at 3.60 USDC an hour and a
//! 90 % SLA) and `gpu-oracle run` for it.

#![allow(dead_code, unreachable_pub)]

use std::{path::Path, time::Duration};

use alloy::primitives::{aliases::U96, B256};
use oracle::client::request;
use protocol::SignedAttestation;
use testkit::{wait, GpuOracle, Market};

/// 3.6 USDC per hour: 1000 base units per second.
pub const PRICE_PER_HOUR: u64 = 3_600_000;

/// Deploys everything; the offer rents `gpu_count` GPUs at a time.
pub async fn market(gpu_count: u16) -> Market {
    Market::builder()
        .offer(|o| {
            o.gpuCount = gpu_count;
            o.pricePerHour = U96::from(PRICE_PER_HOUR);
            o.slaBps = 9_000;
        })
        .start()
        .await
}

/// `gpu-oracle run` serving `m`'s offer with 2 mock GPUs, an attestation a second, its
/// deployment file and state in `dir`.
pub fn oracle(m: &Market, dir: &Path) -> GpuOracle {
    let deployment = m.write_deployment(&dir.join("deployments"));
    GpuOracle::new(env!("CARGO_BIN_EXE_gpu-oracle"), m, &deployment, &dir.join("state"))
        .mock_gpus(2)
        .args(["--attest-interval-secs", "1"])
}

/// The latest attestation of `id`, if any.
pub fn get_attestation(url: &str, id: B256) -> Option<SignedAttestation> {
    match request(url, "GET", &format!("/v1/rentals/{id:#x}/attestation")) {
        Ok((200, body)) => Some(serde_json::from_str(&body).unwrap()),
        _ => None,
    }
}

/// Waits up to 20 s for the oracle at `url` to serve an attestation of `id`; returns it.
pub fn wait_for_attestation(url: &str, id: B256, log: &Path) -> SignedAttestation {
    wait::until(
        Duration::from_secs(20),
        || get_attestation(url, id),
        || format!("no attestation; log: {}", read(log)),
    )
}

/// The value of a metric sample whose labels include `label`.
pub fn metric(url: &str, name: &str, label: Option<(&str, &str)>) -> f64 {
    let (_, text) = request(url, "GET", "/metrics").unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .map_or_else(
            || panic!("{name} {label:?} missing:\n{text}"),
            |s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            },
        )
}

/// A log file's text, empty if it is missing.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
