//! The keeper's work loop: follow the chain into the index, find what is due ([`crate::due`]) and
//! act on it. Each kind of work has its module: `settlement` (refund, settle, checkpoint),
//! `disputes` (slashing proofs, rulings, fallbacks), `alerts` (low balance); `oracles`
//! gets the attestation a transaction carries and `executor` sends it.

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::Eip712Domain,
};
use protocol::{bindings::GpuEscrow, chain::LogFollower, rental::RentalStatus, Deployment};

use crate::{
    attestations::AttestationClient,
    config::Settings,
    due::{classify, Due, DueRental},
    error::{ConfigError, KeeperError},
    index::Index,
    metrics::Metrics,
    reconcile::reconcile,
    tx::TxSender,
};

mod alerts;
mod disputes;
mod executor;
mod oracles;
mod settlement;

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

    /// One round: sync, then refund what is due, ask the oracles of the rentals due for settlement
    /// or a checkpoint for their attestations (all at once), settle and checkpoint them (or prove
    /// the provider's misbehaviour instead), execute due dispute outcomes; sync again.
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
        let mut answers = self.ask_oracles(settle.iter().chain(&checkpoint)).await?;
        self.settle_all(settle, &mut answers, now, &mut report).await?;
        self.checkpoint_all(checkpoint, &mut answers, now, &mut report).await?;
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
