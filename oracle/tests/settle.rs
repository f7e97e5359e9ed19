//! The oracle's attestations against the real escrow on anvil: the engine learns rentals from
//! the chain's events, counts seconds from mock GPUs (with injected faults) on a manual clock
//! that follows the chain's time, and the escrow accepts what it signs and bills exactly the
//! seconds the GPUs were up.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::{collections::BTreeMap, sync::Arc};

use alloy::primitives::B256;
use oracle::{
    clock::{Clock, ManualClock},
    engine::{Engine, EngineConfig},
    gpu::{
        mock::{mock_uuid, FaultPlan, MockSource},
        GpuSource, Sampler,
    },
    metrics::Metrics,
    store::Store,
};
use protocol::{bindings::GpuEscrow, rental_id, RentalTerms};
use testkit::{mined, Market, TempDir, GPU_MODEL};

struct Host {
    clock: Arc<ManualClock>,
    sampler: Sampler,
    engine: Engine,
    /// The engine's store, removed with the host.
    _state: TempDir,
}

impl Host {
    /// An oracle with `gpus` mock GPUs (all serving the market's offer, `per_rental` at a time)
    /// whose clock and fault plan start at `start` (Unix seconds).
    fn new(m: &Market, name: &str, gpus: u32, per_rental: u16, plan: &str, start: u64) -> Self {
        let clock = Arc::new(ManualClock::at_ms(start * 1_000));
        let plan: FaultPlan = toml::from_str(plan).unwrap();
        let mut source = MockSource::new(gpus, GPU_MODEL, plan, clock.clone());
        let inventory = source.inventory().unwrap();
        let sampler = Sampler::new(Box::new(source), clock.clone(), &inventory);
        let pool = (0..gpus).map(mock_uuid).collect();
        let state = TempDir::new(name);
        let engine = Engine::new(
            EngineConfig {
                chain_id: m.chain.chain_id(),
                escrow: m.escrow,
                offers: BTreeMap::from([(m.offer_id, (pool, per_rental))]),
                attest_interval_secs: 60,
                release_after_secs: 300,
                provisioning: false,
            },
            m.attester.clone(),
            Store::open(state.path()).unwrap(),
            inventory.gpus,
            Arc::new(Metrics::new("test-host")),
        )
        .unwrap();
        Self {
            clock,
            sampler,
            engine,
            _state: state,
        }
    }

    async fn sync(&mut self, m: &Market) {
        for event in m.escrow_events().await {
            self.engine.apply(&event).unwrap();
        }
    }

    /// One sample and one tick per second for the seconds `[from, to)`.
    fn run(&mut self, from: u64, to: u64) {
        for second in from..to {
            self.clock.set_ms(second * 1_000 + 100);
            let batch = self.sampler.sample_once();
            self.engine.record_samples(&batch);
            self.engine.tick(self.clock.now_secs()).unwrap();
        }
    }
}

fn started(terms: &RentalTerms) -> u64 {
    terms.startedAt.to()
}

#[tokio::test]
async fn faults_on_assigned_gpus_lower_the_seconds_the_escrow_bills() {
    let m = common::market(2).await;
    let terms = m.rent(3_600, 1).await;
    let t0 = started(&terms);
    // Three GPUs, two per rental: the rental gets GPUs 0 and 1. GPU 0 hangs for 30 s, GPU 1
    // reports fatal Xid 79 at 500 s (down from then on), GPU 2 (not assigned) falls off the bus.
    let plan = r#"
        [[faults]]
        gpu = 0
        at = 100
        kind = "unresponsive"
        duration = 30
        [[faults]]
        gpu = 1
        at = 500
        kind = "xid"
        xid = 79
        [[faults]]
        gpu = 2
        at = 50
        kind = "fell-off-bus"
    "#;
    let mut host = Host::new(&m, "faults", 3, 2, plan, t0);
    host.sync(&m).await;
    host.run(t0, t0 + 600);

    let id = rental_id(&terms);
    let periodic = host.engine.latest(id).expect("periodic attestations were signed");
    assert!(periodic.attestation.seq >= 9, "one every 60 s: {periodic:?}");
    let usage = host.engine.usage(id, t0 + 600).unwrap();
    assert_eq!(usage.gpus, vec![mock_uuid(0), mock_uuid(1)]);

    let signed = host.engine.attest_now(id, t0 + 600).unwrap();
    assert_eq!(signed.attestation.periodEnd, t0 + 600);
    assert_eq!(signed.attestation.uptimeSeconds, 600 - 30 - 100);
    assert!(signed.attestation.seq > periodic.attestation.seq);
    signed.verify(host.engine.domain(), m.attester.address()).unwrap();

    m.chain.next_block_at(t0 + 601).await;
    let (usage, signature) = signed.onchain_usage();
    let receipt = mined(m.escrow_as(&m.renter).stopAndSettle(terms, usage, signature)).await;
    let settled = receipt.decoded_log::<GpuEscrow::RentalSettled>().expect("settled");
    assert_eq!(
        settled.billedSeconds,
        470 + 1,
        "billed = seconds every assigned GPU was up, and the second between the attestation and the stop's block"
    );
}

