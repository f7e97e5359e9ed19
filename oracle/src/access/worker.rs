//! When hooks run. Every half second the worker asks the engine which hook runs are due
//! ([`Engine::access_jobs`]), starts each one not already running or waiting for its retry on its
//! own task, and records the outcome in the engine (durably) when it ends. A failed run is
//! retried after `retry_initial`, doubling per consecutive failure up to `retry_max`; a
//! provisioning hook is retried until the rental ends, a teardown hook until it succeeds. The
//! 1 Hz accounting never waits for a hook: hooks only hold the engine's lock to record an outcome.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::primitives::B256;
use tokio::{sync::mpsc, task::JoinHandle};

use super::{
    hook::{self, HookError},
    AccessHooks, AccessJob, Action, ConnectionDetails,
};
use crate::{clock::Clock, engine::Engine, error::EngineError, metrics::Metrics};

/// How often the worker looks for due hook runs.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The outcome of one hook run: connection details from a provisioning hook, nothing from a
/// teardown hook.
pub type Outcome = Result<Option<ConnectionDetails>, HookError>;

/// Which hook runs are under way and when failed ones may run again.
#[derive(Debug)]
pub struct Provisioner {
    hooks: Arc<AccessHooks>,
    metrics: Arc<Metrics>,
    running: HashSet<B256>,
    failures: HashMap<(B256, Action), u32>,
    retry_at_ms: HashMap<(B256, Action), u64>,
}

impl Provisioner {
    /// A provisioner running `hooks`.
    pub fn new(hooks: AccessHooks, metrics: Arc<Metrics>) -> Self {
        for result in ["success", "failure", "timeout", "malformed", "invalid_key"] {
            metrics.provision_attempts.with_label_values(&[result]);
        }
        for result in ["success", "failure", "timeout"] {
            metrics.teardowns.with_label_values(&[result]);
        }
        Self {
            hooks: Arc::new(hooks),
            metrics,
            running: HashSet::new(),
            failures: HashMap::new(),
            retry_at_ms: HashMap::new(),
        }
    }

    /// The hooks.
    pub fn hooks(&self) -> &Arc<AccessHooks> {
        &self.hooks
    }

    /// The due runs to start at `now_ms`, marked as running (one hook at a time per rental).
    pub fn start_due(&mut self, engine: &Engine, now_ms: u64) -> Vec<AccessJob> {
        let jobs: Vec<AccessJob> = engine
            .access_jobs(now_ms / 1_000)
            .into_iter()
            .filter(|job| {
                let key = (job.input.rental_id, job.action);
                !self.running.contains(&job.input.rental_id)
                    && self.retry_at_ms.get(&key).is_none_or(|at| *at <= now_ms)
            })
            .collect();
        for job in &jobs {
            self.running.insert(job.input.rental_id);
            tracing::info!(target: "oracle::access", rental = %job.input.rental_id, action = job.action.as_str(),
                gpus = ?job.input.gpu_uuids, "running hook");
        }
        jobs
    }

