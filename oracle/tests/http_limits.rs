//! The oracle's HTTP API is public, so its server is bounded: connections beyond the cap are
//! closed as soon as they are accepted and hold no descriptor, a connection that sends no request
//! is closed after the header read timeout, and neither the API's answers nor the signing stop
//! while a client floods it with idle connections. The real `gpu-oracle` binary against anvil.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::{
    path::Path,
    time::{Duration, Instant},
};

use alloy::primitives::B256;
use common::{read, wait_for_attestation};
use oracle::client::request;
use protocol::rental_id;
use testkit::{GpuOracle, Market, TempDir};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

const CAP: usize = 32;
const FLOOD: usize = 200;
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// The test oracle with a small connection cap and a 1 s header read timeout.
fn bounded(m: &Market, dir: &Path) -> GpuOracle {
    common::oracle(m, dir).args([
        "--http-max-connections",
        &CAP.to_string(),
        "--http-header-read-timeout-secs",
        &HEADER_TIMEOUT.as_secs().to_string(),
    ])
}

/// Open file descriptors of process `pid`.
fn descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count()
}

/// Waits until the oracle closes `stream` (EOF or reset) and returns when, at most `limit` later.
async fn closed_by_server(mut stream: TcpStream, limit: Duration) -> Option<Instant> {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return Instant::now(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// The latest attestation's seq, asked until the API answers.
async fn latest_seq(url: &str, id: B256, log: &Path) -> u64 {
    let (url, log) = (url.to_owned(), log.to_owned());
    tokio::task::spawn_blocking(move || wait_for_attestation(&url, id, &log))
        .await
        .unwrap()
        .attestation
        .seq
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_costs_no_descriptors_beyond_the_cap_and_stops_neither_answers_nor_signing() {
    let m = common::market(2).await;
    let dir = TempDir::new("http-flood");
    let log = dir.join("oracle.log");
    let oracle = bounded(&m, dir.path()).spawn(&log);
    let host = oracle.url.strip_prefix("http://").unwrap().to_owned();
    let pid = oracle.process.pid();
    let id = rental_id(&m.rent(3_600, 21).await);
    let seq_before = latest_seq(&oracle.url, id, &log).await;
    let baseline = descriptors(pid);

    // FLOOD connections that never send a byte, all held open by this client.
    let start = Instant::now();
    let mut flood = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        let stream = TcpStream::connect(&host).await.unwrap();
        flood.push(tokio::spawn(closed_by_server(stream, HEADER_TIMEOUT * 5)));
    }

    // Meanwhile the oracle holds at most the cap's descriptors more than before.
    let mut most = baseline;
    while !flood.iter().all(tokio::task::JoinHandle::is_finished) && start.elapsed() < HEADER_TIMEOUT * 5 {
        most = most.max(descriptors(pid));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        most <= baseline + CAP + 16,
        "the oracle held {most} descriptors during the flood, {baseline} before, cap {CAP}"
    );

    // A legitimate client is answered within the header read timeout and a margin (as soon as
    // the idle connections holding the cap time out), and the attestations go on.
    let url = oracle.url.clone();
    let answered = tokio::task::spawn_blocking(move || loop {
        if matches!(request(&url, "GET", "/healthz"), Ok((200, _))) {
            return start.elapsed();
        }
        std::thread::sleep(Duration::from_millis(50));
    });
    let answered = tokio::time::timeout(HEADER_TIMEOUT * 5, answered)
        .await
        .expect("a legitimate request is answered within 5 s of the flood")
        .unwrap();
    assert!(answered <= HEADER_TIMEOUT * 5, "{answered:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while latest_seq(&oracle.url, id, &log).await <= seq_before {
        assert!(
            Instant::now() < deadline,
            "no attestation signed during the flood; log: {}",
            read(&log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every flood connection was closed by the oracle: those beyond the cap at once, the others
    // when their header read timeout ran out.
    let mut closed = Vec::new();
    for handle in flood {
        closed.push(
            handle
                .await
                .unwrap()
                .expect("every idle connection is closed by the oracle")
                - start,
        );
    }
    let at_once = closed.iter().filter(|&&t| t < HEADER_TIMEOUT * 9 / 10).count();
    assert!(
        at_once >= FLOOD - CAP,
        "{at_once} of {FLOOD} connections were closed before the header read timeout; expected all but {CAP}"
    );
    let text = read(&log);
    assert!(
        !text.contains("tick failed") && !text.contains("Too many open files"),
        "{text}"
    );
    assert!(
        text.contains("connection cap reached"),
        "the refusals are logged: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_sends_no_request_is_closed_after_the_header_read_timeout() {
    let m = common::market(1).await;
    let dir = TempDir::new("http-header-timeout");
    let log = dir.join("oracle.log");
    let oracle = bounded(&m, dir.path()).spawn(&log);
    let host = oracle.url.strip_prefix("http://").unwrap().to_owned();

    // Silent from the start; half a request line and headers; one request answered, then idle.
    let silent = TcpStream::connect(&host).await.unwrap();
    let mut partial = TcpStream::connect(&host).await.unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut kept_alive = TcpStream::connect(&host).await.unwrap();
    kept_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 12];
    kept_alive.read_exact(&mut head).await.unwrap();
    assert_eq!(
        &head, b"HTTP/1.1 200",
        "the kept-alive connection's request is answered"
    );
    let start = Instant::now();

    // The open connections take no place from others.
    assert!(matches!(request(&oracle.url, "GET", "/healthz"), Ok((200, _))));
    for (what, stream) in [("silent", silent), ("partial", partial), ("kept-alive", kept_alive)] {
        let closed = closed_by_server(stream, HEADER_TIMEOUT * 5)
            .await
            .unwrap_or_else(|| panic!("the {what} connection is still open after 5 s"))
            - start;
        assert!(
            closed >= HEADER_TIMEOUT * 9 / 10,
            "the {what} connection was closed after {closed:?}, before the header read timeout"
        );
    }
}

/// Resident memory of process `pid`, KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Not a rule, a measurement (`cargo test -p gpu-oracle --test http_limits -- --ignored --nocapture`):
/// the oracle's RSS before, during and after 10,000 connections in batches of 500 held open, the
/// default cap of 512 and a 1 s header read timeout, with a rental being attested throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; prints figures"]
async fn memory_through_a_flood_of_ten_thousand_connections() {
    const BATCH: usize = 500;
    const TOTAL: usize = 10_000;
    let m = common::market(2).await;
    let dir = TempDir::new("http-memory");
    let log = dir.join("oracle.log");
    let oracle = common::oracle(&m, dir.path())
        .args(["--http-header-read-timeout-secs", "1"])
        .spawn(&log);
    let host = oracle.url.strip_prefix("http://").unwrap().to_owned();
    let pid = oracle.process.pid();
    let id = rental_id(&m.rent(3_600, 23).await);
    let seq_before = latest_seq(&oracle.url, id, &log).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = rss_kib(pid);
    // Twice: memory that a second flood does not add to is kept by the allocator, not leaked.
    for flood in 1..=2 {
        let mut batches = Vec::new();
        for _ in 0..TOTAL / BATCH {
            let mut held = Vec::with_capacity(BATCH);
            for _ in 0..BATCH {
                held.push(TcpStream::connect(&host).await.unwrap());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            batches.push(rss_kib(pid));
            drop(held);
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        eprintln!(
            "flood {flood}: RSS KiB before {before}, after each batch of {BATCH} {batches:?}, 5 s after {}; descriptors {}",
            rss_kib(pid),
            descriptors(pid)
        );
    }
    let seq_after = latest_seq(&oracle.url, id, &log).await;
    eprintln!("seq {seq_before} -> {seq_after}");
    assert!(seq_after > seq_before, "signing went on");
}
