//! Access delivery with the real `gpu-oracle` binary against anvil (SPEC 5.1): the provisioning
//! hook runs with the renter's key and GPUs, is retried through failure, timeout and malformed
//! output, uptime counts from the moment it succeeded, the connection details go to the renter
//! only, and the teardown hook runs exactly once when the rental ends, across `kill -9`.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::B256,
    signers::{local::PrivateKeySigner, SignerSync},
};
use common::{metric, read};
use oracle::{
    client::{request, request_with_headers},
    gpu::mock::mock_uuid,
};
use protocol::{oracle_api::access_message, rental_id, RentalTerms, SignedAttestation};
use serde_json::Value;
use testkit::{mined, wait, GpuOracle, Market, RunningOracle, TempDir};

/// Everything one test's oracle needs; `start` runs it (again) on the same state.
struct Setup {
    dir: TempDir,
    /// The attester key goes in the environment (which the hooks must not see).
    oracle: GpuOracle,
}

impl Setup {
    /// An oracle serving `m`'s offer with 2 mock GPUs and the `[access]` section `access`.
    fn new(m: &Market, name: &str, access: &str) -> Self {
        let dir = TempDir::new(name);
        let config = dir.join("oracle.toml");
        std::fs::write(&config, access).unwrap();
        let oracle = common::oracle(m, dir.path())
            .key_in_env()
            .args(["--config", config.to_str().unwrap()]);
        Self { dir, oracle }
    }

    fn log(&self) -> PathBuf {
        self.dir.join("oracle.log")
    }

    fn start(&self) -> RunningOracle {
        self.oracle.spawn(&self.log())
    }
}

fn wait_for(secs: u64, what: &str, log: &Path, mut done: impl FnMut() -> bool) {
    wait::until(
        Duration::from_secs(secs),
        || done().then_some(()),
        || format!("waiting for {what}; oracle log:\n{}", read(log)),
    );
}

/// A test hook: logs every call to `$HOOK_DIR/calls`; a provisioning attempt fails, hangs,
/// prints garbage or succeeds as `$HOOK_DIR/plan` says for its attempt number (one word per
/// attempt: fail, hang, garbage, ok; past the plan: ok); a teardown fails while
/// `$HOOK_DIR/fail-teardown` exists, else appends the rental id to `$HOOK_DIR/torn-down`.
const TEST_HOOK: &str = r#"#!/bin/sh
set -eu
calls="$HOOK_DIR/calls"
echo "$GPU_ESCROW_ACTION $GPU_ESCROW_RENTAL_ID" >> "$calls"
case $GPU_ESCROW_ACTION in
provision)
    n=$(grep -c "^provision $GPU_ESCROW_RENTAL_ID" "$calls")
    what=$(sed -n "${n}p" "$HOOK_DIR/plan" 2>/dev/null || true)
    case ${what:-ok} in
    fail) echo "attempt $n: no free port" >&2; exit 1 ;;
    hang) exec sleep 30 ;;
    garbage) echo "ready!"; exit 0 ;;
    esac
    cat > "$HOOK_DIR/stdin-$GPU_ESCROW_RENTAL_ID.json"
    env | grep '^GPU_ORACLE_' >> "$HOOK_DIR/leaked" || true
    printf '{"host": "gpu1.test", "port": 2222, "user": "renter", "notes": "GPUs: %s"}\n' "$GPU_ESCROW_GPU_UUIDS"
    ;;
teardown)
    if [ -e "$HOOK_DIR/fail-teardown" ]; then echo "teardown refused" >&2; exit 1; fi
    echo "$GPU_ESCROW_RENTAL_ID" >> "$HOOK_DIR/torn-down"
    ;;
esac
"#;