    /// Records the outcome of `job`, which ran for `took` and ended at `now_ms`: in the engine
    /// (durable when this returns), in the logs and the metrics, and schedules a retry on failure.
    pub fn finish(
        &mut self,
        engine: &mut Engine,
        job: &AccessJob,
        outcome: Outcome,
        took: Duration,
        now_ms: u64,
    ) -> Result<(), EngineError> {
        let id = job.input.rental_id;
        let key = (id, job.action);
        self.running.remove(&id);
        self.metrics
            .hook_duration
            .with_label_values(&[job.action.as_str()])
            .observe(took.as_secs_f64());
        let succeeded = outcome.is_ok();
        let result = match &outcome {
            Ok(_) => "success",
            Err(e) => e.kind(),
        };
        match job.action {
            Action::Provision => self.metrics.provision_attempts.with_label_values(&[result]).inc(),
            Action::Teardown => self.metrics.teardowns.with_label_values(&[result]).inc(),
        }
        let recorded = match (job.action, outcome) {
            (Action::Provision, Ok(details)) => {
                let details = details.ok_or_else(|| "provisioning hook returned no connection details".to_owned());
                if let Ok(d) = &details {
                    tracing::info!(target: "oracle::access", rental = %id, host = %d.host, port = d.port, user = %d.user,
                        took_ms = took.as_millis(), "access provisioned: uptime counts from now");
                }
                engine.record_provision(id, details, now_ms)
            }
            (Action::Teardown, Ok(_)) => {
                tracing::info!(target: "oracle::access", rental = %id, took_ms = took.as_millis(), "access removed");
                engine.record_teardown(id, Ok(()), now_ms / 1_000)
            }
            (action, Err(e)) => {
                let failures = self.failures.entry(key).or_insert(0);
                *failures = failures.saturating_add(1);
                let wait = self.hooks.backoff(*failures);
                self.retry_at_ms.insert(
                    key,
                    now_ms.saturating_add(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)),
                );
                tracing::warn!(target: "oracle::access", rental = %id, action = action.as_str(), error = %e,
                    failures = *failures, retry_in_s = wait.as_secs_f64(), "hook failed; will retry");
                let message = format!("{} hook: {e}", action.as_str());
                match action {
                    Action::Provision => engine.record_provision(id, Err(message), now_ms),
                    Action::Teardown => engine.record_teardown(id, Err(message), now_ms / 1_000),
                }
            }
        };
        if succeeded {
            self.failures.remove(&key);
            self.retry_at_ms.remove(&key);
        }
        recorded
    }
}

/// Runs the hook of `job`.
pub async fn run_job(hooks: &AccessHooks, job: &AccessJob) -> Outcome {
    match job.action {
        Action::Provision => hook::provision(hooks, &job.input).await.map(Some),
        Action::Teardown => hook::teardown(hooks, &job.input).await.map(|()| None),
    }
}

/// The worker task. Aborting it kills the hooks it is running (they run again after a restart:
/// hooks must be idempotent).
pub fn spawn(engine: Arc<Mutex<Engine>>, provisioner: Provisioner, clock: Arc<dyn Clock>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let provisioner = Arc::new(Mutex::new(provisioner));
        let (tx, mut rx) = mpsc::unbounded_channel::<(AccessJob, Outcome, Duration)>();
        let mut running = tokio::task::JoinSet::new();
        let mut interval = tokio::time::interval(POLL_INTERVAL);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = interval.tick() => {
                    let now_ms = clock.now_ms();
                    let (jobs, hooks) = {
                        let (Ok(engine), Ok(mut p)) = (engine.lock(), provisioner.lock()) else {
                            tracing::error!(target: "oracle::access", "engine state poisoned: no hook runs until a restart");
                            return;
                        };
                        (p.start_due(&engine, now_ms), p.hooks().clone())
                    };
                    for job in jobs {
                        let (hooks, tx) = (hooks.clone(), tx.clone());
                        running.spawn(async move {
                            let started = Instant::now();
                            let outcome = run_job(&hooks, &job).await;
                            let _ = tx.send((job, outcome, started.elapsed()));
                        });
                    }
                }
                Some((job, outcome, took)) = rx.recv() => {
                    let now_ms = clock.now_ms();
                    let (engine, provisioner) = (engine.clone(), provisioner.clone());
                    // Recording fsyncs: off the async workers.
                    let recorded = tokio::task::spawn_blocking(move || -> Result<(), EngineError> {
                        let mut e = engine.lock().map_err(|_| EngineError::Poisoned)?;
                        let mut p = provisioner.lock().map_err(|_| EngineError::Poisoned)?;
                        p.finish(&mut e, &job, outcome, took, now_ms)
                    })
                    .await;
                    match recorded {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => tracing::error!(target: "oracle::access", error = %e,
                            "recording a hook outcome failed; the hook runs again"),
                        Err(e) => tracing::error!(target: "oracle::access", error = %e, "recording task failed"),
                    }
                }
                Some(_) = running.join_next() => {}
            }
        }
    })
}
