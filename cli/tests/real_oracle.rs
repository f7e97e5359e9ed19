//! The renter's story against the real `gpu-oracle` (mock GPU, the repository's authorized_keys
//! hook writing into a temporary file): rent with a permit, access details once provisioned,
//! live uptime in `status`, `stop` with the oracle's fresh attestation, a receipt that adds up,
//! and access refused once the rental ended.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use alloy::primitives::U256;
use common::{amount, b256, Market};
use testkit::{process::build_bin, GpuOracle, GPU_MODEL, RENTER, RENTER_SSH_KEY as SSH_KEY};

#[tokio::test]
async fn renter_story_against_the_real_oracle() {
    // One block a second: chain time follows the clock the oracle measures with.
    let m = Market::setup_with(Some(1)).await;
    // gpu-oracle for offer 1 on a mock GPU, the authorized_keys hook writing into the test folder.
    let authorized_keys = m.path("authorized_keys");
    let log = m.path("oracle.log");
    let oracle = GpuOracle::new(
        build_bin("gpu-oracle", "gpu-oracle"),
        &m,
        &m.deployment_file,
        &m.path("oracle-state"),
    )
    .offer(1)
    .mock_model(GPU_MODEL)
    .args(["--attest-interval-secs", "2"])
    .authorized_keys_hook(&authorized_keys, 2222);
    m.provide_at(&oracle.url()).await;
    let _oracle = oracle.spawn(&log);

    // Rent one hour with a permit.
    m.mint_usdc(m.address(RENTER), 10_000_000).await;
    let opened = m
        .run(
            Some(RENTER),
            &[
                "--json",
                "rent",
                "1",
                "--hours",
                "1",
                "--pay",
                "permit",
                "--ssh-key",
                &m.ssh_key_arg(),
            ],
        )
        .await
        .json();
    let id = format!("{:#x}", b256(&opened["rentalId"]));

    // Access: provisioning first, then ready with the hook's details; the key is authorized.
    let deadline = Instant::now() + Duration::from_secs(30);
    let details = loop {
        let run = m.run(Some(RENTER), &["--json", "access", &id]).await;
        let answer = if run.ok {
            run.json()
        } else {
            assert!(run.stderr.contains("does not know rental"), "{}", run.stderr);
            serde_json::Value::Null
        };
        if answer["status"] == "ready" {
            break answer;
        }
        assert!(answer.is_null() || answer["status"] == "provisioning", "{answer}");
        assert!(
            Instant::now() < deadline,
            "never provisioned:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(details["ssh"], "ssh -p 2222 renter@127.0.0.1");
    let keys = std::fs::read_to_string(&authorized_keys).unwrap();
    let key_body = SSH_KEY.split_whitespace().nth(1).unwrap();
    assert!(keys.contains(key_body) && keys.contains(&id), "{keys}");
    let text = m.run(Some(RENTER), &["access", &id]).await.expect_ok().stdout;
    assert!(text.contains("ssh -p 2222 renter@127.0.0.1"), "{text}");

    // Live status with the oracle's measured uptime.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = m.run(None, &["--json", "status", &id]).await.json();
    assert_eq!(status["status"], "running");
    let uptime = status["oracle"]["usage"]["uptimeSeconds"].as_u64();
    assert!(uptime.is_some_and(|u| u > 0), "{status}");

    // Stop with the oracle's fresh attestation (verified locally), settled in one transaction.
    let settled = m.run(Some(RENTER), &["--json", "stop", &id]).await.json();
    let billed = settled["billedSeconds"].as_u64().unwrap();
    assert!(billed > 0 && billed < 120, "{settled}");
    let receipt = m.run(None, &["--json", "receipt", &id]).await.json();
    assert_eq!(receipt["status"], "settled");
    assert_eq!(
        amount(&receipt["providerNet"]) + amount(&receipt["fee"]) + amount(&receipt["refund"]),
        amount(&receipt["deposit"])
    );
    assert_eq!(amount(&receipt["deposit"]), U256::from(2_500_000));

    // Once the oracle sees the end, access is removed and the renter is told so.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let run = m.run(Some(RENTER), &["access", &id]).await;
        if !run.ok && run.stderr.contains("410") {
            assert!(run.stderr.contains("ended"), "{}", run.stderr);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "access still served after the end: {}",
            run.stdout
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