/// Writes the test hook into `dir` and returns the `[access]` config section running it.
fn test_hook(dir: &Path, plan: &[&str]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let hook = dir.join("hook.sh");
    std::fs::write(&hook, TEST_HOOK).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("plan"), plan.join("\n") + "\n").unwrap();
    format!(
        "[access]\nprovision = [{hook:?}]\nteardown = [{hook:?}]\ntimeout_secs = 2\nretry_initial_secs = 1\nretry_max_secs = 1\n\
         [access.env]\nHOOK_DIR = {dir:?}\n",
        hook = hook.to_str().unwrap(),
        dir = dir.to_str().unwrap()
    )
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Waits until the wall clock has passed the latest block's timestamp.
async fn catch_up(m: &Market) {
    let head = m.chain.now().await;
    while now_secs() <= head {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs access requests as one key; every request gets a timestamp of its own (the oracle
/// accepts each signed request once).
struct Requester {
    key: PrivateKeySigner,
    chain_id: u64,
    escrow: alloy::primitives::Address,
    last: u64,
}

impl Requester {
    fn new(m: &Market, key: &PrivateKeySigner) -> Self {
        Self {
            key: key.clone(),
            chain_id: m.chain.chain_id(),
            escrow: m.escrow,
            last: 0,
        }
    }

    fn headers(&mut self, rental: B256, timestamp: u64) -> (String, String) {
        let message = access_message(self.chain_id, self.escrow, rental, timestamp);
        let sig = self.key.sign_message_sync(message.as_bytes()).unwrap();
        (
            timestamp.to_string(),
            format!("0x{}", alloy::hex::encode(sig.as_bytes())),
        )
    }

    fn fresh(&mut self, rental: B256) -> (String, String) {
        self.last = now_secs().max(self.last + 1);
        self.headers(rental, self.last)
    }

    fn get(&mut self, url: &str, rental: B256) -> (u16, Value) {
        let headers = self.fresh(rental);
        send(url, rental, &headers)
    }
}

fn send(url: &str, rental: B256, (ts, sig): &(String, String)) -> (u16, Value) {
    let (status, body) = request_with_headers(
        url,
        "GET",
        &format!("/v1/rentals/{rental:#x}/access"),
        &[("X-Access-Timestamp", ts), ("X-Access-Signature", sig)],
    )
    .unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
}

fn usage(url: &str, rental: B256) -> Value {
    let (status, body) = request(url, "GET", &format!("/v1/rentals/{rental:#x}/usage")).unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn lines_with(path: &Path, needle: &str) -> usize {
    read(path).lines().filter(|l| l.contains(needle)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_is_provisioned_through_retries_served_to_the_renter_only_and_removed_at_the_end() {
    let m = common::market(1).await;
    let hooks = TempDir::new("access-hooks");
    let setup = Setup::new(&m, "access", &test_hook(hooks.path(), &["fail", "hang", "garbage"]));
    let oracle = setup.start();
    let url = oracle.url.clone();
    // Anvil stamps each block at least a second after the last, so the set-up's burst of blocks
    // runs ahead of the wall clock the oracle counts with: let it catch up first.
    catch_up(&m).await;
    let seen_from = now_secs();
    let terms = m.rent(3_600, 1).await;
    let id = rental_id(&terms);
    let mut renter = Requester::new(&m, &m.renter);

    // Attempts 1-3 fail (exit 1, killed at the 2 s timeout, malformed stdout); the 4th succeeds.
    let mut seen_provisioning = None;
    let ready = loop {
        let (status, body) = renter.get(&url, id);
        match status {
            200 => break body,
            202 => seen_provisioning = Some(body),
            404 => {} // the oracle has not seen the rental yet
            other => panic!("unexpected {other}: {body}"),
        }
        assert!(
            lines_with(&hooks.join("calls"), "provision") <= 4,
            "more attempts than planned; log:\n{}",
            read(&setup.log())
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let provisioning = seen_provisioning.expect("a 202 while the hook was failing");
    assert_eq!(provisioning["status"], "provisioning");
    assert_eq!(provisioning["rentalId"], format!("{id:#x}"));
    assert!(provisioning["attempts"].as_u64().is_some(), "{provisioning}");
    assert_eq!(
        ready,
        serde_json::json!({
            "rentalId": format!("{id:#x}"),
            "status": "ready",
            "host": "gpu1.test",
            "port": 2222,
            "user": "renter",
            "notes": format!("GPUs: {}", mock_uuid(0)),
            "ssh": "ssh -p 2222 renter@gpu1.test",
        })
    );
    assert_eq!(lines_with(&hooks.join("calls"), "provision"), 4);
    for (result, n) in [("failure", 1.0), ("timeout", 1.0), ("malformed", 1.0), ("success", 1.0)] {
        assert!(
            (metric(&url, "gpu_oracle_provision_attempts_total", Some(("result", result))) - n).abs() < f64::EPSILON,
            "{result}"
        );
    }
    wait_for(5, "the provisioned gauge", &setup.log(), || {
        (metric(&url, "gpu_oracle_provisioned_rentals", None) - 1.0).abs() < f64::EPSILON
    });
    let log = read(&setup.log());
    assert!(
        log.contains("hook failed; will retry") && log.contains("malformed output"),
        "{log}"
    );

    // The hook got the rental on stdin.
    let stdin: Value = serde_json::from_str(&read(&hooks.join(format!("stdin-{id:#x}.json")))).unwrap();
    assert_eq!(stdin["rentalId"], format!("{id:#x}"));
    assert_eq!(stdin["renter"], format!("{:#x}", m.renter.address()));
    assert_eq!(stdin["offerId"], m.offer_id);
    assert_eq!(stdin["gpuUuids"], serde_json::json!([mock_uuid(0)]));
    assert!(
        hooks.join("leaked").exists() && read(&hooks.join("leaked")).is_empty(),
        "the oracle's GPU_ORACLE_* secrets reach the hook"
    );
    let key = stdin["accessKey"].as_str().unwrap();
    assert!(
        key.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK gpu-escrow-"),
        "{key}"
    );

    check_authentication(&url, &m, id, &mut renter);
    check_uptime_starts_at_provisioning(&url, &terms, id, seen_from);

    // The renter stops: the teardown hook runs once, and the details are gone.
    mined(m.escrow_as(&m.renter).stop(terms.clone())).await;
    wait_for(20, "the teardown", &setup.log(), || {
        lines_with(&hooks.join("torn-down"), &format!("{id:#x}")) == 1
    });
    let (status, body) = renter.get(&url, id);
    assert_eq!(status, 410, "{body}");
    assert!(body["error"].as_str().unwrap().contains("ended"), "{body}");
    wait_for(5, "the gauge to drop", &setup.log(), || {
        metric(&url, "gpu_oracle_provisioned_rentals", None) < 0.5
    });
    assert!((metric(&url, "gpu_oracle_teardown_total", Some(("result", "success"))) - 1.0).abs() < f64::EPSILON);
    drop(oracle);
}

fn check_authentication(url: &str, m: &Market, id: B256, renter: &mut Requester) {
    let err = |body: &Value| body["error"].as_str().unwrap_or_default().to_owned();

    // The same signed request twice: refused the second time.
    let headers = renter.fresh(id);
    assert_eq!(send(url, id, &headers).0, 200);
    let (status, body) = send(url, id, &headers);
    assert_eq!(status, 401, "{body}");
    assert!(err(&body).contains("already used"), "{body}");

    // Someone else's signature: 403, whoever they are.
    let mut stranger = Requester::new(m, &PrivateKeySigner::random());
    let (status, body) = stranger.get(url, id);
    assert_eq!(status, 403, "{body}");
    assert!(err(&body).contains("not by the rental's renter"), "{body}");
    let mut provider = Requester::new(m, &m.attester);
    assert_eq!(provider.get(url, id).0, 403);

    // A signature over another rental's message does not recover to the renter.
    let other = renter.headers(B256::repeat_byte(7), now_secs());
    assert_eq!(send(url, id, &other).0, 403);

    // Stale and far-future timestamps.
    for ts in [now_secs() - 120, now_secs() + 120] {
        let (status, body) = send(url, id, &renter.headers(id, ts));
        assert_eq!(status, 401, "{body}");
        assert!(err(&body).contains("away from the oracle's clock"), "{body}");
    }

    // Missing or malformed headers.
    let path = format!("/v1/rentals/{id:#x}/access");
    let (status, body) = request(url, "GET", &path).unwrap();
    assert_eq!(status, 401);
    assert!(body.contains("missing X-Access-Timestamp"), "{body}");
    let (ts, _) = renter.fresh(id);
    for (t, s, why) in [
        (ts.as_str(), "0x1234", "expected 65"),
        (ts.as_str(), "not-hex", "expected 0x"),
        ("yesterday", "0x00", "not a unix time"),
    ] {
        let (status, body) = request_with_headers(
            url,
            "GET",
            &path,
            &[("X-Access-Timestamp", t), ("X-Access-Signature", s)],
        )
        .unwrap();
        assert_eq!(status, 401, "{body}");
        assert!(body.contains(why), "{why}: {body}");
    }

    // An unknown rental, properly signed.
    let unknown = B256::repeat_byte(0x42);
    let (status, body) = renter.get(url, unknown);
    assert_eq!(status, 404, "{body}");
    assert!(err(&body).contains("unknown rental"), "{body}");
}

/// The seconds before provisioning succeeded are not in the attested uptime.
fn check_uptime_starts_at_provisioning(url: &str, terms: &RentalTerms, id: B256, seen_from: u64) {
    let view = usage(url, id);
    let started: u64 = terms.startedAt.to();
    let provisioned = view["provisionedAt"].as_u64().expect("provisionedAt");
    // Attempts: fail, 1 s wait, 2 s timeout, 1 s wait, garbage, 1 s wait, success.
    assert!(
        provisioned >= seen_from + 5,
        "provisioned at {provisioned}, rental seen from {seen_from}"
    );
    assert!(provisioned > started, "provisioned at {provisioned}, started {started}");
    std::thread::sleep(Duration::from_secs(2));
    let (status, body) = request(url, "POST", &format!("/v1/rentals/{id:#x}/attestation")).unwrap();
    assert_eq!(status, 200, "{body}");
    let a: SignedAttestation = serde_json::from_str(&body).unwrap();
    let since_provisioned = a.attestation.periodEnd - provisioned;
    assert!(
        a.attestation.uptimeSeconds <= since_provisioned,
        "uptime {} counts seconds before provisioning at {provisioned} (period end {})",
        a.attestation.uptimeSeconds,
        a.attestation.periodEnd
    );
    // Every sampled second since then was up (a sample late under load may cost one).
    assert!(
        a.attestation.uptimeSeconds + 1 >= since_provisioned,
        "uptime {} of {since_provisioned}",
        a.attestation.uptimeSeconds
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teardown_runs_exactly_once_across_kill_9_and_restarts() {
    let m = common::market(1).await;
    let hooks = TempDir::new("restart-hooks");
    let setup = Setup::new(&m, "restart", &test_hook(hooks.path(), &[]));
    let oracle = setup.start();
    let (a_terms, b_terms) = (m.rent(3_600, 1).await, m.rent(3_600, 2).await);
    let (a, b) = (rental_id(&a_terms), rental_id(&b_terms));
    wait_for(20, "both rentals provisioned", &setup.log(), || {
        lines_with(&hooks.join("calls"), "provision") == 2
            && [a, b]
                .iter()
                .all(|id| usage(&oracle.url, *id)["provisionedAt"].is_u64())
    });

    // A ends while the oracle is dead.
    drop(oracle);
    mined(m.escrow_as(&m.renter).stop(a_terms)).await;
    let oracle = setup.start();
    wait_for(20, "A's teardown after the restart", &setup.log(), || {
        lines_with(&hooks.join("torn-down"), &format!("{a:#x}")) == 1
    });

    // B's teardown fails, and the oracle is killed while it is pending.
    std::fs::write(hooks.join("fail-teardown"), "").unwrap();
    mined(m.escrow_as(&m.renter).stop(b_terms)).await;
    let b_state = setup.dir.join(format!("state/rentals/{b:#x}.json"));
    wait_for(20, "a failed teardown of B, recorded", &setup.log(), || {
        serde_json::from_str::<Value>(&read(&b_state)).is_ok_and(|v| v["access"]["teardownError"].is_string())
    });
    drop(oracle);
    let saved: Value = serde_json::from_str(&read(&b_state)).unwrap();
    assert_eq!(saved["access"]["teardown"]["state"], "pending", "{saved}");
    assert!(
        saved["access"]["teardownError"]
            .as_str()
            .unwrap()
            .contains("teardown refused"),
        "{saved}"
    );
    assert_eq!(lines_with(&hooks.join("torn-down"), &format!("{b:#x}")), 0);
    std::fs::remove_file(hooks.join("fail-teardown")).unwrap();
    let oracle = setup.start();
    wait_for(20, "B's teardown after the restart", &setup.log(), || {
        lines_with(&hooks.join("torn-down"), &format!("{b:#x}")) == 1
    });

    // Once done, never again; and nothing was provisioned twice.
    std::thread::sleep(Duration::from_secs(3));
    drop(oracle);
    let oracle = setup.start();
    std::thread::sleep(Duration::from_secs(2));
    for id in [a, b] {
        assert_eq!(lines_with(&hooks.join("torn-down"), &format!("{id:#x}")), 1, "{id}");
        assert_eq!(
            lines_with(&hooks.join("calls"), &format!("provision {id:#x}")),
            1,
            "{id}"
        );
        let saved: Value = serde_json::from_str(&read(&setup.dir.join(format!("state/rentals/{id:#x}.json")))).unwrap();
        assert_eq!(saved["access"]["teardown"]["state"], "done", "{saved}");
    }
    drop(oracle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorized_keys_hook_adds_the_renters_key_and_removes_it_at_the_end() {
    let m = common::market(1).await;
    let dir = TempDir::new("authorized-keys");
    let keys = dir.join("home/renter/.ssh/authorized_keys");
    std::fs::create_dir_all(keys.parent().unwrap()).unwrap();
    let operator = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBgnJ4Kd8jJ3Dx9uUs8jbYWXUafJFCcXBETRO3o8HbNT operator@host\n";
    std::fs::write(&keys, operator).unwrap();
    let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("../hooks/authorized-keys.sh");
    let access = format!(
        "[access]\nprovision = [{hook:?}]\nteardown = [{hook:?}]\n[access.env]\nAUTHORIZED_KEYS_FILE = {keys:?}\n\
         ACCESS_HOST = \"127.0.0.1\"\nACCESS_PORT = \"2222\"\nACCESS_USER = \"renter\"\n",
        hook = hook.canonicalize().unwrap().to_str().unwrap(),
        keys = keys.to_str().unwrap()
    );
    let setup = Setup::new(&m, "authorized-keys-oracle", &access);
    let oracle = setup.start();
    let terms = m.rent(3_600, 1).await;
    let id = rental_id(&terms);
    let mut renter = Requester::new(&m, &m.renter);
    let mut ready = Value::Null;
    wait_for(20, "the key to be provisioned", &setup.log(), || {
        let (status, body) = renter.get(&oracle.url, id);
        ready = body;
        status == 200
    });
    assert_eq!(ready["ssh"], "ssh -p 2222 renter@127.0.0.1", "{ready}");
    assert_eq!(ready["user"], "renter");
    let short = &format!("{id:x}")[..12];
    assert_eq!(
        read(&keys),
        format!(
            "{operator}restrict,pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK \
             gpu-escrow-{short} # gpu-escrow {id:#x}\n"
        )
    );
    assert_eq!(std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777, 0o600);

    mined(m.escrow_as(&m.renter).stop(terms)).await;
    wait_for(20, "the key to be removed", &setup.log(), || read(&keys) == operator);
    drop(oracle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_provisioning_hook_access_is_not_served_and_uptime_counts_from_the_open() {
    let m = common::market(1).await;
    let setup = Setup::new(&m, "no-hook", "");
    let oracle = setup.start();
    let terms = m.rent(3_600, 1).await;
    let id = rental_id(&terms);
    wait_for(20, "the rental to be counted", &setup.log(), || {
        request(&oracle.url, "GET", &format!("/v1/rentals/{id:#x}/usage")).is_ok_and(|(s, _)| s == 200)
            && usage(&oracle.url, id)["uptimeSeconds"].as_u64() > Some(0)
    });
    assert!(usage(&oracle.url, id).get("provisionedAt").is_none());
    let (status, body) = Requester::new(&m, &m.renter).get(&oracle.url, id);
    assert_eq!(status, 501, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("no provisioning hook"),
        "{body}"
    );
    let (status, _) = Requester::new(&m, &m.renter).get(&oracle.url, B256::repeat_byte(1));
    assert_eq!(status, 404);
    drop(oracle);
}