#[tokio::test]
async fn a_rental_that_runs_out_of_deposit_gets_a_final_attestation_the_escrow_accepts() {
    let m = common::market(1).await;
    let terms = m.rent(120, 2).await;
    let t0 = started(&terms);
    let mut host = Host::new(&m, "final", 2, 1, "", t0);
    host.sync(&m).await;
    host.run(t0, t0 + 200);

    let id = rental_id(&terms);
    let last = host.engine.latest(id).expect("final attestation");
    assert_eq!(
        last.attestation.periodEnd,
        t0 + 120,
        "the final one ends at the rental's end"
    );
    assert_eq!(last.attestation.uptimeSeconds, 120);
    host.run(t0 + 200, t0 + 260);
    assert_eq!(
        host.engine.latest(id),
        Some(last.clone()),
        "nothing more is signed after the end"
    );
    assert_eq!(
        host.engine.attest_now(id, t0 + 260).unwrap(),
        last,
        "on request: the same final one"
    );

    m.chain.next_block_at(t0 + 261).await;
    let (usage, signature) = last.onchain_usage();
    let receipt = mined(m.escrow_as(&m.renter).settle(terms, usage, signature)).await;
    let settled = receipt.decoded_log::<GpuEscrow::RentalSettled>().expect("settled");
    assert_eq!(settled.billedSeconds, 120);
}

#[tokio::test]
async fn a_stop_seen_late_yields_a_final_attestation_covering_it_and_the_gpu_is_reused() {
    let m = common::market(1).await;
    let first = m.rent(3_600, 3).await;
    let t0 = started(&first);
    let mut host = Host::new(&m, "latestop", 1, 1, "", t0);
    host.sync(&m).await;
    host.run(t0, t0 + 50);
    // The renter stops at t0 + 50; the oracle learns it only 30 s later.
    m.chain.next_block_at(t0 + 50).await;
    mined(m.escrow_as(&m.renter).stop(first.clone())).await;
    host.run(t0 + 50, t0 + 80);
    let before = host.engine.latest(rental_id(&first)).unwrap();
    host.sync(&m).await;
    host.run(t0 + 80, t0 + 82);
    let last = host.engine.latest(rental_id(&first)).unwrap();
    // The periodic attestation at t0 + 61 already covers the end; nothing contradicts it.
    assert!(last.attestation.seq >= before.attestation.seq);
    assert!(last.attestation.periodEnd >= t0 + 50, "covers the end");
    assert!(
        last.attestation.uptimeSeconds >= before.attestation.uptimeSeconds,
        "never decreases"
    );

    m.chain.next_block_at(t0 + 83).await;
    let (usage, signature) = last.onchain_usage();
    let receipt = mined(m.escrow_as(&m.renter).settle(first, usage, signature)).await;
    assert_eq!(
        receipt.decoded_log::<GpuEscrow::RentalSettled>().unwrap().billedSeconds,
        50
    );

    // The only GPU goes back to the pool once the rental is closed: the next rental gets it.
    m.chain.next_block_at(t0 + 90).await;
    let second = m.rent(3_600, 4).await;
    host.sync(&m).await;
    let usage = host.engine.usage(rental_id(&second), t0 + 91).unwrap();
    assert_eq!(usage.gpus, vec![mock_uuid(0)]);
    assert_ne!(rental_id(&second), B256::ZERO);
}
