//! The keeper's work: follow the chain into the index, find what is due, act on it; prove a
//! provider's misbehaviour from the attestations it fetched, and execute dispute outcomes.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    sol_types::{Eip712Domain, SolCall, SolEvent},
};
use protocol::{
    acceptance::{self, Purpose},
    bindings::{
        DisputeModule::{self, executeRulingCall, proveEquivocationCall, proveWrongGpuCall, settleFallbackCall},
        GpuEscrow::{self, checkpointCall, refundCall, settleBatchCall, settleCall},
    },
    chain::LogFollower,
    oracle_api::OracleEndpoint,
    rental::{Rental, RentalStatus},
    ContractError, Deployment, EscrowError, RentalTerms, SignedAttestation, SkippedSettlement, Usage,
};

use crate::{
    attestations::AttestationClient,
    config::Settings,
    error::{ConfigError, KeeperError, TxError},
    index::{Dispute, Index, IndexedRental, TxRecord, TxResult},
    metrics::Metrics,
    reconcile::reconcile,
    tx::{Mined, TxSender},
};

/// What is due for a running rental, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// Ended, past the challenge window, before the deadline: settle with the final attestation.
    Settle {
        /// Billing end.
        end: u64,
        /// Last second a settlement is accepted.
        deadline: u64,
    },
    /// Past end + grace and not settled: refund the renter.
    Refund {
        /// Billing end.
        end: u64,
    },
    /// Running with more unpaid time than the checkpoint interval.
    Checkpoint {
        /// Seconds since start not yet paid.
        unpaid: u64,
    },
    /// Ended, but others than the renter must wait for the challenge window.
    ChallengeWindow {
        /// When a keeper may settle.
        settleable_at: u64,
    },
    /// Running; nothing to do yet.
    Running {
        /// When it ends unless extended.
        ends_at: u64,
    },
}

impl std::fmt::Display for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Settle { end, deadline } => write!(
                f,
                "settle: ended at {end}, challenge window over, settleable until {deadline}"
            ),
            Self::Refund { end } => write!(f, "refund: ended at {end} and nobody settled before end + grace"),
            Self::Checkpoint { unpaid } => write!(f, "checkpoint: {unpaid} s running unpaid"),
            Self::ChallengeWindow { settleable_at } => write!(f, "wait: challenge window open until {settleable_at}"),
            Self::Running { ends_at } => write!(f, "wait: running until {ends_at}"),
        }
    }
}

/// What is due for `rental` at time `now`; `checkpoint_interval` 0 means never checkpoint.
pub fn classify(rental: &Rental, now: u64, checkpoint_interval: u64) -> Due {
    let end = rental.end();
    let window = u64::from(rental.terms.challengeWindow);
    let grace = u64::from(rental.terms.gracePeriod);
    if now > end.saturating_add(grace) {
        return Due::Refund { end };
    }
    if now >= end.saturating_add(window) {
        return Due::Settle {
            end,
            deadline: end.saturating_add(grace),
        };
    }
    if now >= end {
        return Due::ChallengeWindow {
            settleable_at: end + window,
        };
    }
    let unpaid = now
        .saturating_sub(rental.started_at())
        .saturating_sub(rental.paid_seconds);
    if checkpoint_interval > 0 && unpaid >= checkpoint_interval {
        return Due::Checkpoint { unpaid };
    }
    Due::Running { ends_at: end }
}

/// One line of `gpu-keeper status`.
#[derive(Debug, Clone)]
pub struct DueRental {
    /// The rental.
    pub rental: IndexedRental,
    /// What is due.
    pub due: Due,
}

/// What one round of work did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Rentals this keeper settled.
    pub settled: usize,
    /// Rentals this keeper refunded.
    pub refunded: usize,
    /// Checkpoints this keeper made.
    pub checkpointed: usize,
    /// Transactions mined successfully.
    pub txs: usize,
    /// Gas used by them.
    pub gas_used: u64,
    /// Rentals found already closed (or frozen by a dispute) by someone else.
    pub already_closed: usize,
    /// Rentals the keeper's `settleBatch` skipped (`SettlementSkipped`), each also counted as
    /// already closed or as a failure by its reason.
    pub skipped: usize,
    /// Slashing proofs (equivocation, wrong GPU) this keeper got accepted.
    pub proven: usize,
    /// Dispute outcomes this keeper executed: rulings, and fallbacks settled with the final
    /// attestation or closed by the refund rules.
    pub rulings_executed: usize,
    /// Rentals left for later: attestation missing or invalid, transaction failed.
    pub failures: usize,
}

/// The keeper: a connection, an index, a follower, a sender.
#[derive(Debug)]
pub struct Keeper {
    settings: Settings,
    provider: DynProvider,
    chain_id: u64,
    escrow: Address,
    /// The escrow's dispute module, when it has one set.
    dispute_module: Option<Address>,
    start_block: u64,
    domain: Eip712Domain,
    index: Index,
    follower: LogFollower,
    client: AttestationClient,
    webhook: reqwest::Client,
    tx: TxSender,
    metrics: Metrics,
    /// Rentals to leave alone until this instant (their oracle failed).
    retry_at: HashMap<B256, Instant>,
    /// Rentals found closed (by this keeper or another) that the index may not show closed yet
    /// (confirmations); left alone until the instant given, then checked again (a reorg may
    /// have reopened them).
    done: HashMap<B256, Instant>,
    /// Rentals of this keeper's transactions still pending in the node's pool (sent before a
    /// restart, or reorged out and back in the pool): left alone until they are mined or gone.
    in_flight: HashSet<B256>,
}

