//! Uptime starts at provisioning, exactly: the engine on a manual clock that follows the chain,
//! a real provisioning hook that fails twice before it succeeds, driven through the same
//! [`Provisioner`] the daemon uses, and the escrow billing exactly the seconds after provisioning.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::{
    collections::BTreeMap,
    os::unix::fs::PermissionsExt,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use oracle::{
    access::{
        worker::{run_job, Provisioner},
        AccessHooks, AccessStatus, Action, TeardownState,
    },
    clock::{Clock, ManualClock},
    engine::{Engine, EngineConfig},
    gpu::{
        mock::{mock_uuid, FaultPlan, MockSource},
        GpuSource, Sampler,
    },
    metrics::Metrics,
    store::Store,
};
use protocol::{bindings::GpuEscrow, rental_id};
use testkit::{mined, Market, TempDir, GPU_MODEL};

/// Fails its first two provisioning attempts, then prints connection details; teardowns succeed.
const FLAKY_HOOK: &str = r#"#!/bin/sh
set -eu
echo "$GPU_ESCROW_ACTION" >> "$HOOK_DIR/calls"
[ "$GPU_ESCROW_ACTION" = teardown ] && exit 0
n=$(grep -c provision "$HOOK_DIR/calls")
[ "$n" -le 2 ] && { echo "attempt $n: sshd not up yet" >&2; exit 1; }
echo '{"host": "gpu1.test", "port": 22, "user": "renter"}'
"#;

fn hooks(dir: &Path) -> AccessHooks {
    let hook = dir.join("hook.sh");
    std::fs::write(&hook, FLAKY_HOOK).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let program = hook.to_str().unwrap().to_owned();
    AccessHooks {
        provision: vec![program.clone()],
        teardown: vec![program],
        timeout: Duration::from_secs(10),
        retry_initial: Duration::from_secs(5),
        retry_max: Duration::from_secs(40),
        env: BTreeMap::from([("HOOK_DIR".to_owned(), dir.to_str().unwrap().to_owned())]),
    }
}

struct Host {
    clock: Arc<ManualClock>,
    sampler: Sampler,
    engine: Engine,
    provisioner: Provisioner,
    metrics: Arc<Metrics>,
}

impl Host {
    /// An engine with access delivery on one mock GPU serving `m`'s offer, its clock at `t0`.
    fn new(m: &Market, dir: &Path, t0: u64, release_after_secs: u64) -> Self {
        let clock = Arc::new(ManualClock::at_ms(t0 * 1_000));
        let mut source = MockSource::new(1, GPU_MODEL, FaultPlan::default(), clock.clone());
        let inventory = source.inventory().unwrap();
        let metrics = Arc::new(Metrics::new("test-host"));
        let engine = Engine::new(
            EngineConfig {
                chain_id: m.chain.chain_id(),
                escrow: m.escrow,
                offers: BTreeMap::from([(m.offer_id, (vec![mock_uuid(0)], 1))]),
                attest_interval_secs: 60,
                release_after_secs,
                provisioning: true,
            },
            m.attester.clone(),
            Store::open(dir.join("state")).unwrap(),
            inventory.gpus.clone(),
            metrics.clone(),
        )
        .unwrap();
        Self {
            sampler: Sampler::new(Box::new(source), clock.clone(), &inventory),
            provisioner: Provisioner::new(hooks(dir), metrics.clone()),
            metrics,
            clock,
            engine,
        }
    }

    async fn sync(&mut self, m: &Market) {
        for event in m.escrow_events().await {
            self.engine.apply(&event).unwrap();
        }
    }

    /// One sample, one tick and the due hook runs (each run to its end) per second of
    /// `[from, to)`.
    async fn run(&mut self, from: u64, to: u64) {
        for second in from..to {
            self.clock.set_ms(second * 1_000 + 100);
            let batch = self.sampler.sample_once();
            self.engine.record_samples(&batch);
            self.engine.tick(self.clock.now_secs()).unwrap();
            let jobs = self.provisioner.start_due(&self.engine, self.clock.now_ms());
            for job in jobs {
                let started = Instant::now();
                let outcome = Box::pin(run_job(self.provisioner.hooks(), &job)).await;
                self.provisioner
                    .finish(&mut self.engine, &job, outcome, started.elapsed(), self.clock.now_ms())
                    .unwrap();
            }
        }
    }
}

