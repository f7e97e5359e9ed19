//! The oracle's core, free of I/O scheduling: it learns rentals from escrow events, classifies
//! seconds from GPU samples, and signs attestations, always persisting the state an attestation
//! commits to *before* signing it. The daemon drives it from the sampler, the chain follower, the
//! HTTP API and the shutdown path; tests drive it directly with any clock.
//!
//! Rules that keep every signed attestation of a rental consistent with every other (the escrow
//! slashes an attester whose signatures contradict each other):
//! - `seq` grows by one per new content and is saved before the signature exists;
//! - uptime, period end and energy never decrease from one attestation to the next;
//! - the same content is never signed under two seqs; identical content is signed identically
//!   (RFC 6979), so re-signing the saved last attestation after a restart is harmless.

use std::{
    collections::{BTreeMap, HashMap},
    ops::Range,
    sync::Arc,
};

use alloy::{
    primitives::{Address, B256, U256},
    signers::local::PrivateKeySigner,
    sol_types::{Eip712Domain, SolValue},
};
use protocol::{
    chain::EscrowEvent,
    gpu_model_hash, gpu_uuids_hash,
    oracle_api::UsageView,
    rental::{self, Change},
    LoggedEvent, RentalTerms, SignedAttestation, UsageAttestation,
};

use crate::{
    access::{key_comment, AccessJob, AccessState, AccessStatus, Action, ConnectionDetails, HookInput, TeardownState},
    accounting::{avg_util_bps, History},
    allocation::Allocator,
    error::{EngineError, StoreError},
    gpu::{GpuInfo, GpuReading, SampleBatch},
    metrics::Metrics,
    store::{RentalRecord, Store, UsageCounters},
};

/// What the engine serves.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Chain id of the escrow's domain.
    pub chain_id: u64,
    /// The escrow.
    pub escrow: Address,
    /// Served offers: their GPU UUIDs and how many GPUs one rental gets.
    pub offers: BTreeMap<u64, (Vec<String>, u16)>,
    /// Seconds between periodic attestations of a running rental.
    pub attest_interval_secs: u64,
    /// Seconds after a rental's end before its GPUs go back to the pool (a top-up confirmed late
    /// may still extend it).
    pub release_after_secs: u64,
    /// A provisioning hook is configured: new rentals count as up only once their access is
    /// provisioned (SPEC 5.1), and their access is torn down at the end.
    pub provisioning: bool,
}

#[derive(Debug)]
struct Rental {
    record: RentalRecord,
    terms: RentalTerms,
    /// The rental as its events made it (`protocol::rental`), rebuilt from the record's
    /// block-tagged chain facts at restore and after a reorg.
    chain: rental::Rental,
    /// Counters advanced past the persisted ones.
    live: UsageCounters,
    signed: Option<SignedAttestation>,
    last_signed_at: u64,
}

impl Rental {
    fn started_at(&self) -> u64 {
        self.terms.startedAt.to()
    }

    /// When billing ends (the escrow's own end, [`rental::Rental::end`]).
    fn end(&self) -> u64 {
        self.chain.end()
    }

    /// The model of the rental from what the record keeps of the chain: its deposits, its stop
    /// and how it closed (the record keeps them by block, to forget a reorg's).
    fn chain_view(record: &RentalRecord, terms: &RentalTerms) -> rental::Rental {
        let mut deposits = record.deposits.iter().map(|(_, d)| *d);
        let mut chain = rental::Rental::opened(record.rental_id, terms.clone(), deposits.next().unwrap_or_default());
        if let Some(deposit) = deposits.next_back() {
            chain.apply_change(Change::Extended { deposit });
        }
        if let Some((_, stop)) = record.stopped {
            chain.apply_change(Change::Stopped(stop));
        }
        if let (Some(_), Some(closure)) = (record.closed, record.closure) {
            chain.apply_change(Change::Closed(closure));
        }
        chain
    }

