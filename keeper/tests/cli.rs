//! The `gpu-keeper` binary end to end: `run` settles a due rental and stops cleanly on SIGTERM
//! with its cursor persisted; `status` and `reindex` read the same index, and `status` lists the
//! transactions still pending.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use alloy::hex;
use common::{KeeperMarket, HOUR};
use testkit::Market;

/// Kills the child if the test fails before it stops it.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            self.0.kill().ok();
            self.0.wait().ok();
        }
    }
}

fn keeper_cmd(m: &Market, index: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gpu-keeper"));
    cmd.args(["--rpc-url", &m.chain.anvil.endpoint()])
        .args(["--escrow", &m.escrow.to_string()])
        .args(["--index-path", index.to_str().unwrap()])
        .args(["--confirmations", "0"])
        .args(["--private-key", &hex::encode_prefixed(m.key(5).to_bytes())])
        .env("GPU_KEEPER_START_BLOCK", "0")
        .env("GPU_KEEPER_POLL_INTERVAL_MS", "100")
        .env("GPU_KEEPER_MIN_BALANCE_WEI", "0")
        .env("RUST_LOG", "warn");
    cmd
}

#[tokio::test]
async fn run_settles_then_stops_on_sigterm_and_status_reads_the_index() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.serve_final(&terms, HOUR, 0);
    m.chain.advance(2 * HOUR + 10).await;
    let index = m.dir.join("cli.sqlite");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Child(
        keeper_cmd(&m, &index)
            .args(["--metrics-addr", &format!("127.0.0.1:{port}"), "run"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while m.settled_counts().await.is_empty() {
        assert!(Instant::now() < deadline, "the keeper did not settle within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Metrics are served while it runs.
    let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("gpu_keeper_head_lag_blocks"), "{metrics}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "graceful shutdown exits 0: {status}");

    let out = keeper_cmd(&m, &index).arg("status").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("settled: 1"), "{text}");
    assert!(text.contains("pending transactions: 0"), "{text}");

    let out = keeper_cmd(&m, &index).arg("reindex").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8(out.stdout).unwrap().contains("1 rentals"));
}

#[tokio::test]
async fn a_missing_signer_is_a_clear_error() {
    let m = common::market().await;
    let out = Command::new(env!("CARGO_BIN_EXE_gpu-keeper"))
        .args(["--rpc-url", &m.chain.anvil.endpoint(), "status"])
        .env_remove("GPU_KEEPER_PRIVATE_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--private-key"), "{err}");
}

/// Waits until the keeper has recorded its transaction of `nonce` as pending in the index (right
/// after the node accepted it).
async fn wait_until_recorded_pending(index: &std::path::Path, nonce: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !keeper::index::Index::open(index)
        .unwrap()
        .txs_with(keeper::index::TxResult::Pending)
        .unwrap()
        .iter()
        .any(|tx| tx.nonce == nonce)
    {
        assert!(Instant::now() < deadline, "transaction #{nonce} was never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `status` lists the second batch (nonce 1, two rentals): recorded pending, still in the pool.
fn status_lists_the_pending_batch(m: &Market, index: &std::path::Path) {
    let out = keeper_cmd(m, index).arg("status").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("pending transactions: 1\n"), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains(" settleBatch nonce 1 rentals "))
        .unwrap_or_else(|| panic!("no pending settleBatch of nonce 1: {text}"));
    assert_eq!(
        line.rsplit(' ').next().unwrap().split(',').count(),
        2,
        "its two rentals: {line}"
    );
}

#[tokio::test]
async fn kill_9_in_the_middle_of_a_batch_then_a_restart_settles_everything_exactly_once() {
    use alloy::{
        primitives::U256,
        providers::{ext::AnvilApi, Provider},
    };
    use common::PRICE_PER_HOUR;
    use protocol::billing;

    let m = common::market().await;
    let rentals = m.open_many(6, HOUR, 1).await;
    for t in &rentals {
        m.serve_final(t, HOUR, 0);
    }
    m.chain.advance(2 * HOUR + 10).await;
    let index = m.dir.join("kill9.sqlite");
    let keeper = m.key(5).address();
    let pending = || async { m.chain.deployer.get_transaction_count(keeper).pending().await.unwrap() };
    let wait_for_pending = |n: u64| async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        while pending().await < n {
            assert!(Instant::now() < deadline, "the keeper never sent transaction #{n}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let spawn = || {
        Child(
            keeper_cmd(&m, &index)
                .args(["--batch-size", "2", "run"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };

    // Blocks are mined only on request, so the test decides what is in flight when the keeper dies.
    m.chain.deployer.anvil_set_auto_mine(false).await.unwrap();
    let mut first = spawn();
    wait_for_pending(1).await;
    m.chain.deployer.anvil_mine(Some(1), None).await.unwrap();
    // The first batch is mined; the keeper moves on and sends the second one.
    wait_for_pending(2).await;
    wait_until_recorded_pending(&index, 1).await;
    first.0.kill().unwrap(); // SIGKILL
    first.0.wait().unwrap();
    status_lists_the_pending_batch(&m, &index);
    // The second batch lands after its sender is gone.
    m.chain.deployer.anvil_mine(Some(1), None).await.unwrap();
    assert_eq!(
        m.settled_counts().await.len(),
        4,
        "two batches of 2 mined before the restart"
    );
    m.chain.deployer.anvil_set_auto_mine(true).await.unwrap();

    let mut second = spawn();
    let deadline = Instant::now() + Duration::from_secs(15);
    while m.settled_counts().await.len() < rentals.len() {
        assert!(
            Instant::now() < deadline,
            "the restarted keeper did not finish within 15 s"
        );
        assert!(matches!(second.0.try_wait(), Ok(None)), "the restarted keeper exited");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more rounds (100 ms apart) must send nothing more.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(matches!(second.0.try_wait(), Ok(None)), "the restarted keeper exited");
    second.0.kill().unwrap();
    second.0.wait().unwrap();

    let counts = m.settled_counts().await;
    assert_eq!(counts.len(), rentals.len());
    for t in &rentals {
        assert_eq!(counts[&protocol::rental_id(t)], 1, "each rental settled exactly once");
    }
    assert_eq!(
        m.chain.deployer.get_transaction_count(keeper).await.unwrap(),
        3,
        "three batches of 2, no transaction sent twice"
    );
    let price = U256::from(PRICE_PER_HOUR);
    let deposit = billing::deposit_for(price, HOUR);
    let one = billing::settle(price, rentals[0].feeBps, rentals[0].slaBps, deposit, 0, (HOUR, HOUR)).unwrap();
    let n = U256::from(rentals.len());
    let account = m.escrow_as(&m.renter).offerAccount(m.offer_id).call().await.unwrap();
    assert_eq!(U256::from(account.net), one.provider_net * n);
    assert_eq!(U256::from(account.fees), one.fee * n);
    assert_eq!(m.balance(m.renter.address()).await, one.refund * n);
}
