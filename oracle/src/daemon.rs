//! The daemon: wires the sampler thread, the chain follower, the periodic tick and the HTTP API
//! around one [`Engine`], and on shutdown signs and persists a last attestation for every
//! running rental.

use std::{
    future::Future,
    sync::{atomic::Ordering, Arc, Mutex},
    time::Duration,
};

use alloy::{primitives::Address, providers::DynProvider};
use protocol::{http_server::ServerLimits, FollowBatch, LogFollower};
use tokio::{net::TcpListener, sync::mpsc, task::JoinHandle};

use crate::{
    access::{worker, AccessHooks},
    clock::Clock,
    engine::Engine,
    error::{EngineError, OracleError},
    gpu::Sampler,
    http::{self, AccessGate, ApiState, Status},
    metrics::Metrics,
    store::ChainCursor,
};

/// Everything the daemon runs.
pub struct Daemon {
    /// The core.
    pub engine: Arc<Mutex<Engine>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// The GPU sampler (moved to its own thread).
    pub sampler: Sampler,
    /// RPC provider.
    pub provider: DynProvider,
    /// Chain follower, positioned at the saved cursor.
    pub follower: LogFollower,
    /// Chain id (for the saved cursor).
    pub chain_id: u64,
    /// Time between chain polls once caught up.
    pub poll_interval: Duration,
    /// The bound HTTP listener.
    pub listener: TcpListener,
    /// Connection cap and timeouts of the HTTP API.
    pub http_limits: ServerLimits,
    /// Access delivery hooks (`None`: none configured).
    pub access: Option<AccessHooks>,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

/// Runs until `shutdown` completes, then signs a last attestation for the running rentals.
pub async fn run(daemon: Daemon, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), OracleError> {
    let Daemon {
        engine,
        metrics,
        clock,
        sampler,
        provider,
        follower,
        chain_id,
        poll_interval,
        listener,
        http_limits,
        access,
    } = daemon;
    let status = Arc::new(Status::default());

    // Samples: NVML blocks, so the sampler has its own thread and hands batches over a channel.
    let (tx, mut rx) = mpsc::channel(16);
    sampler
        .spawn(move |batch| tx.blocking_send(batch).is_ok())
        .map_err(|source| OracleError::Io {
            context: "spawning the sampler thread".into(),
            source,
        })?;
    let samples = {
        let (engine, status) = (engine.clone(), status.clone());
        tokio::spawn(async move {
            while let Some(batch) = rx.recv().await {
                status.last_sample_ms.store(batch.at_ms, Ordering::Relaxed);
                if let Ok(mut e) = engine.lock() {
                    e.record_samples(&batch);
                }
            }
        })
    };

    let ticks = spawn_ticks(engine.clone(), clock.clone());
    let chain = spawn_chain(
        engine.clone(),
        metrics.clone(),
        status.clone(),
        provider,
        follower,
        chain_id,
        poll_interval,
    );

    let gate = Arc::new(AccessGate::new(access.is_some()));
    // Hooks run on their own tasks: the 1 Hz accounting never waits for one.
    let hooks = access.map(|hooks| {
        worker::spawn(
            engine.clone(),
            worker::Provisioner::new(hooks, metrics.clone()),
            clock.clone(),
        )
    });

    let api = http::router(ApiState {
        engine: engine.clone(),
        metrics,
        clock: clock.clone(),
        status,
        access: gate,
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(protocol::http_server::serve(listener, api, http_limits, async {
        let _ = stop_rx.await;
    }));

    shutdown.await;
    tracing::info!(target: "oracle::daemon", "shutting down: signing a last attestation for running rentals");
    ticks.abort();
    chain.abort();
    if let Some(hooks) = hooks {
        // Hooks still running are killed; provisioning and teardown state is durable, so they run
        // again after the restart.
        hooks.abort();
    }
    let now = clock.now_secs();
    let signed = tokio::task::spawn_blocking(move || -> Result<usize, EngineError> {
        let mut e = engine.lock().map_err(|_| EngineError::Poisoned)?;
        e.tick(now)?;
        e.sign_all_running(now)
    })
    .await
    .map_err(|e| OracleError::Io {
        context: "final signing task".into(),
        source: std::io::Error::other(e),
    })??;
    tracing::info!(target: "oracle::daemon", signed, "last attestations persisted and signed");
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    samples.abort();
    Ok(())
}

/// Once a second: advance the accounting and sign what is due.
fn spawn_ticks(engine: Arc<Mutex<Engine>>, clock: Arc<dyn Clock>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            interval.tick().await;
            let (engine, now) = (engine.clone(), clock.now_secs());
            let result = tokio::task::spawn_blocking(move || engine.lock().map(|mut e| e.tick(now)).ok()).await;
            if let Ok(Some(Err(e))) = result {
                tracing::error!(target: "oracle::engine", error = %e, "tick failed: nothing was signed");
            }
        }
    })
}

fn spawn_chain(
    engine: Arc<Mutex<Engine>>,
    metrics: Arc<Metrics>,
    status: Arc<Status>,
    provider: DynProvider,
    mut follower: LogFollower,
    chain_id: u64,
    poll_interval: Duration,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let before = follower.clone();
            let caught_up = match follower.poll(&provider).await {
                Ok(batch) => {
                    let caught_up = batch.caught_up;
                    let cursor = cursor(chain_id, follower.escrow(), &follower);
                    if let Err(e) = apply(engine.clone(), batch, cursor).await {
                        tracing::error!(target: "oracle::chain", error = %e, "applying events failed; will read them again");
                        follower = before;
                        true
                    } else {
                        let block = follower.next_block().saturating_sub(1);
                        status.chain_block.store(block, Ordering::Relaxed);
                        metrics.chain_block.set(i64::try_from(block).unwrap_or(i64::MAX));
                        caught_up
                    }
                }
                Err(e) => {
                    tracing::warn!(target: "oracle::chain", error = %e, "polling the chain failed; retrying");
                    true
                }
            };
            if caught_up {
                tokio::time::sleep(poll_interval).await;
            }
        }
    })
}

fn cursor(chain_id: u64, escrow: Address, follower: &LogFollower) -> ChainCursor {
    ChainCursor {
        chain_id,
        escrow,
        next_block: follower.next_block(),
        recent_blocks: follower.recent_blocks().collect(),
    }
}

async fn apply(engine: Arc<Mutex<Engine>>, batch: FollowBatch, cursor: ChainCursor) -> Result<(), OracleError> {
    tokio::task::spawn_blocking(move || -> Result<(), OracleError> {
        let mut e = engine.lock().map_err(|_| EngineError::Poisoned)?;
        if let Some(block) = batch.rewound_to {
            tracing::warn!(target: "oracle::chain", block, "reorg: rewinding");
            e.rewind(block)?;
        }
        for event in &batch.events {
            e.apply(event)?;
        }
        e.store().save_cursor(&cursor)?;
        Ok(())
    })
    .await
    .map_err(|e| OracleError::Io {
        context: "applying chain events".into(),
        source: std::io::Error::other(e),
    })?
}