    /// The seconds that may count as up: all, or with access delivery those from the first
    /// second after provisioning succeeded (none while it has not) until the access was being
    /// removed (a reorg or a top-up seen late may revive a rental whose access is gone).
    fn eligible(&self) -> Range<u64> {
        let Some(a) = &self.record.access else {
            return 0..u64::MAX;
        };
        let from = a.provisioned_at.unwrap_or(u64::MAX);
        let to = match a.teardown {
            TeardownState::NotDue => u64::MAX,
            TeardownState::Pending { since } => since,
            TeardownState::Done { at } => at,
        };
        from..to.max(from)
    }

    /// Whether the renter's access must go: the rental was settled or refunded, stopped, or its
    /// deposit ran out `grace` seconds ago (a top-up confirmed late may still extend it).
    fn access_over(&self, now: u64, grace: u64) -> bool {
        let end = self.end();
        self.record.closed.is_some()
            || (now >= end && (self.record.stopped.is_some() || now >= end.saturating_add(grace)))
    }

    /// Whether the GPUs may serve another rental as far as access goes.
    fn access_released(&self) -> bool {
        self.record.access.as_ref().is_none_or(AccessState::released)
    }

    fn hook_input(&self, access_key: &str) -> HookInput {
        HookInput {
            rental_id: self.record.rental_id,
            renter: self.terms.renter,
            offer_id: self.terms.offerId,
            access_key: access_key.to_owned(),
            gpu_uuids: self.record.gpus.clone(),
        }
    }
}