#[tokio::test]
async fn the_escrow_bills_only_the_seconds_after_provisioning_succeeded() {
    let m = common::market(1).await;
    let terms = m.rent(3_600, 1).await;
    let t0: u64 = terms.startedAt.to();
    let dir = TempDir::new("provisioning");
    let mut host = Host::new(&m, dir.path(), t0, 300);
    host.sync(&m).await;
    let id = rental_id(&terms);

    // Attempts at t0 (fails), t0 + 5 (fails), t0 + 15 (succeeds, during second t0 + 15).
    host.run(t0, t0 + 14).await;
    match host.engine.access_status(id, t0 + 14).unwrap().1 {
        AccessStatus::Provisioning { attempts, last_error } => {
            assert_eq!(attempts, 2);
            assert!(last_error.unwrap().contains("sshd not up yet"));
        }
        other => panic!("not provisioning: {other:?}"),
    }
    host.run(t0 + 14, t0 + 100).await;
    let state = host.engine.access_state(id).unwrap().clone();
    assert_eq!(state.attempts, 3);
    assert_eq!(
        state.provisioned_at,
        Some(t0 + 16),
        "the first whole second after success"
    );
    assert!(matches!(
        host.engine.access_status(id, t0 + 100).unwrap().1,
        AccessStatus::Ready(_)
    ));

    let signed = host.engine.attest_now(id, t0 + 100).unwrap();
    assert_eq!(signed.attestation.periodEnd, t0 + 100);
    assert_eq!(
        signed.attestation.uptimeSeconds,
        100 - 16,
        "the 16 s before provisioning are down"
    );
    m.chain.next_block_at(t0 + 101).await;
    let (usage, signature) = signed.onchain_usage();
    let receipt = mined(m.escrow_as(&m.renter).stopAndSettle(terms, usage, signature)).await;
    let settled = receipt.decoded_log::<GpuEscrow::RentalSettled>().unwrap();
    // Billing ends at the stop's block, one second after the attestation: that second counts as delivered.
    assert_eq!(settled.billedSeconds, 84 + 1);

    // Settled: the teardown runs once and the GPU goes back to the pool after it.
    host.sync(&m).await;
    assert_eq!(
        host.engine.access_jobs(t0 + 102).first().map(|j| j.action),
        Some(Action::Teardown)
    );
    host.run(t0 + 102, t0 + 105).await;
    assert!(matches!(
        host.engine.access_state(id).unwrap().teardown,
        TeardownState::Done { .. }
    ));
    assert!(host.engine.access_jobs(t0 + 105).is_empty());
    let calls = std::fs::read_to_string(dir.join("calls")).unwrap();
    assert_eq!(calls, "provision\nprovision\nprovision\nteardown\n");

    // The next rental gets the GPU.
    m.chain.next_block_at(t0 + 110).await;
    let second = m.rent(3_600, 2).await;
    host.sync(&m).await;
    assert_eq!(
        host.engine.usage(rental_id(&second), t0 + 111).unwrap().gpus,
        vec![mock_uuid(0)]
    );
}

#[tokio::test]
async fn a_key_that_is_not_an_ssh_key_fails_provisioning_for_good() {
    let m = common::market(1).await;
    let dir = TempDir::new("bad-key");
    let usdc = m.usdc_as(&m.renter);
    let deposit = m.deposit_for(3_600);
    mined(usdc.mint(m.renter.address(), deposit)).await;
    mined(usdc.approve(m.escrow, deposit)).await;
    let receipt = mined(m.escrow_as(&m.renter).open(
        GpuEscrow::OpenParams {
            offerId: m.offer_id,
            deposit: alloy::primitives::aliases::U96::from(deposit),
            salt: alloy::primitives::B256::with_last_byte(9),
        },
        alloy::primitives::Bytes::from_static(b"not an ssh key"),
    ))
    .await;
    let opened = receipt.decoded_log::<GpuEscrow::RentalOpened>().unwrap();
    let terms = protocol::terms::terms_from_opened(&opened.data);
    let t0: u64 = terms.startedAt.to();
    let mut host = Host::new(&m, dir.path(), t0, 300);
    host.sync(&m).await;
    let id = rental_id(&terms);
    host.run(t0, t0 + 30).await;
    assert!(!dir.join("calls").exists(), "the hook never ran");
    match host.engine.access_status(id, t0 + 30).unwrap().1 {
        AccessStatus::Failed(reason) => assert!(reason.contains("not an SSH public key"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(host.engine.usage(id, t0 + 30).unwrap().uptime_seconds, 0);
    assert!(host
        .metrics
        .render()
        .contains("gpu_oracle_provision_attempts_total{result=\"invalid_key\"} 1"));
}

#[tokio::test]
async fn a_rental_whose_deposit_ran_out_is_torn_down_after_the_grace_and_then_frees_its_gpu() {
    let m = common::market(1).await;
    let terms = m.rent(120, 1).await;
    let t0: u64 = terms.startedAt.to();
    let dir = TempDir::new("ran-out");
    std::fs::write(dir.join("calls"), "provision\nprovision\n").unwrap(); // succeed at once
    let mut host = Host::new(&m, dir.path(), t0, 30);
    host.sync(&m).await;
    let id = rental_id(&terms);
    host.run(t0, t0 + 149).await;
    let state = host.engine.access_state(id).unwrap().clone();
    assert_eq!(state.provisioned_at, Some(t0 + 1));
    assert_eq!(state.teardown, TeardownState::NotDue, "a late top-up may still come");
    assert!(matches!(
        host.engine.access_status(id, t0 + 149).unwrap().1,
        AccessStatus::Ready(_)
    ));
    let last = host.engine.latest(id).unwrap();
    assert_eq!(
        (last.attestation.periodEnd, last.attestation.uptimeSeconds),
        (t0 + 120, 119),
        "final attestation: up from provisioning to the end"
    );

    host.run(t0 + 149, t0 + 152).await;
    assert_eq!(
        host.engine.access_state(id).unwrap().teardown,
        TeardownState::Done { at: t0 + 150 }
    );
    assert_eq!(host.engine.access_status(id, t0 + 152).unwrap().1, AccessStatus::Ended);
    assert_eq!(host.engine.latest(id).unwrap(), last, "nothing more was signed");
    assert!(host
        .metrics
        .render()
        .contains("gpu_oracle_teardown_total{result=\"success\"} 1"));

    // The GPU serves the next rental.
    m.chain.next_block_at(t0 + 160).await;
    let next = m.rent(3_600, 2).await;
    host.sync(&m).await;
    assert_eq!(
        host.engine.usage(rental_id(&next), t0 + 161).unwrap().gpus,
        vec![mock_uuid(0)]
    );
}