fn rpc(method: &'static str) -> impl FnOnce(alloy::transports::TransportError) -> KeeperError {
    move |source| KeeperError::Rpc { method, source }
}

impl Keeper {
    /// Connects and validates: the node's chain id against the configuration and the deployments
    /// file, contract code at the escrow, funds in the keeper's account; opens the index.
    pub async fn connect(settings: Settings, signer: PrivateKeySigner, metrics: Metrics) -> Result<Self, KeeperError> {
        let url = settings
            .rpc_url
            .parse()
            .map_err(|e| ConfigError::Invalid(format!("`rpc_url` {}: {e}", settings.rpc_url)))?;
        let from = signer.address();
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased();
        let unreachable = |source| ConfigError::Rpc {
            url: settings.rpc_url.clone(),
            source,
        };
        let chain_id = provider.get_chain_id().await.map_err(unreachable)?;
        if let Some(configured) = settings.chain_id {
            if configured != chain_id {
                return Err(ConfigError::WrongChain {
                    configured,
                    actual: chain_id,
                }
                .into());
            }
        }
        let (escrow, deploy_block) = if let Some(escrow) = settings.escrow {
            (escrow, 0)
        } else {
            let d = Deployment::load(&settings.deployments_dir, chain_id).map_err(ConfigError::from)?;
            (d.escrow, d.deploy_block)
        };
        let start_block = settings.start_block.unwrap_or(deploy_block);
        let code = provider.get_code_at(escrow).await.map_err(unreachable)?;
        if code.is_empty() {
            return Err(ConfigError::NoCode { escrow, chain_id }.into());
        }
        let module = GpuEscrow::new(escrow, provider.clone())
            .disputeModule()
            .call()
            .await
            .map_err(|e| ConfigError::Invalid(format!("cannot read the escrow's dispute module: {e}")))?;
        let dispute_module = (!module.is_zero()).then_some(module);
        let balance = provider.get_balance(from).await.map_err(unreachable)?;
        let required = U256::from(settings.min_balance_wei);
        if balance < required {
            return Err(ConfigError::NoFunds {
                address: from,
                balance,
                required,
            }
            .into());
        }
        let mut index = Index::open(&settings.index_path)?;
        index.bind(chain_id, escrow)?;
        let follower = index.follower(
            escrow,
            dispute_module,
            start_block,
            settings.confirmations,
            settings.max_log_range,
        )?;
        let client =
            AttestationClient::new(settings.fetch()).map_err(|e| ConfigError::Invalid(format!("HTTP client: {e}")))?;
        let webhook = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ConfigError::Invalid(format!("HTTP client: {e}")))?;
        let tx = TxSender::new(provider.clone(), from, chain_id, settings.tx());
        let in_flight = reconcile(&provider, from, &index).await?.in_flight;
        tracing::info!(target: "keeper", %escrow, ?dispute_module, chain_id, keeper = %from, start_block, cursor = follower.next_block(), "connected");
        Ok(Self {
            domain: protocol::domain(chain_id, escrow),
            settings,
            provider,
            chain_id,
            escrow,
            dispute_module,
            start_block,
            index,
            follower,
            client,
            webhook,
            tx,
            metrics,
            retry_at: HashMap::new(),
            done: HashMap::new(),
            in_flight,
        })
    }

    /// The index (read-only).
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The escrow followed.
    pub fn escrow(&self) -> Address {
        self.escrow
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The keeper's account.
    pub fn address(&self) -> Address {
        self.tx.from()
    }

    /// Follows the chain until the index reaches `head − confirmations`.
    pub async fn sync(&mut self) -> Result<u64, KeeperError> {
        loop {
            let batch = match self.follower.poll(&self.provider).await {
                Ok(batch) => batch,
                Err(e) => return Err(e.into()),
            };
            if let Err(e) = self.index.apply(&batch, &self.follower) {
                // Keep the follower where the index is.
                self.follower = self.index.follower(
                    self.escrow,
                    self.dispute_module,
                    self.start_block,
                    self.settings.confirmations,
                    self.settings.max_log_range,
                )?;
                return Err(e.into());
            }
            if let Some(block) = batch.rewound_to {
                self.forget_replaced_chain();
                tracing::warn!(target: "keeper::chain", block, "reorg: index rewound; nonce resynced, closed rentals checked again");
            }
            if !batch.events.is_empty() {
                tracing::debug!(target: "keeper::chain", events = batch.events.len(), range = ?batch.range, "indexed");
            }
            self.metrics.head_lag_blocks.set(
                i64::try_from(batch.head.saturating_sub(self.follower.next_block().saturating_sub(1)))
                    .unwrap_or(i64::MAX),
            );
            if batch.caught_up {
                return Ok(self.follower.next_block());
            }
        }
    }

    /// After a reorg: a transaction of the keeper's in the replaced blocks may be gone, so its
    /// cached nonce may be ahead of the chain's (a next transaction would wait on a nonce that
    /// cannot be mined) and a rental it closed may be open again.
    fn forget_replaced_chain(&mut self) {
        self.tx.resync();
        self.done.clear();
    }

    /// Judges the keeper's pending transactions by the chain (see [`crate::reconcile`]).
    async fn reconcile(&mut self) -> Result<(), KeeperError> {
        self.in_flight = reconcile(&self.provider, self.tx.from(), &self.index).await?.in_flight;
        Ok(())
    }

    /// Forgets the chain data in the index and rebuilds it from `start_block`.
    pub async fn reindex(&mut self) -> Result<u64, KeeperError> {
        self.index.clear_chain_data()?;
        self.follower = LogFollower::new(
            self.escrow,
            self.start_block,
            self.settings.confirmations,
            self.settings.max_log_range,
        )
        .with_dispute_module(self.dispute_module);
        self.sync().await
    }

    async fn latest(&self) -> Result<(u64, u64), KeeperError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc("eth_getBlockByNumber"))?
            .ok_or_else(|| KeeperError::Chain(protocol::ChainError::BlockNotFound(0)))?;
        Ok((block.header.number, block.header.timestamp))
    }

    /// What is due for every running rental in the index, at the latest block's time.
    pub async fn status(&self) -> Result<Vec<DueRental>, KeeperError> {
        let (_, now) = self.latest().await?;
        Ok(self
            .index
            .open_rentals()?
            .into_iter()
            .map(|rental| DueRental {
                due: classify(&rental, now, self.settings.checkpoint_interval_secs),
                rental,
            })
            .collect())
    }

    /// One round: sync, then refund, settle and checkpoint what is due (or prove the provider's
    /// misbehaviour instead), execute due dispute outcomes; sync again.
    pub async fn tick(&mut self) -> Result<TickReport, KeeperError> {
        self.sync().await?;
        self.reconcile().await?;
        let (_, now) = self.latest().await?;
        let mut report = TickReport::default();
        let mut settle = Vec::new();
        let mut refund = Vec::new();
        let mut checkpoint = Vec::new();
        let mut low = 0;
        let wall = Instant::now();
        self.done.retain(|_, until| *until > wall);
        self.retry_at.retain(|_, until| *until > wall);
        for rental in self.index.open_rentals()? {
            let done = self.done.get(&rental.id).is_some_and(|t| *t > wall);
            if done || self.in_flight.contains(&rental.id) || self.retry_at.get(&rental.id).is_some_and(|t| *t > wall) {
                continue;
            }
            match classify(&rental, now, self.settings.checkpoint_interval_secs) {
                Due::Settle { .. } => settle.push(rental),
                Due::Refund { .. } => refund.push(rental),
                Due::Checkpoint { .. } => {
                    if self.low_balance(&rental, now)? {
                        low += 1;
                    }
                    checkpoint.push(rental);
                }
                Due::Running { .. } => {
                    if self.low_balance(&rental, now)? {
                        low += 1;
                    }
                }
                Due::ChallengeWindow { .. } => {}
            }
        }
        self.metrics.low_balance_rentals.set(low);
        self.refund_all(refund, &mut report).await?;
        self.settle_all(settle, now, &mut report).await?;
        self.checkpoint_all(checkpoint, now, &mut report).await?;
        self.execute_rulings(now, &mut report).await?;
        self.sync().await?;
        self.update_gauges().await?;
        Ok(report)
    }

    async fn update_gauges(&self) -> Result<(), KeeperError> {
        for state in RentalStatus::ALL {
            self.metrics.rentals.with_label_values(&[state.as_str()]).set(0);
        }
        for (state, n) in self.index.counts_by_status()? {
            self.metrics
                .rentals
                .with_label_values(&[state.as_str()])
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        let balance = self
            .provider
            .get_balance(self.tx.from())
            .await
            .map_err(rpc("eth_getBalance"))?;
        self.metrics.wallet_balance_wei.set(f64::from(balance));
        Ok(())
    }

    /// Alerts (once per rental) when a running rental has less than the threshold left.
    fn low_balance(&self, rental: &Rental, now: u64) -> Result<bool, KeeperError> {
        let threshold = self.settings.low_balance_alert_secs;
        let end = rental.end();
        if threshold == 0 || rental.stopped.is_some() || end <= now || end - now >= threshold {
            return Ok(false);
        }
        let left = end - now;
        if self.index.record_alert(rental.id, left)? {
            self.metrics.low_balance_alerts.inc();
            tracing::warn!(target: "keeper::alert", rental = %rental.id, renter = %rental.terms.renter, seconds_left = left, ends_at = end, "rental deposit running low");
            if let Some(url) = &self.settings.webhook_url {
                let body = serde_json::json!({
                    "alert": "low_balance",
                    "chainId": self.chain_id,
                    "escrow": self.escrow,
                    "rentalId": rental.id,
                    "renter": rental.terms.renter,
                    "offerId": rental.terms.offerId,
                    "secondsLeft": left,
                    "endsAt": end,
                    "deposit": rental.deposit.to_string(),
                });
                let request = self.webhook.post(url).json(&body);
                tokio::spawn(async move {
                    match request.send().await {
                        Ok(r) if r.status().is_success() => {}
                        Ok(r) => {
                            tracing::warn!(target: "keeper::alert", status = r.status().as_u16(), "webhook refused the alert");
                        }
                        Err(e) => tracing::warn!(target: "keeper::alert", error = %e, "webhook unreachable"),
                    }
                });
            }
        }
        Ok(true)
    }

    fn mark_done(&mut self, rental: B256) {
        let hold = Duration::from_millis(self.settings.poll_interval_ms.saturating_mul(20)).max(Duration::from_mins(1));
        self.done.insert(rental, Instant::now() + hold);
    }

    fn backoff(&mut self, rental: B256) {
        self.retry_at.insert(
            rental,
            Instant::now() + Duration::from_secs(self.settings.retry_after_secs),
        );
    }

    /// Fetches the latest attestation and checks it; on failure, falls back to a stored one that
    /// still passes. Failures are counted per provider.
    async fn attestation_for(
        &mut self,
        rental: &IndexedRental,
        now: u64,
        purpose: Purpose,
    ) -> Result<Option<SignedAttestation>, KeeperError> {
        let Some((provider, endpoint)) = self.index.endpoint_for_offer(rental.terms.offerId)? else {
            tracing::warn!(target: "keeper::fetch", rental = %rental.id, offer = rental.terms.offerId, "no provider endpoint indexed for the offer");
            return Ok(None);
        };
        let label = provider.to_string();
        let fetched = match OracleEndpoint::parse(&endpoint) {
            Ok(oracle) => self.client.fetch(&oracle, rental.id).await,
            Err(e) => Err(e.into()),
        };
        match fetched {
            Ok(signed) if !acceptance::is_evidence(&signed, rental, &self.domain) => {
                self.metrics
                    .attestation_failures
                    .with_label_values(&[label.as_str()])
                    .inc();
                tracing::warn!(target: "keeper::fetch", rental = %rental.id, %provider, "attestation not signed by the rental's attester; ignored");
            }
            Ok(signed) => match rental.check_attestation(&signed, &self.domain, now, purpose) {
                Ok(()) => {
                    self.index.record_attestation(&signed)?;
                    return Ok(Some(signed));
                }
                Err(e) => {
                    self.metrics
                        .attestation_failures
                        .with_label_values(&[label.as_str()])
                        .inc();
                    tracing::warn!(target: "keeper::fetch", rental = %rental.id, %provider, error = %e, "attestation refused; not submitting it");
                    // Signed by the attester: kept, for checkpoints or as evidence.
                    self.index.record_attestation(&signed)?;
                }
            },
            Err(e) => {
                self.metrics
                    .attestation_failures
                    .with_label_values(&[label.as_str()])
                    .inc();
                tracing::warn!(target: "keeper::fetch", rental = %rental.id, %provider, %endpoint, error = %e, "cannot fetch the attestation");
            }
        }
        for stored in self.index.attestations(rental.id)? {
            if rental.check_attestation(&stored, &self.domain, now, purpose).is_ok() {
                return Ok(Some(stored));
            }
        }
        Ok(None)
    }

    async fn refund_all(&mut self, rentals: Vec<IndexedRental>, report: &mut TickReport) -> Result<(), KeeperError> {
        for rental in rentals {
            let input: Bytes = refundCall {
                terms: rental.terms.clone(),
            }
            .abi_encode()
            .into();
            match self.execute(self.escrow, "refund", &[rental.id], input).await? {
                Outcome::Mined(receipt) => {
                    let n = count_logs::<GpuEscrow::RentalRefunded>(&receipt, &[rental.id]);
                    report.refunded += n;
                    report.txs += 1;
                    report.gas_used += receipt.gas_used;
                    self.metrics
                        .rentals_closed
                        .with_label_values(&["refund"])
                        .inc_by(n as u64);
                    self.mark_done(rental.id);
                    tracing::info!(target: "keeper::refund", rental = %rental.id, tx = %receipt.transaction_hash, "refunded");
                }
                Outcome::AlreadyClosed => {
                    report.already_closed += 1;
                    self.mark_done(rental.id);
                }
                Outcome::Failed | Outcome::NothingSettles | Outcome::Ended => report.failures += 1,
            }
        }
        Ok(())
    }

    async fn settle_all(
        &mut self,
        rentals: Vec<IndexedRental>,
        now: u64,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        let mut ready: Vec<(IndexedRental, Usage, Bytes)> = Vec::new();
        for rental in rentals {
            let signed = self.attestation_for(&rental, now, Purpose::Settle).await?;
            if self.prove_misbehaviour(&rental, report).await? {
                continue;
            }
            if let Some(signed) = signed {
                let (usage, signature) = signed.onchain_usage();
                ready.push((rental, usage, signature));
            } else {
                report.failures += 1;
                self.backoff(rental.id);
            }
        }
        let batch_size = self.settings.batch_size;
        let mut queue: Vec<Vec<(IndexedRental, Usage, Bytes)>> = Vec::new();
        while !ready.is_empty() {
            let rest = ready.split_off(ready.len().min(batch_size));
            queue.push(std::mem::replace(&mut ready, rest));
        }
        for chunk in queue {
            let ids: Vec<B256> = chunk.iter().map(|(r, _, _)| r.id).collect();
            let (kind, input): (&'static str, Bytes) = if let [(rental, usage, signature)] = chunk.as_slice() {
                let call = settleCall {
                    terms: rental.terms.clone(),
                    usage: usage.clone(),
                    signature: signature.clone(),
                };
                ("settle", call.abi_encode().into())
            } else {
                let call = settleBatchCall {
                    terms: chunk.iter().map(|c| c.0.terms.clone()).collect(),
                    usages: chunk.iter().map(|c| c.1.clone()).collect(),
                    signatures: chunk.iter().map(|c| c.2.clone()).collect(),
                };
                ("settleBatch", call.abi_encode().into())
            };
            match self.execute(self.escrow, kind, &ids, input).await? {
                Outcome::Mined(receipt) => {
                    let n = count_logs::<GpuEscrow::RentalSettled>(&receipt, &ids);
                    report.settled += n;
                    report.txs += 1;
                    report.gas_used += receipt.gas_used;
                    self.metrics
                        .rentals_closed
                        .with_label_values(&["settle"])
                        .inc_by(n as u64);
                    let skipped = SkippedSettlement::in_receipt(&receipt, self.escrow);
                    for id in ids.iter().filter(|id| !skipped.iter().any(|s| s.rental_id == **id)) {
                        self.mark_done(*id);
                    }
                    for skip in &skipped {
                        report.skipped += 1;
                        self.metrics
                            .settlements_skipped
                            .with_label_values(&[skip.reason_name()])
                            .inc();
                        self.settlement_refused(skip.rental_id, skip.already_closed() || skip.frozen(), skip, report);
                    }
                    tracing::info!(target: "keeper::settle", kind, settled = n, skipped = skipped.len(), rentals = ids.len(), gas = receipt.gas_used, tx = %receipt.transaction_hash, "settled");
                }
                Outcome::AlreadyClosed => {
                    report.already_closed += ids.len();
                    for id in &ids {
                        self.mark_done(*id);
                    }
                }
                Outcome::NothingSettles => self.diagnose(chunk, report).await?,
                Outcome::Failed | Outcome::Ended => report.failures += ids.len(),
            }
        }
        Ok(())
    }

    /// A settlement the escrow did not make (a batch item it skipped, or one whose simulation
    /// reverts): done when someone else closed the rental or a dispute froze it first (its
    /// dispute decides now); otherwise retried after the backoff, with a fresh attestation.
    fn settlement_refused(&mut self, id: B256, closed: bool, reason: &dyn std::fmt::Display, report: &mut TickReport) {
        if closed {
            report.already_closed += 1;
            self.mark_done(id);
            tracing::info!(target: "keeper::settle", rental = %id, %reason, "not settled: closed or frozen by someone else first");
        } else {
            report.failures += 1;
            self.backoff(id);
            tracing::warn!(target: "keeper::settle", rental = %id, %reason, "the escrow refused the settlement; retrying after the backoff");
        }
    }

    /// When a batch would settle nothing, finds out why from each settlement alone.
    async fn diagnose(
        &mut self,
        chunk: Vec<(IndexedRental, Usage, Bytes)>,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        for (rental, usage, signature) in chunk {
            let single: Bytes = settleCall {
                terms: rental.terms.clone(),
                usage,
                signature,
            }
            .abi_encode()
            .into();
            match self.tx.simulate(self.escrow, &single).await {
                // Settleable alone after all (the chain moved on): the next round settles it.
                Ok(_) => {}
                Err(TxError::Reverted { error, reason }) => {
                    let closed = error.as_deref().is_some_and(ContractError::closed_by_someone_else);
                    self.settlement_refused(rental.id, closed, &reason, report);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    async fn checkpoint_all(
        &mut self,
        rentals: Vec<IndexedRental>,
        now: u64,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        for rental in rentals {
            // Fetch (and store) the latest; checkpoint with the newest stored one whose challenge
            // window is over.
            let _latest = self.attestation_for(&rental, now, Purpose::Checkpoint).await?;
            if self.prove_misbehaviour(&rental, report).await? {
                continue;
            }
            let window = u64::from(rental.terms.challengeWindow);
            let usable = self.index.attestations(rental.id)?.into_iter().find(|a| {
                a.attestation.periodEnd + window <= now
                    && a.attestation.uptimeSeconds > rental.paid_seconds
                    && rental
                        .check_attestation(a, &self.domain, now, Purpose::Checkpoint)
                        .is_ok()
            });
            let Some(signed) = usable else {
                tracing::debug!(target: "keeper::checkpoint", rental = %rental.id, "no attestation past its challenge window yet");
                continue;
            };
            let (usage, signature) = signed.onchain_usage();
            let input: Bytes = checkpointCall {
                terms: rental.terms.clone(),
                usage,
                signature,
            }
            .abi_encode()
            .into();
            match self.execute(self.escrow, "checkpoint", &[rental.id], input).await? {
                Outcome::Mined(receipt) => {
                    report.checkpointed += count_logs::<GpuEscrow::Checkpointed>(&receipt, &[rental.id]);
                    report.txs += 1;
                    report.gas_used += receipt.gas_used;
                    tracing::info!(target: "keeper::checkpoint", rental = %rental.id, seq = signed.attestation.seq, tx = %receipt.transaction_hash, "checkpointed");
                }
                Outcome::AlreadyClosed => report.already_closed += 1,
                Outcome::Ended => {}
                Outcome::Failed | Outcome::NothingSettles => report.failures += 1,
            }
        }
        Ok(())
    }

    /// Proves the provider's misbehaviour from the stored attestations of `rental`, if they hold
    /// evidence: a contradicting pair (`proveEquivocation`, whole bond slashed) or one of another
    /// GPU model than the offer's (`proveWrongGpu`). `true` when the rental is closed by it (or
    /// was already), so it must not be settled.
    async fn prove_misbehaviour(
        &mut self,
        rental: &IndexedRental,
        report: &mut TickReport,
    ) -> Result<bool, KeeperError> {
        let stored = self.index.attestations(rental.id)?;
        let terms = DisputeModule::RentalTerms::from(&rental.terms);
        let (kind, label, input): (&'static str, &'static str, Bytes) = if let Some((a, b)) =
            acceptance::find_contradiction(&stored)
        {
            tracing::warn!(target: "keeper::dispute", rental = %rental.id, seq_a = a.attestation.seq, seq_b = b.attestation.seq,
                    uptime_a = a.attestation.uptimeSeconds, uptime_b = b.attestation.uptimeSeconds, "attester signed contradicting attestations");
            let ((usage_a, sig_a), (usage_b, sig_b)) = (a.onchain_usage(), b.onchain_usage());
            let call = proveEquivocationCall {
                terms,
                a: (&usage_a).into(),
                signatureA: sig_a,
                b: (&usage_b).into(),
                signatureB: sig_b,
            };
            ("proveEquivocation", "equivocation", call.abi_encode().into())
        } else if let Some(wrong) = stored
            .iter()
            .find(|s| !rental.offer_model_hash.is_zero() && s.attestation.gpuModelHash != rental.offer_model_hash)
        {
            tracing::warn!(target: "keeper::dispute", rental = %rental.id, seq = wrong.attestation.seq,
                    attested = %wrong.attestation.gpuModelHash, offered = %rental.offer_model_hash, "attester signed another GPU model than the offer's");
            let (usage, signature) = wrong.onchain_usage();
            let call = proveWrongGpuCall {
                terms,
                usage: (&usage).into(),
                signature,
            };
            ("proveWrongGpu", "wrong_gpu", call.abi_encode().into())
        } else {
            return Ok(false);
        };
        let Some(module) = self.dispute_module else {
            tracing::warn!(target: "keeper::dispute", rental = %rental.id, kind, "the escrow has no dispute module; cannot submit the proof");
            self.backoff(rental.id);
            return Ok(true);
        };
        let outcome = self.execute(module, kind, &[rental.id], input).await?;
        if let Some(receipt) = self.record_dispute(rental.id, label, "proven", outcome, report) {
            report.proven += 1;
            tracing::info!(target: "keeper::dispute", rental = %rental.id, kind, tx = %receipt.transaction_hash, "proof accepted; provider slashed, renter refunded");
        }
        Ok(true)
    }

    /// Executes the outcome of every indexed dispute that is ruled or past its deadline: a ruling
    /// with `executeRuling`, a fallback with [`Self::fall_back`].
    async fn execute_rulings(&mut self, now: u64, report: &mut TickReport) -> Result<(), KeeperError> {
        let Some(module) = self.dispute_module else {
            return Ok(());
        };
        let wall = Instant::now();
        for Dispute {
            rental,
            arbitrator_dispute_id,
            deadline,
            ruling,
        } in self.index.pending_disputes()?
        {
            let waiting = |t: Option<&Instant>| t.is_some_and(|t| *t > wall);
            if waiting(self.done.get(&rental.id))
                || waiting(self.retry_at.get(&rental.id))
                || self.in_flight.contains(&rental.id)
            {
                continue;
            }
            let fallback = match ruling {
                Some(r) => r == 0,
                None if now >= deadline => true,
                None => continue,
            };
            if fallback {
                self.fall_back(module, &rental, now, report).await?;
                continue;
            }
            let outcome = self.execute_ruling(module, &rental).await?;
            if let Some(receipt) = self.record_dispute(rental.id, "ruling", "executed", outcome, report) {
                report.rulings_executed += 1;
                tracing::info!(target: "keeper::dispute", rental = %rental.id, dispute = %arbitrator_dispute_id, ?ruling, deadline, tx = %receipt.transaction_hash, "ruling executed");
            }
        }
        Ok(())
    }

    /// A dispute nobody ruled on (refused, or no ruling by its deadline) falls back to the billing
    /// rules: the keeper settles the rental with the provider's final attestation
    /// (`settleFallback`), or, when none came by the fallback's start plus the rental's grace
    /// period, closes it by the refund rules (`executeRuling`).
    async fn fall_back(
        &mut self,
        module: Address,
        rental: &IndexedRental,
        now: u64,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        let signed = self.attestation_for(rental, now, Purpose::Settle).await?;
        if self.prove_misbehaviour(rental, report).await? {
            return Ok(());
        }
        if let Some(signed) = signed {
            let (usage, signature) = signed.onchain_usage();
            let input: Bytes = settleFallbackCall {
                terms: (&rental.terms).into(),
                usage: (&usage).into(),
                signature,
            }
            .abi_encode()
            .into();
            let outcome = self.execute(module, "settleFallback", &[rental.id], input).await?;
            if let Some(receipt) = self.record_dispute(rental.id, "fallback", "settled", outcome, report) {
                report.rulings_executed += 1;
                tracing::info!(target: "keeper::dispute", rental = %rental.id, seq = signed.attestation.seq, tx = %receipt.transaction_hash, "no ruling: settled by the billing rules with the final attestation");
            }
            return Ok(());
        }
        // The fallback starts at the ruling deadline, or at a refusal (the module then stores its time as the deadline).
        let record = DisputeModule::new(module, &self.provider)
            .dispute(rental.id)
            .call()
            .await
            .map_err(|e| KeeperError::Call {
                what: "the dispute module's dispute",
                source: Box::new(e),
            })?;
        let refundable_at = record.deadline.to::<u64>() + u64::from(rental.terms.gracePeriod) + 1;
        if now < refundable_at {
            tracing::info!(target: "keeper::dispute", rental = %rental.id, refundable_at, "no ruling and no final attestation yet; refundable from then");
            self.backoff(rental.id);
            return Ok(());
        }
        let outcome = self.execute_ruling(module, rental).await?;
        if let Some(receipt) = self.record_dispute(rental.id, "fallback", "executed", outcome, report) {
            report.rulings_executed += 1;
            tracing::info!(target: "keeper::dispute", rental = %rental.id, tx = %receipt.transaction_hash, "no ruling and no final attestation: closed by the refund rules");
        }
        Ok(())
    }

    async fn execute_ruling(&mut self, module: Address, rental: &IndexedRental) -> Result<Outcome, KeeperError> {
        let input: Bytes = executeRulingCall {
            terms: (&rental.terms).into(),
        }
        .abi_encode()
        .into();
        self.execute(module, "executeRuling", &[rental.id], input).await
    }

    /// Counts the outcome of a dispute transaction on `rental` (a proof or an executed ruling) in
    /// the report and in the disputes metric under `label`, a mined one as `mined`; the rental is
    /// done unless the transaction failed. Returns the receipt of a mined one.
    fn record_dispute(
        &mut self,
        rental: B256,
        label: &str,
        mined: &str,
        outcome: Outcome,
        report: &mut TickReport,
    ) -> Option<Box<TransactionReceipt>> {
        let (result, receipt) = match outcome {
            Outcome::Mined(receipt) => {
                report.txs += 1;
                report.gas_used += receipt.gas_used;
                self.mark_done(rental);
                (mined, Some(receipt))
            }
            Outcome::AlreadyClosed => {
                report.already_closed += 1;
                self.mark_done(rental);
                ("already_closed", None)
            }
            Outcome::Failed | Outcome::NothingSettles | Outcome::Ended => {
                report.failures += 1;
                ("failed", None)
            }
        };
        self.metrics.disputes.with_label_values(&[label, result]).inc();
        receipt
    }

    /// Simulates, sends, records. A revert meaning "already closed" is success for a keeper.
    async fn execute(
        &mut self,
        to: Address,
        kind: &'static str,
        rentals: &[B256],
        input: Bytes,
    ) -> Result<Outcome, KeeperError> {
        match self.tx.simulate(to, &input).await {
            Ok(output) => {
                // Nothing would settle: every item would be skipped (`SettlementSkipped`).
                if kind == "settleBatch" && settleBatchCall::abi_decode_returns(&output).is_ok_and(|n| n.is_zero()) {
                    return Ok(Outcome::NothingSettles);
                }
            }
            Err(TxError::Reverted { error, reason }) => {
                if error.as_deref().is_some_and(ContractError::closed_by_someone_else) {
                    tracing::info!(target: "keeper::tx", kind, rentals = rentals.len(), "already closed by someone else");
                    return Ok(Outcome::AlreadyClosed);
                }
                if matches!(
                    error.as_deref(),
                    Some(ContractError::Escrow(EscrowError::GpuEscrow_RentalEnded(_)))
                ) {
                    // A checkpoint that came too late: the rental settles instead, in its own time.
                    tracing::info!(target: "keeper::tx", kind, rentals = ?rentals, "the rental ended meanwhile; it settles instead");
                    return Ok(Outcome::Ended);
                }
                self.metrics
                    .transactions
                    .with_label_values(&[kind, "simulation_reverted"])
                    .inc();
                tracing::warn!(target: "keeper::tx", kind, rentals = ?rentals, %reason, "simulation reverted; not sending");
                for id in rentals {
                    self.backoff(*id);
                }
                return Ok(Outcome::Failed);
            }
            Err(e) => {
                tracing::warn!(target: "keeper::tx", kind, error = %e, "simulation failed");
                return Ok(Outcome::Failed);
            }
        }
        let index = &self.index;
        let mut record_sent = |hash: B256, nonce: u64| {
            if let Err(e) = index.record_tx(&TxRecord::sent(hash, kind, nonce, rentals)) {
                // The transaction is out: its receipt is still awaited (and then recorded).
                tracing::error!(target: "keeper::tx", kind, tx = %hash, nonce, error = %e, "cannot record the sent transaction");
            }
        };
        let result = self.tx.send(to, input, &mut record_sent).await;
        match result {
            Ok(Mined {
                hash,
                nonce,
                receipt,
                bumps,
            }) => {
                let ok = receipt.status();
                let result = if ok { TxResult::Ok } else { TxResult::Reverted };
                let label = result.as_str();
                self.metrics.transactions.with_label_values(&[kind, label]).inc();
                self.metrics
                    .gas_used
                    .with_label_values(&[kind])
                    .inc_by(receipt.gas_used);
                self.index.record_tx(&TxRecord {
                    result,
                    gas_used: Some(receipt.gas_used),
                    block_number: receipt.block_number,
                    ..TxRecord::sent(hash, kind, nonce, rentals)
                })?;
                if bumps > 0 {
                    tracing::info!(target: "keeper::tx", kind, bumps, "mined after fee bumps");
                }
                if ok {
                    Ok(Outcome::Mined(Box::new(receipt)))
                } else {
                    // Lost a race between simulation and inclusion: the next round re-checks.
                    tracing::warn!(target: "keeper::tx", kind, tx = %hash, "mined but reverted (lost a race?)");
                    self.tx.resync();
                    Ok(Outcome::Failed)
                }
            }
            Err(TxError::Reverted { error, reason }) => {
                if error.as_deref().is_some_and(ContractError::closed_by_someone_else) {
                    return Ok(Outcome::AlreadyClosed);
                }
                self.metrics
                    .transactions
                    .with_label_values(&[kind, "simulation_reverted"])
                    .inc();
                tracing::warn!(target: "keeper::tx", kind, %reason, "gas estimation reverted; not sending");
                Ok(Outcome::Failed)
            }
            Err(e) => {
                self.metrics.transactions.with_label_values(&[kind, "failed"]).inc();
                tracing::warn!(target: "keeper::tx", kind, error = %e, "transaction failed; nonce resynced");
                Ok(Outcome::Failed)
            }
        }
    }

    /// Works until `shutdown` turns true: a round, then a pause. A round in progress finishes
    /// (its transactions are awaited and recorded) before the keeper stops; the cursor is
    /// persisted with every indexed batch.
    pub async fn run(&mut self, mut shutdown: tokio::sync::watch::Receiver<bool>) -> Result<(), KeeperError> {
        let pause = Duration::from_millis(self.settings.poll_interval_ms);
        loop {
            if *shutdown.borrow() {
                break;
            }
            match self.tick().await {
                Ok(report) if report != TickReport::default() => {
                    tracing::info!(target: "keeper", ?report, "round done");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(target: "keeper", error = %e, "round failed; retrying after the pause"),
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!(target: "keeper", cursor = self.follower.next_block(), "stopped; cursor persisted");
        Ok(())
    }
}

enum Outcome {
    Mined(Box<TransactionReceipt>),
    /// Closed (or frozen) by someone else first: nothing left to do.
    AlreadyClosed,
    /// A batch whose every item the escrow would skip: not sent.
    NothingSettles,
    /// A checkpoint of a rental that ended meanwhile: it settles instead.
    Ended,
    Failed,
}

/// How many logs of event `E` about one of `rentals` the receipt holds.
fn count_logs<E: SolEvent>(receipt: &TransactionReceipt, rentals: &[B256]) -> usize {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.topics().first() == Some(&E::SIGNATURE_HASH))
        .filter(|log| log.topics().get(1).is_some_and(|id| rentals.contains(id)))
        .count()
}

/// The terms type, re-exported for callers building rentals by hand.
pub type Terms = RentalTerms;

#[cfg(test)]
mod tests {
    use alloy::primitives::aliases::{U40, U96};

    use super::*;

    fn rental(stopped_at: u64) -> Rental {
        let terms = RentalTerms {
            startedAt: U40::from(1_000),
            pricePerHour: U96::from(3_600),
            challengeWindow: 100,
            gracePeriod: 1_000,
            ..Default::default()
        };
        // One unit a second: runs 1 000 → 2 000.
        let mut rental = Rental::opened(B256::ZERO, terms, U256::from(1_000));
        rental.stopped = (stopped_at != 0).then_some(protocol::rental::Stop {
            at: stopped_at,
            by: Address::ZERO,
        });
        rental
    }

    #[test]
    fn only_a_running_rental_is_checkpointed_an_ended_one_settles() {
        let interval = 60;
        assert_eq!(classify(&rental(0), 1_500, interval), Due::Checkpoint { unpaid: 500 });
        assert_eq!(
            classify(&rental(0), 2_000, interval),
            Due::ChallengeWindow { settleable_at: 2_100 }
        );
        assert_eq!(
            classify(&rental(0), 2_100, interval),
            Due::Settle {
                end: 2_000,
                deadline: 3_000
            }
        );
        // Stopped (or frozen by a dispute) at 1 200: ended, whatever is unpaid.
        assert_eq!(
            classify(&rental(1_200), 1_250, interval),
            Due::ChallengeWindow { settleable_at: 1_300 }
        );
        assert_eq!(classify(&rental(0), 3_001, interval), Due::Refund { end: 2_000 });
    }
}
