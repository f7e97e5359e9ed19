//! The HTTP server that the oracle's API and the keeper's metrics share (feature `http-server`):
//! an axum router served by hyper's HTTP/1 connections from a bounded accept loop.
//!
//! Both servers face the network, so a client that opens connections and sends nothing must not
//! be able to use up the process's file descriptors (the oracle opens its state files to sign) or
//! hold the server:
//!
//! - at most `max_connections` connections are served at once; one more is accepted and closed at
//!   once, so it holds its descriptor for no longer than that;
//! - a client has `header_read_timeout` to send a request's headers, on a new connection and
//!   between the requests of a kept-alive one (hyper starts the timer again once a response is
//!   written), so an idle connection is closed after that long;
//! - a request whose handler takes longer than `request_timeout` is answered 408;
//! - a connection is closed after `max_connection_age` however busy, once its current response is
//!   written (which gets `request_timeout` more), so a client that never reads what it asked for
//!   cannot keep its place for ever;
//! - [`reserve_descriptors`] raises the soft `RLIMIT_NOFILE` towards the hard limit at start-up and
//!   refuses a cap that would leave fewer than [`RESERVED_DESCRIPTORS`] descriptors to the rest of
//!   the process.

use std::{future::Future, sync::Arc, time::Duration};

use axum::{http::StatusCode, Router};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use serde::{Deserialize, Serialize};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{watch, OwnedSemaphorePermit, Semaphore},
    task::JoinSet,
    time::Instant,
};
use tower_http::timeout::TimeoutLayer;

use crate::error::HttpServerError;

/// Descriptors kept for everything but the served connections: the listener, state files, RPC
/// connections, hooks' pipes, logs.
pub const RESERVED_DESCRIPTORS: u64 = 256;
/// The soft `RLIMIT_NOFILE` [`reserve_descriptors`] asks for (at most the hard limit): the shipped
/// systemd units' `LimitNOFILE`.
pub const NOFILE_TARGET: u64 = 65_536;

/// Default most connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Default seconds a client has to send a request's headers (also the keep-alive idle time).
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Default seconds a handler may take.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 10;
/// Default seconds a connection is served before it is closed.
pub const DEFAULT_MAX_CONNECTION_AGE_SECS: u64 = 60;

/// Pause after a failed `accept` (out of descriptors, mostly), instead of spinning on it.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);
/// Least time between two warnings about refused connections.
const REFUSAL_WARNING_EVERY: Duration = Duration::from_secs(10);

/// The limits as a config file, the environment or flags give them; every field optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerLimitsConfig {
    /// Most connections served at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u64>,
    /// Seconds a client has to send a request's headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_read_timeout_secs: Option<u64>,
    /// Seconds a handler may take before the request is answered 408.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<u64>,
    /// Seconds a connection is served before it is closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connection_age_secs: Option<u64>,
}

impl ServerLimitsConfig {
    /// The limits, defaults filled in, validated.
    pub fn resolve(&self) -> Result<ServerLimits, HttpServerError> {
        let max_connections = self
            .max_connections
            .unwrap_or(u64::try_from(DEFAULT_MAX_CONNECTIONS).unwrap_or(u64::MAX));
        if !(1..=1_000_000).contains(&max_connections) {
            return Err(invalid(
                "max_connections",
                format!("{max_connections} is outside 1..=1000000"),
            ));
        }
        let secs = |field: &'static str, value: Option<u64>, default: u64| {
            let value = value.unwrap_or(default);
            if (1..=3_600).contains(&value) {
                Ok(Duration::from_secs(value))
            } else {
                Err(invalid(field, format!("{value} is outside 1..=3600")))
            }
        };
        let header_read_timeout = secs(
            "header_read_timeout_secs",
            self.header_read_timeout_secs,
            DEFAULT_HEADER_READ_TIMEOUT_SECS,
        )?;
        let request_timeout = secs(
            "request_timeout_secs",
            self.request_timeout_secs,
            DEFAULT_REQUEST_TIMEOUT_SECS,
        )?;
        let max_connection_age = secs(
            "max_connection_age_secs",
            self.max_connection_age_secs,
            DEFAULT_MAX_CONNECTION_AGE_SECS,
        )?;
        if max_connection_age < header_read_timeout {
            return Err(invalid(
                "max_connection_age_secs",
                format!(
                    "{} is below header_read_timeout_secs ({}): every connection would be closed before its first request",
                    max_connection_age.as_secs(),
                    header_read_timeout.as_secs()
                ),
            ));
        }
        Ok(ServerLimits {
            max_connections: usize::try_from(max_connections).unwrap_or(usize::MAX),
            header_read_timeout,
            request_timeout,
            max_connection_age,
        })
    }
}

fn invalid(field: &'static str, reason: String) -> HttpServerError {
    HttpServerError::Invalid { field, reason }
}

