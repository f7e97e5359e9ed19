//! The renter's story against the real `gpu-oracle` (mock GPU, the repository's authorized_keys
//! hook writing into a temporary file): rent with a permit, access details once provisioned,
//! live uptime in `status`, `stop` with the oracle's fresh attestation, a receipt that adds up,
//! and access refused once the rental ended.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::primitives::U256;
use common::{amount, b256, Market, ATTESTER, GPU_MODEL, RENTER, SSH_KEY};

/// Kills the oracle when the test ends, passed or not.
struct Oracle(Child);

impl Drop for Oracle {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `gpu-oracle` binary next to `gpu-escrow`, built first (a no-op when up to date).
fn oracle_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_gpu-escrow")).with_file_name("gpu-oracle");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "gpu-oracle"])
            .current_dir(repo_root())
            .status()
            .unwrap();
        assert!(status.success(), "cannot build gpu-oracle");
    }
    assert!(
        path.exists(),
        "{} missing: run `cargo build -p gpu-oracle`",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn healthy(url: &str, log: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if reqwest::get(format!("{url}/healthz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "gpu-oracle did not become healthy:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Starts gpu-oracle for offer 1 with a mock GPU and the authorized_keys hook writing into the
/// test folder; returns it with the authorized_keys file and its log.
async fn start_oracle(m: &Market, port: u16) -> (Oracle, PathBuf, PathBuf) {
    let url = format!("http://127.0.0.1:{port}");
    let hook = repo_root().join("hooks/authorized-keys.sh");
    let authorized_keys = m.path("authorized_keys");
    let log = m.path("oracle.log");
    let oracle = Oracle(
        Command::new(oracle_binary())
            .args(["run", "--rpc-url", &m.anvil.endpoint()])
            .args(["--deployment", m.deployment.to_str().unwrap()])
            .args(["--state-dir", m.path("oracle-state").to_str().unwrap()])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--dev-private-key", &m.key_hex(ATTESTER)])
            .args(["--mock-gpus", "1", "--mock-model", GPU_MODEL])
            .args(["--offer", "1=GPU-00000000-0000-4000-8000-000000000000"])
            .args([
                "--confirmations",
                "0",
                "--poll-interval-ms",
                "200",
                "--attest-interval-secs",
                "2",
            ])
            .args(["--provision-hook", hook.to_str().unwrap()])
            .args(["--teardown-hook", hook.to_str().unwrap()])
            .env("AUTHORIZED_KEYS_FILE", &authorized_keys)
            .env("ACCESS_USER", "renter")
            .env("ACCESS_HOST", "127.0.0.1")
            .env("ACCESS_PORT", "2222")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    healthy(&url, &log).await;
    (oracle, authorized_keys, log)
}

#[tokio::test]
async fn renter_story_against_the_real_oracle() {
    // One block a second: chain time follows the clock the oracle measures with.
    let m = Market::setup_with(Some(1)).await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    m.provide_at(&url).await;

    let (_oracle, authorized_keys, log) = start_oracle(&m, port).await;

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
