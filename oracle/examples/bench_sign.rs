//! Signing throughput on one core: `cargo run --release -p gpu-oracle --example bench_sign [N]`.
//! Prints signatures per second for EIP-712 usage attestations (target ≥ 5,000/s).

#![allow(clippy::print_stdout, clippy::unwrap_used, missing_docs)]

use std::time::Instant;

use alloy::{
    primitives::{address, keccak256},
    signers::local::PrivateKeySigner,
};
use protocol::{gpu_model_hash, UsageAttestation};

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let signer: PrivateKeySigner = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
        .parse()
        .unwrap();
    let domain = protocol::domain(31_337, address!("5FbDB2315678afecb367f032d93F642f64180aa3"));
    let start = Instant::now();
    let mut last = None;
    for seq in 1..=n {
        let attestation = UsageAttestation {
            rentalId: keccak256(b"bench"),
            seq,
            periodEnd: 1_750_000_000 + seq,
            uptimeSeconds: seq,
            gpuModelHash: gpu_model_hash("NVIDIA H100 80GB HBM3"),
            energyJoules: seq * 700,
            avgUtilBps: 9_000,
            ..Default::default()
        };
        last = Some(attestation.sign(&signer, &domain).unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss)]
    let rate = n as f64 / secs;
    println!("signed {n} attestations in {secs:.3} s on one core: {rate:.0} signatures/s (target >= 5000)");
    // One machine-readable line for `make bench`'s table (tools/bench-report.js).
    println!(
        "BENCH_JSON {}",
        serde_json::json!({"bench": "oracle_sign", "signatures": n, "seconds": secs, "perSecond": rate})
    );
    assert!(last.is_some());
}