/// The oracle's state and rules.
pub struct Engine {
    cfg: EngineConfig,
    signer: PrivateKeySigner,
    domain: Eip712Domain,
    store: Store,
    history: History,
    allocator: Allocator,
    rentals: BTreeMap<B256, Rental>,
    gpus: Vec<GpuInfo>,
    latest: HashMap<String, GpuReading>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("attester", &self.signer.address())
            .field("rentals", &self.rentals.len())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine over `store`, restoring the rentals saved there.
    pub fn new(
        cfg: EngineConfig,
        signer: PrivateKeySigner,
        store: Store,
        gpus: Vec<GpuInfo>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, EngineError> {
        let domain = protocol::domain(cfg.chain_id, cfg.escrow);
        let mut engine = Self {
            allocator: Allocator::new(cfg.offers.clone()),
            cfg,
            signer,
            domain,
            store,
            history: History::default(),
            rentals: BTreeMap::new(),
            gpus,
            latest: HashMap::new(),
            metrics,
        };
        for record in engine.store.load_rentals()? {
            engine.restore(record)?;
        }
        engine.update_active_gauge(0);
        Ok(engine)
    }

    fn restore(&mut self, record: RentalRecord) -> Result<(), EngineError> {
        let terms = RentalTerms::abi_decode(&record.terms_abi).map_err(|e| {
            EngineError::Store(StoreError::Corrupt {
                path: self.store.dir().join("rentals"),
                reason: format!("terms of {}: {e}", record.rental_id),
            })
        })?;
        let access_released = record.access.as_ref().is_none_or(AccessState::released);
        if let Some(access) = &record.access {
            if !self.cfg.provisioning && !access_released {
                tracing::warn!(target: "oracle::access", rental = %record.rental_id, provisioned = access.provisioned_at.is_some(),
                    "rental has access state but no provision hook is configured: its access can be neither provisioned nor removed; configure [access] again");
            }
        }
        // A closed rental whose access is not removed yet still occupies its GPUs.
        if (record.closed.is_none() || !access_released) && !self.allocator.claim(record.rental_id, &record.gpus) {
            tracing::error!(target: "oracle::engine", rental = %record.rental_id, gpus = ?record.gpus,
                "saved GPU assignment overlaps another rental's; this rental's seconds count as down");
        }
        let signed = match &record.last {
            Some(last) => Some(last.clone().sign(&self.signer, &self.domain)?),
            None => None,
        };
        tracing::info!(target: "oracle::engine", rental = %record.rental_id, seq = record.last.as_ref().map_or(0, |l| l.seq),
            "restored rental");
        self.rentals.insert(
            record.rental_id,
            Rental {
                live: record.usage,
                chain: Rental::chain_view(&record, &terms),
                terms,
                record,
                signed,
                last_signed_at: 0,
            },
        );
        Ok(())
    }

    /// The attester address.
    pub fn attester(&self) -> Address {
        self.signer.address()
    }

    /// The EIP-712 domain attestations are signed under.
    pub fn domain(&self) -> &Eip712Domain {
        &self.domain
    }

    /// The store (for the chain cursor).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The GPUs of the host.
    pub fn gpus(&self) -> &[GpuInfo] {
        &self.gpus
    }

    /// The latest reading of each GPU.
    pub fn latest_readings(&self) -> &HashMap<String, GpuReading> {
        &self.latest
    }

    /// Records one sample of the GPUs.
    pub fn record_samples(&mut self, batch: &SampleBatch) {
        self.history.record(batch);
        self.metrics.record_sample(&self.gpus, batch);
        for reading in &batch.readings {
            self.latest.insert(reading.uuid.clone(), reading.clone());
        }
    }

    /// Applies one confirmed escrow event.
    pub fn apply(&mut self, logged: &LoggedEvent) -> Result<(), EngineError> {
        let block = logged.block_number;
        match &logged.event {
            EscrowEvent::RentalOpened {
                rental_id,
                terms,
                deposit,
                access_key,
            } => self.open(*rental_id, terms, *deposit, access_key, block)?,
            event => {
                let Some(id) = event.rental_id() else { return Ok(()) };
                let Some(r) = self.rentals.get_mut(&id) else {
                    return Ok(());
                };
                if r.record.closed.is_some() {
                    return Ok(());
                }
                match r.chain.apply(event) {
                    Some(Change::Extended { deposit }) => {
                        if !r.record.deposits.iter().any(|(b, d)| *b == block && *d == deposit) {
                            r.record.deposits.push((block, deposit));
                            self.store.save_rental(&r.record)?;
                            tracing::info!(target: "oracle::engine", rental = %id, %deposit, "rental extended");
                        }
                    }
                    Some(Change::Stopped(stop)) => {
                        r.record.stopped = Some((block, stop));
                        self.store.save_rental(&r.record)?;
                        tracing::info!(target: "oracle::engine", rental = %id, stopped_at = stop.at, by = %stop.by, "rental stopped");
                    }
                    // Settled, refunded or closed by the dispute module (a ruling, the fallback or a
                    // slashing proof): access ends and the GPUs go back alike.
                    Some(Change::Closed(closure)) => self.close(id, block, closure)?,
                    // Frozen: the freeze also stopped the clock (`RentalStopped`, same block), which is
                    // what ends access. Checkpoints move money only. A reopening of a closed id is a
                    // new rental the oracle does not serve under the same seqs.
                    Some(Change::Frozen | Change::Checkpointed { .. } | Change::Reopened { .. }) | None => {}
                }
            }
        }
        Ok(())
    }

    fn open(
        &mut self,
        id: B256,
        terms: &RentalTerms,
        deposit: U256,
        access_key: &[u8],
        block: u64,
    ) -> Result<(), EngineError> {
        if self.rentals.contains_key(&id) || !self.allocator.serves(terms.offerId) {
            return Ok(());
        }
        if terms.attester != self.signer.address() {
            tracing::error!(target: "oracle::engine", rental = %id, offer = terms.offerId, attester = %terms.attester,
                ours = %self.signer.address(), "rental of a served offer names another attester; cannot attest it");
            return Ok(());
        }
        let gpus = self.allocator.allocate(terms.offerId, id).unwrap_or_else(|| {
            tracing::error!(target: "oracle::engine", rental = %id, offer = terms.offerId,
                "no free GPU for this rental (capacity above the configured GPUs?); it counts as down until one frees up");
            Vec::new()
        });
        let started_at: u64 = terms.startedAt.to();
        let record = RentalRecord {
            rental_id: id,
            terms_abi: terms.abi_encode().into(),
            opened_block: block,
            deposits: vec![(block, deposit)],
            stopped: None,
            closed: None,
            closure: None,
            gpus,
            usage: UsageCounters {
                counted_until: started_at,
                ..UsageCounters::default()
            },
            last: None,
            access: self.cfg.provisioning.then(|| self.new_access(id, access_key)),
        };
        self.store.save_rental(&record)?;
        tracing::info!(target: "oracle::engine", rental = %id, offer = terms.offerId, gpus = ?record.gpus,
            started_at, "rental opened");
        self.rentals.insert(
            id,
            Rental {
                live: record.usage,
                chain: rental::Rental::opened(id, terms.clone(), deposit),
                terms: terms.clone(),
                record,
                signed: None,
                last_signed_at: 0,
            },
        );
        Ok(())
    }

    /// The access state of a new rental: its key as an OpenSSH line, or the reason it has none.
    fn new_access(&self, id: B256, access_key: &[u8]) -> AccessState {
        match protocol::access_key::to_openssh(access_key, &key_comment(&id)) {
            Ok(line) => AccessState {
                access_key: Some(line),
                ..AccessState::default()
            },
            Err(e) => {
                let reason = format!(
                    "the access key given at open is not an SSH public key ({e}); this rental cannot be provisioned: the renter should stop it"
                );
                tracing::error!(target: "oracle::access", rental = %id, error = %reason, "provisioning failed permanently");
                self.metrics
                    .provision_attempts
                    .with_label_values(&["invalid_key"])
                    .inc();
                AccessState {
                    access_key: None,
                    last_error: Some(reason),
                    ..AccessState::default()
                }
            }
        }
    }

    fn close(&mut self, id: B256, block: u64, closure: rental::Closure) -> Result<(), EngineError> {
        if let Some(r) = self.rentals.get_mut(&id) {
            if r.record.closed.is_none() {
                r.record.closed = Some(block);
                r.record.closure = Some(closure);
                self.store.save_rental(&r.record)?;
                if r.access_released() {
                    self.allocator.release(id);
                }
                tracing::info!(target: "oracle::engine", rental = %id, status = %r.chain.status(), "rental closed");
            }
        }
        Ok(())
    }

    /// Forgets what blocks `≥ block` taught (a reorg replaced them); their events come again.
    pub fn rewind(&mut self, block: u64) -> Result<(), EngineError> {
        let mut dropped = Vec::new();
        for (id, r) in &mut self.rentals {
            if r.record.opened_block >= block {
                // Opened in a replaced block: if the renter opens it again it comes back as new
                // events; the file stays (its seq must never be reused).
                r.record.closed = Some(r.record.opened_block);
                dropped.push(*id);
            } else {
                r.record.deposits.retain(|(b, _)| *b < block);
                if r.record.stopped.is_some_and(|(b, _)| b >= block) {
                    r.record.stopped = None;
                }
                if r.record.closed.is_some_and(|b| b >= block) {
                    r.record.closed = None;
                    r.record.closure = None;
                }
                r.chain = Rental::chain_view(&r.record, &r.terms);
            }
            self.store.save_rental(&r.record)?;
        }
        for id in dropped {
            // Its access (if any) is torn down first; the tick frees the GPUs after that.
            if self.rentals.get(&id).is_some_and(Rental::access_released) {
                self.allocator.release(id);
            }
            tracing::warn!(target: "oracle::engine", rental = %id, block, "rental's opening block was reorganised away");
        }
        Ok(())
    }

    /// Advances every rental's accounting to `now` (Unix seconds) and signs what is due: the
    /// final attestation of a rental that ended, a periodic one every `attest_interval_secs`.
    pub fn tick(&mut self, now: u64) -> Result<Vec<SignedAttestation>, EngineError> {
        let ids: Vec<B256> = self.rentals.keys().copied().collect();
        let mut signed = Vec::new();
        let mut active = 0;
        let mut provisioned = 0;
        for id in ids {
            let Some(r) = self.rentals.get_mut(&id) else { continue };
            let over = r.access_over(now, self.cfg.release_after_secs);
            if let Some(a) = r.record.access.as_mut() {
                if over && a.touched_host() && a.teardown == TeardownState::NotDue {
                    a.teardown = TeardownState::Pending { since: now };
                    self.store.save_rental(&r.record)?;
                    tracing::info!(target: "oracle::access", rental = %id, "rental over: access teardown pending");
                }
            }
            if let Some(a) = &r.record.access {
                if a.provisioned_at.is_some() && !matches!(a.teardown, TeardownState::Done { .. }) {
                    provisioned += 1;
                }
            }
            if r.record.closed.is_some() {
                // Its GPUs waited for the teardown of its access.
                let held = r.record.gpus.first().and_then(|g| self.allocator.holder(g));
                if held == Some(id) && r.access_released() {
                    self.allocator.release(id);
                    tracing::info!(target: "oracle::engine", rental = %id, "access removed; GPUs back in the pool");
                }
                continue;
            }
            let end = r.end();
            if now < end {
                active += 1;
            }
            if r.record.gpus.is_empty() && now < end {
                if let Some(gpus) = self.allocator.allocate(r.terms.offerId, id) {
                    tracing::info!(target: "oracle::engine", rental = %id, ?gpus, "GPUs assigned late");
                    r.record.gpus = gpus;
                    self.store.save_rental(&r.record)?;
                }
            }
            let eligible = r.eligible();
            self.history
                .advance_within(&mut r.live, &r.record.gpus, now.min(end), &eligible);
            let last_end = r.record.last.as_ref().map(|l| l.periodEnd);
            let due_final = now >= end && last_end.is_none_or(|p| p < end);
            let progressed = r.live.counted_until.min(end) > last_end.unwrap_or(r.started_at());
            let due_periodic = progressed && now.saturating_sub(r.last_signed_at) >= self.cfg.attest_interval_secs;
            if due_final || due_periodic {
                if let Some(s) = self.sign_next(id, now)? {
                    signed.push(s);
                }
            }
            let rental = self.rentals.get(&id);
            let held = rental
                .and_then(|r| r.record.gpus.first())
                .and_then(|g| self.allocator.holder(g));
            let released = rental.is_some_and(Rental::access_released);
            if held == Some(id) && released && now >= end.saturating_add(self.cfg.release_after_secs) {
                self.allocator.release(id);
                tracing::info!(target: "oracle::engine", rental = %id, "rental over; GPUs back in the pool");
            }
        }
        self.update_active_gauge(active);
        self.metrics.provisioned_rentals.set(provisioned);
        Ok(signed)
    }

    fn update_active_gauge(&self, active: i64) {
        self.metrics.active_rentals.set(active);
    }

    /// Signs a fresh attestation of `id` now (after advancing its accounting to `now`); returns
    /// the last one unchanged when nothing new was counted since.
    pub fn attest_now(&mut self, id: B256, now: u64) -> Result<SignedAttestation, EngineError> {
        let r = self.rentals.get_mut(&id).ok_or(EngineError::UnknownRental(id))?;
        if r.record.closed.is_none() {
            let (end, eligible) = (r.end(), r.eligible());
            self.history
                .advance_within(&mut r.live, &r.record.gpus, now.min(end), &eligible);
        }
        match self.sign_next(id, now)? {
            Some(s) => Ok(s),
            None => self.latest(id).ok_or(EngineError::UnknownRental(id)),
        }
    }

    /// The next attestation's content, continuing monotonically from the last one.
    fn next_content(&self, r: &Rental) -> UsageAttestation {
        let end = r.end();
        let start = r.started_at();
        let mut counters = r.live;
        let mut period_end = counters.counted_until;
        if counters.counted_until > end {
            // The stop was learned after seconds past it were counted: take them back out.
            let after = self
                .history
                .up_seconds(&r.record.gpus, end, counters.counted_until, &r.eligible());
            counters.uptime = counters.uptime.saturating_sub(after).min(end.saturating_sub(start));
            period_end = end;
        }
        let uuids_hash = gpu_uuids_hash(&r.record.gpus);
        // The model measured: the assigned GPUs' (startup checked every served GPU is the offer's
        // model); without any assigned yet, the last attested one, else the pool's.
        let assigned = self.gpus.iter().find(|g| r.record.gpus.first() == Some(&g.uuid));
        let model_hash = assigned
            .map(|g| gpu_model_hash(&g.name))
            .or_else(|| r.record.last.as_ref().map(|l| l.gpuModelHash))
            .or_else(|| self.gpus.first().map(|g| gpu_model_hash(&g.name)))
            .unwrap_or_default();
        let mut next = UsageAttestation {
            rentalId: r.record.rental_id,
            seq: 1,
            periodEnd: period_end,
            uptimeSeconds: counters.uptime,
            gpuModelHash: model_hash,
            gpuUuidsHash: uuids_hash,
            energyJoules: counters.energy_mj / 1_000,
            avgUtilBps: avg_util_bps(&counters),
        };
        if let Some(last) = &r.record.last {
            next.seq = last.seq + 1;
            next.periodEnd = next.periodEnd.max(last.periodEnd);
            next.uptimeSeconds = next.uptimeSeconds.max(last.uptimeSeconds);
            next.energyJoules = next.energyJoules.max(last.energyJoules);
        }
        next
    }

    /// Persists then signs the next attestation of `id`; `None` when its content would equal
    /// the last one's (no new seq is spent on nothing).
    fn sign_next(&mut self, id: B256, now: u64) -> Result<Option<SignedAttestation>, EngineError> {
        let r = self.rentals.get(&id).ok_or(EngineError::UnknownRental(id))?;
        let next = self.next_content(r);
        if let Some(last) = &r.record.last {
            if (UsageAttestation {
                seq: last.seq,
                ..next.clone()
            }) == *last
            {
                return Ok(None);
            }
        }
        let r = self.rentals.get_mut(&id).ok_or(EngineError::UnknownRental(id))?;
        let mut record = r.record.clone();
        record.usage = r.live;
        record.last = Some(next.clone());
        // Durable before the signature exists: a crash after this line re-signs the same content.
        self.store.save_rental(&record)?;
        r.record = record;
        let signed = next.sign(&self.signer, &self.domain)?;
        r.signed = Some(signed.clone());
        r.last_signed_at = now;
        self.metrics.attestations_signed.inc();
        tracing::debug!(target: "oracle::signer", rental = %id, seq = signed.attestation.seq,
            period_end = signed.attestation.periodEnd, uptime = signed.attestation.uptimeSeconds, "signed attestation");
        Ok(Some(signed))
    }

    /// Signs a last attestation for every running rental (shutdown).
    pub fn sign_all_running(&mut self, now: u64) -> Result<usize, EngineError> {
        let ids: Vec<B256> = self
            .rentals
            .iter()
            .filter(|(_, r)| r.record.closed.is_none())
            .map(|(id, _)| *id)
            .collect();
        let mut n = 0;
        for id in ids {
            if let Some(r) = self.rentals.get_mut(&id) {
                let (end, eligible) = (r.end(), r.eligible());
                self.history
                    .advance_within(&mut r.live, &r.record.gpus, now.min(end), &eligible);
            }
            if self.sign_next(id, now)?.is_some() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The latest signed attestation of `id`.
    pub fn latest(&self, id: B256) -> Option<SignedAttestation> {
        self.rentals.get(&id).and_then(|r| r.signed.clone())
    }

    /// Live usage of `id`.
    pub fn usage(&self, id: B256, now: u64) -> Option<UsageView> {
        let r = self.rentals.get(&id)?;
        let end = r.end();
        Some(UsageView {
            rental_id: id,
            offer_id: r.terms.offerId,
            status: r.chain.status(),
            gpus: r.record.gpus.clone(),
            started_at: r.started_at(),
            ends_at: end,
            ended: now >= end,
            closed: r.record.closed.is_some(),
            elapsed_seconds: r.live.counted_until.saturating_sub(r.started_at()),
            uptime_seconds: r.live.uptime,
            counted_until: r.live.counted_until,
            avg_util_bps: avg_util_bps(&r.live),
            energy_joules: r.live.energy_mj / 1_000,
            last_seq: r.record.last.as_ref().map_or(0, |l| l.seq),
            provisioned_at: r.record.access.as_ref().and_then(|a| a.provisioned_at),
        })
    }

    /// Ids of the rentals the oracle tracks.
    pub fn rental_ids(&self) -> Vec<B256> {
        self.rentals.keys().copied().collect()
    }

    /// What the engine serves (chain id and escrow of the access request message included).
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// The hook runs due at `now` (Unix seconds): provisioning for running rentals whose access
    /// is not ready (once they have GPUs), teardown for rentals that are over and whose host was
    /// touched. The caller skips the ones already running or waiting for a retry.
    pub fn access_jobs(&self, now: u64) -> Vec<AccessJob> {
        let mut jobs = Vec::new();
        for r in self.rentals.values() {
            let Some(a) = &r.record.access else { continue };
            if matches!(a.teardown, TeardownState::Done { .. }) {
                continue;
            }
            let key = a.access_key.as_deref().unwrap_or_default();
            if r.access_over(now, self.cfg.release_after_secs) {
                if a.touched_host() {
                    jobs.push(AccessJob {
                        action: Action::Teardown,
                        input: r.hook_input(key),
                    });
                }
            } else if a.provisioned_at.is_none() && a.access_key.is_some() && !r.record.gpus.is_empty() {
                jobs.push(AccessJob {
                    action: Action::Provision,
                    input: r.hook_input(key),
                });
            }
        }
        jobs
    }

    /// Records a provisioning hook run that ended at `now_ms` (Unix milliseconds). On success
    /// the rental's seconds count as up from the first whole second after it; the state is
    /// durable when this returns.
    pub fn record_provision(
        &mut self,
        id: B256,
        outcome: Result<ConnectionDetails, String>,
        now_ms: u64,
    ) -> Result<(), EngineError> {
        let r = self.rentals.get_mut(&id).ok_or(EngineError::UnknownRental(id))?;
        let floor = r.live.counted_until.max(r.started_at());
        let Some(a) = r.record.access.as_mut() else {
            return Ok(());
        };
        a.attempts = a.attempts.saturating_add(1);
        match outcome {
            Ok(details) => {
                // Seconds already classified stay down: uptime never covers time before access.
                a.provisioned_at = Some(a.provisioned_at.unwrap_or(now_ms.div_ceil(1_000).max(floor)));
                a.connection = Some(details);
                a.last_error = None;
            }
            Err(e) => a.last_error = Some(e),
        }
        self.store.save_rental(&r.record)?;
        Ok(())
    }

    /// Records a teardown hook run that ended at `now` (Unix seconds); durable when this returns.
    pub fn record_teardown(&mut self, id: B256, outcome: Result<(), String>, now: u64) -> Result<(), EngineError> {
        let r = self.rentals.get_mut(&id).ok_or(EngineError::UnknownRental(id))?;
        let Some(a) = r.record.access.as_mut() else {
            return Ok(());
        };
        a.teardown_attempts = a.teardown_attempts.saturating_add(1);
        match outcome {
            Ok(()) => {
                a.teardown = TeardownState::Done { at: now };
                a.teardown_error = None;
            }
            Err(e) => {
                if a.teardown == TeardownState::NotDue {
                    a.teardown = TeardownState::Pending { since: now };
                }
                a.teardown_error = Some(e);
            }
        }
        self.store.save_rental(&r.record)?;
        Ok(())
    }

    /// The renter of `id` and where its access stands at `now`; `None` for an unknown rental.
    pub fn access_status(&self, id: B256, now: u64) -> Option<(alloy::primitives::Address, AccessStatus)> {
        let r = self.rentals.get(&id)?;
        let status = match &r.record.access {
            None => AccessStatus::NotManaged,
            Some(_) if r.access_over(now, self.cfg.release_after_secs) => AccessStatus::Ended,
            Some(a) => match (&a.connection, a.provisioned_at, &a.access_key) {
                (Some(c), Some(_), _) => AccessStatus::Ready(c.clone()),
                (_, _, None) => AccessStatus::Failed(a.last_error.clone().unwrap_or_default()),
                _ => AccessStatus::Provisioning {
                    attempts: a.attempts,
                    last_error: a.last_error.clone(),
                },
            },
        };
        Some((r.terms.renter, status))
    }

    /// The persisted access state of `id`.
    pub fn access_state(&self, id: B256) -> Option<&AccessState> {
        self.rentals.get(&id).and_then(|r| r.record.access.as_ref())
    }
}
