//! The real `gpu-oracle` binary against anvil: it follows the chain, serves attestations,
//! usage, health and metrics over HTTP, survives `kill -9` without ever signing two
//! contradicting attestations, counts the time it was dead as down, and signs a last
//! attestation on SIGTERM. Also: the start-up checks refuse a half-configured daemon.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    process::Command,
    time::{Duration, Instant},
};

use alloy::primitives::B256;
use common::{get_attestation, metric, read, wait_for_attestation};
use oracle::{client::request, gpu::mock::mock_uuid};
use protocol::{
    bindings::{DisputeModule::DisputeModuleErrors, GpuEscrow},
    rental_id, SignedAttestation,
};
use testkit::{free_port, gpu_oracle::mock_gpu_uuid, mined, Market, RunningOracle, TempDir, RENTER};

/// How long a SIGTERM'd oracle may take to sign, save and exit.
const EXIT_TIMEOUT: Duration = Duration::from_secs(15);

/// Polls the latest attestation for `secs` seconds, recording every one seen.
fn collect(url: &str, id: B256, secs: u64, seen: &mut Vec<SignedAttestation>) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(a) = get_attestation(url, id) {
            seen.push(a);
        }
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// No two attestations contradict: one content per seq, and nothing decreases with seq.
fn assert_consistent(seen: &[SignedAttestation]) {
    let mut by_seq: BTreeMap<u64, &SignedAttestation> = BTreeMap::new();
    for a in seen {
        if let Some(other) = by_seq.insert(a.attestation.seq, a) {
            assert_eq!(
                other.attestation, a.attestation,
                "two contents for seq {}",
                a.attestation.seq
            );
        }
    }
    for (x, y) in by_seq.values().zip(by_seq.values().skip(1)) {
        assert!(
            y.attestation.uptimeSeconds >= x.attestation.uptimeSeconds,
            "uptime decreased: {x:?} → {y:?}"
        );
        assert!(
            y.attestation.periodEnd >= x.attestation.periodEnd,
            "period end decreased"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_and_restart_never_equivocate_and_the_escrow_accepts_the_later_attestation() {
    let m = common::market(2).await;
    let dir = TempDir::new("kill9");
    let log = dir.join("oracle.log");
    let oracle = common::oracle(&m, dir.path());
    let first = oracle.spawn(&log);

    let terms = m.rent(3_600, 9).await;
    let id = rental_id(&terms);
    let url = first.url.clone();
    let mut seen = Vec::new();
    wait_for_attestation(&url, id, &log);
    collect(&url, id, 3, &mut seen);

    check_http_and_metrics(&url, id, &m);

    // kill -9: no chance to sign or save anything more.
    drop(first);
    let before_kill = seen.iter().map(|a| a.attestation.seq).max().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let mut second = oracle.spawn(&log);
    collect(&second.url, id, 3, &mut seen);
    let (status, body) = request(&second.url, "POST", &format!("/v1/rentals/{id:#x}/attestation")).unwrap();
    assert_eq!(status, 200, "{body}");
    let fresh: SignedAttestation = serde_json::from_str(&body).unwrap();
    seen.push(fresh.clone());
    assert_consistent(&seen);
    assert!(
        fresh.attestation.seq > before_kill,
        "the restarted oracle continues the seq"
    );
    let elapsed = fresh.attestation.periodEnd - terms.startedAt.to::<u64>();
    assert!(
        elapsed - fresh.attestation.uptimeSeconds >= 2,
        "the {} s the oracle was dead count as down: uptime {} of {elapsed}",
        3,
        fresh.attestation.uptimeSeconds
    );
    fresh.verify(&m.domain(), m.attester.address()).unwrap();

    // The escrow accepts the attestation signed after the restart.
    let (usage, signature) = fresh.onchain_usage();
    let receipt = mined(m.escrow_as(&m.renter).stopAndSettle(terms, usage, signature)).await;
    let settled = receipt.decoded_log::<GpuEscrow::RentalSettled>().unwrap();
    assert_eq!(settled.billedSeconds, fresh.attestation.uptimeSeconds);

    // SIGTERM: a clean exit that saves a last attestation.
    let status = second.process.terminate(EXIT_TIMEOUT);
    assert!(status.success(), "exit {status}; log: {}", read(&log));
    assert!(read(&log).contains("last attestations persisted and signed"));
}

fn check_http_and_metrics(url: &str, id: B256, m: &Market) {
    let (status, body) = request(url, "GET", &format!("/v1/rentals/{id:#x}/usage")).unwrap();
    assert_eq!(status, 200, "{body}");
    let usage: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(usage["uptimeSeconds"].as_u64().unwrap() > 0, "{usage}");
    assert_eq!(usage["offerId"], m.offer_id);
    assert_eq!(usage["gpus"], serde_json::json!([mock_uuid(0), mock_uuid(1)]));
    assert_eq!(
        request(url, "GET", &format!("/v1/rentals/{:#x}/usage", B256::ZERO))
            .unwrap()
            .0,
        404
    );
    assert_eq!(request(url, "GET", "/v1/rentals/not-an-id/attestation").unwrap().0, 400);

    let (status, text) = request(url, "GET", "/metrics").unwrap();
    assert_eq!(status, 200);
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    for name in [
        "DCGM_FI_DEV_GPU_UTIL",
        "DCGM_FI_DEV_POWER_USAGE",
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
        "DCGM_FI_DEV_FB_USED",
        "DCGM_FI_DEV_GPU_TEMP",
    ] {
        let samples: Vec<_> = scrape.samples.iter().filter(|s| s.metric == name).collect();
        assert_eq!(samples.len(), 2, "{name}: one series per GPU\n{text}");
        for s in samples {
            for label in ["gpu", "UUID", "modelName", "Hostname"] {
                assert!(s.labels.get(label).is_some(), "{name} lacks label {label}");
            }
            assert_eq!(s.labels.get("modelName"), Some(testkit::GPU_MODEL));
        }
    }
    let value = |name: &str| metric(url, name, None);
    assert!(value("gpu_oracle_attestations_signed_total") >= 1.0);
    assert!((value("gpu_oracle_active_rentals") - 1.0).abs() < f64::EPSILON);
    assert!(value("gpu_oracle_chain_last_block") >= 1.0);
    assert!(text.contains("gpu_oracle_sample_duration_seconds_bucket"));
}

fn run_expecting_failure(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gpu-oracle"))
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "expected failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn start_up_refuses_a_key_that_is_not_the_offers_attester_and_unknown_gpus() {
    let m = common::market(1).await;
    let dir = TempDir::new("startup");
    let oracle = common::oracle(&m, dir.path());
    let deployment = m.write_deployment(&dir.join("deployments"));
    let args = oracle.clone().key(&m.chain.key_hex(RENTER)).command_args();
    let err = run_expecting_failure(&args);
    assert!(
        err.contains("is not the attester of offer") && err.contains("setOfferAttester"),
        "{err}"
    );

    let mut args = oracle.command_args();
    let offer = args.iter().position(|a| a == "--offer").unwrap() + 1;
    args[offer] = format!("{}=GPU-not-here", m.offer_id);
    let err = run_expecting_failure(&args);
    assert!(
        err.contains("GPU-not-here") && err.contains("is not on this host"),
        "{err}"
    );

    let mut args = oracle.command_args();
    let rpc = args.iter().position(|a| a == "--rpc-url").unwrap() + 1;
    args[rpc] = format!("http://127.0.0.1:{}", free_port());
    let err = run_expecting_failure(&args);
    assert!(err.contains("cannot reach the RPC"), "{err}");

    let other_chain: PathBuf = dir.join("deployments/other.json");
    protocol::Deployment {
        chain_id: 1,
        ..m.deployment()
    }
    .save(&other_chain)
    .unwrap();
    let mut args = oracle.command_args();
    let esc = args.iter().position(|a| a == "--deployment").unwrap() + 1;
    args[esc] = other_chain.to_str().unwrap().to_owned();
    let err = run_expecting_failure(&args);
    assert!(err.contains("is chain 31337") && err.contains("for chain 1"), "{err}");

    let esc = args.iter().position(|a| a == "--deployment").unwrap() + 1;
    args[esc] = deployment.to_str().unwrap().to_owned();
    args.extend(["--escrow".to_owned(), format!("{:#x}", m.renter.address())]);
    let err = run_expecting_failure(&args);
    assert!(err.contains("no contract code at the escrow address"), "{err}");
}

#[test]
fn without_nvml_and_without_mock_it_says_how_to_fix_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_gpu-oracle"))
        .arg("gpus")
        .output()
        .unwrap();
    if out.status.success() {
        return; // a machine with a real NVIDIA driver
    }
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("libnvidia-ml.so.1") && err.contains("--mock-gpus"),
        "{err}"
    );
}

/// Stops the oracle with SIGTERM and checks its clean exit.
fn terminate(mut oracle: RunningOracle) {
    let status = oracle.process.terminate(EXIT_TIMEOUT);
    assert!(status.success(), "exit {status}; log: {}", oracle.process.log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_oracle_across_restarts_never_signs_a_pair_the_dispute_module_can_slash() {
    let m = common::market(2).await;
    let dir = TempDir::new("no-equivocation");
    let log = dir.join("oracle.log");
    let run = common::oracle(&m, dir.path());
    let mut oracle = run.spawn(&log);
    let terms = m.rent(3_600, 11).await;
    let id = rental_id(&terms);
    wait_for_attestation(&oracle.url, id, &log);

    // Every attestation served, across kill -9 and SIGTERM restarts on the same state directory,
    // plus one signed on demand right after each start.
    let mut seen = Vec::new();
    for restart in 0..4 {
        let (status, body) = request(&oracle.url, "POST", &format!("/v1/rentals/{id:#x}/attestation")).unwrap();
        assert_eq!(status, 200, "{body}");
        seen.push(serde_json::from_str(&body).unwrap());
        collect(&oracle.url, id, 2, &mut seen);
        if restart % 2 == 0 {
            drop(oracle);
        } else {
            terminate(oracle);
        }
        oracle = run.spawn(&log);
    }
    collect(&oracle.url, id, 2, &mut seen);

    let mut distinct: Vec<SignedAttestation> = Vec::new();
    for a in seen {
        if !distinct.iter().any(|d| d.attestation == a.attestation) {
            distinct.push(a);
        }
    }
    assert!(
        distinct.len() >= 5,
        "too few attestations to compare: {}",
        distinct.len()
    );
    for (i, a) in distinct.iter().enumerate() {
        for b in &distinct[i + 1..] {
            assert!(
                !a.attestation.contradicts(&b.attestation),
                "contradicting pair: {a:?} and {b:?}"
            );
        }
    }

    // The dispute module agrees for every pair: none proves equivocation.
    let module = m.disputes_as(&m.renter);
    let dispute_terms = protocol::bindings::DisputeModule::RentalTerms::from(&terms);
    for (i, a) in distinct.iter().enumerate() {
        for b in &distinct[i + 1..] {
            let ((usage_a, sig_a), (usage_b, sig_b)) = (a.onchain_usage(), b.onchain_usage());
            let Err(err) = module
                .proveEquivocation(
                    dispute_terms.clone(),
                    (&usage_a).into(),
                    sig_a,
                    (&usage_b).into(),
                    sig_b,
                )
                .call()
                .await
            else {
                panic!(
                    "seq {} / {}: an honest pair proved equivocation",
                    a.attestation.seq, b.attestation.seq
                );
            };
            assert!(
                matches!(
                    err.as_decoded_interface_error::<DisputeModuleErrors>(),
                    Some(DisputeModuleErrors::DisputeModule_NotContradictory(_))
                ),
                "seq {} / {}: {err}",
                a.attestation.seq,
                b.attestation.seq
            );
        }
    }

    // The check has teeth: the same key signing a lower uptime for a later seq would be slashed.
    let latest = distinct.iter().max_by_key(|a| a.attestation.seq).unwrap();
    let forged = protocol::UsageAttestation {
        seq: latest.attestation.seq + 1,
        uptimeSeconds: latest.attestation.uptimeSeconds - 1,
        ..latest.attestation.clone()
    }
    .sign(&m.attester, &m.domain())
    .unwrap();
    let ((usage_a, sig_a), (usage_b, sig_b)) = (latest.onchain_usage(), forged.onchain_usage());
    module
        .proveEquivocation(dispute_terms, (&usage_a).into(), sig_a, (&usage_b).into(), sig_b)
        .call()
        .await
        .expect("a contradicting pair is provable");
    drop(oracle);
}

#[test]
fn testkit_names_the_mock_gpus_as_the_oracle_does() {
    for i in [0, 1, 7, 12] {
        assert_eq!(mock_gpu_uuid(i), mock_uuid(i));
    }
    assert_eq!(testkit::MOCK_GPU, mock_uuid(0));
}