/// Validated limits of one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Most connections served at once.
    pub max_connections: usize,
    /// Time a client has to send a request's headers (also the keep-alive idle time).
    pub header_read_timeout: Duration,
    /// Time a handler may take.
    pub request_timeout: Duration,
    /// Time a connection is served before it is closed.
    pub max_connection_age: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
            max_connection_age: Duration::from_secs(DEFAULT_MAX_CONNECTION_AGE_SECS),
        }
    }
}

/// Raises the soft `RLIMIT_NOFILE` towards [`NOFILE_TARGET`] (never above the hard limit) and
/// checks that `max_connections` leaves [`RESERVED_DESCRIPTORS`] to the rest of the process.
/// Returns the soft limit now in force. Servers sharing one process pass their summed cap.
pub fn reserve_descriptors(max_connections: usize) -> Result<u64, HttpServerError> {
    let soft = rlimit::increase_nofile_limit(NOFILE_TARGET).map_err(HttpServerError::Rlimit)?;
    let needed = u64::try_from(max_connections)
        .unwrap_or(u64::MAX)
        .saturating_add(RESERVED_DESCRIPTORS);
    if needed > soft {
        let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).map_err(HttpServerError::Rlimit)?;
        return Err(HttpServerError::Descriptors {
            max_connections,
            needed,
            soft,
            hard,
        });
    }
    Ok(soft)
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then stops accepting,
/// lets each connection finish its current request (for at most `request_timeout`) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let service = TowerToHyperService::new(router.layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        limits.request_timeout,
    )));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let places = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut refusals = Refusals::default();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(target: "http_server", error = %e, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        // Finished connections are reaped here, so the set holds at most the cap.
        while connections.try_join_next().is_some() {}
        let Ok(place) = places.clone().try_acquire_owned() else {
            drop(stream);
            refusals.record(limits.max_connections);
            continue;
        };
        connections.spawn(connection(
            stream,
            http.clone(),
            service.clone(),
            limits,
            stopping.clone(),
            place,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(limits.request_timeout, drained).await;
}

/// Serves one connection until the client closes it, a timeout closes it, its age is up or the
/// server stops; `_place` frees its place under the cap when dropped.
async fn connection(
    stream: TcpStream,
    http: http1::Builder,
    service: TowerToHyperService<Router>,
    limits: ServerLimits,
    mut stopping: watch::Receiver<bool>,
    _place: OwnedSemaphorePermit,
) {
    let conn = http.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(target: "http_server", error = %e, "connection closed");
            }
            return;
        }
        () = tokio::time::sleep(limits.max_connection_age) => {}
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.request_timeout, conn).await;
}

/// Connections refused at the cap, warned about at most every [`REFUSAL_WARNING_EVERY`].
#[derive(Debug, Default)]
struct Refusals {
    since_warning: u64,
    warned_at: Option<Instant>,
}

impl Refusals {
    fn record(&mut self, cap: usize) {
        self.since_warning += 1;
        if self.warned_at.is_none_or(|at| at.elapsed() >= REFUSAL_WARNING_EVERY) {
            tracing::warn!(target: "http_server", refused = self.since_warning, cap,
                "connection cap reached: closing new connections at once");
            self.since_warning = 0;
            self.warned_at = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_limits_are_kept_and_the_rest_defaulted() {
        let limits = ServerLimitsConfig {
            max_connections: Some(32),
            header_read_timeout_secs: Some(5),
            ..ServerLimitsConfig::default()
        }
        .resolve()
        .unwrap();
        assert_eq!(limits.max_connections, 32);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(5));
        assert_eq!(limits.request_timeout, ServerLimits::default().request_timeout);
        assert_eq!(
            ServerLimitsConfig::default().resolve().unwrap(),
            ServerLimits::default()
        );
    }

    #[test]
    fn out_of_range_limits_are_refused_by_name() {
        let bad = |config: ServerLimitsConfig| config.resolve().unwrap_err().to_string();
        let err = bad(ServerLimitsConfig {
            max_connections: Some(0),
            ..ServerLimitsConfig::default()
        });
        assert!(err.contains("max_connections"), "{err}");
        let err = bad(ServerLimitsConfig {
            request_timeout_secs: Some(0),
            ..ServerLimitsConfig::default()
        });
        assert!(err.contains("request_timeout_secs"), "{err}");
        let err = bad(ServerLimitsConfig {
            header_read_timeout_secs: Some(30),
            max_connection_age_secs: Some(20),
            ..ServerLimitsConfig::default()
        });
        assert!(err.contains("below header_read_timeout_secs"), "{err}");
    }

    #[test]
    fn a_cap_above_the_descriptor_limit_is_refused() {
        let soft = reserve_descriptors(1).unwrap();
        assert!(soft > RESERVED_DESCRIPTORS);
        let err = reserve_descriptors(usize::try_from(soft).unwrap()).unwrap_err();
        assert!(err.to_string().contains("LimitNOFILE"), "{err}");
    }
}
