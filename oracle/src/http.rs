//! The HTTP API (routes and bodies in `protocol::oracle_api`):
//!
//! - `GET  /v1/rentals/{id}/attestation`: the latest signed attestation (JSON = `protocol::SignedAttestation`);
//! - `POST /v1/rentals/{id}/attestation`: signs a fresh one now and returns it;
//! - `GET  /v1/rentals/{id}/usage`: live uptime, elapsed, utilisation, energy;
//! - `GET  /v1/rentals/{id}/access`: the connection details, to the renter only (signed request,
//!   see [`crate::access::auth`]);
//! - `GET  /healthz`: 200 while the GPUs are sampled, 503 when sampling stalled;
//! - `GET  /metrics`: Prometheus text format.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, Mutex,
};

use alloy::primitives::B256;
use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderName, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use protocol::oracle_api::{
    AccessAnswer, ErrorBody, ACCESS_ROUTE, ACCESS_SIGNATURE_HEADER, ACCESS_TIMESTAMP_HEADER, ATTESTATION_ROUTE,
    HEALTH_ROUTE, METRICS_ROUTE, USAGE_ROUTE,
};
use serde_json::json;
use tower_http::cors::{Any, CorsLayer};

use crate::{
    access::{
        auth::{self, AuthError, ReplayCache},
        AccessStatus,
    },
    clock::Clock,
    engine::Engine,
    error::EngineError,
    metrics::Metrics,
};

/// Sampling is considered stalled when the last sample is older than this.
pub const STALL_MS: u64 = 5_000;

/// Liveness facts the daemon updates.
#[derive(Debug, Default)]
pub struct Status {
    /// When the last GPU sample was recorded, Unix ms.
    pub last_sample_ms: AtomicU64,
    /// Last block the chain follower read.
    pub chain_block: AtomicU64,
}

/// What the access endpoint needs besides the engine.
#[derive(Debug, Default)]
pub struct AccessGate {
    /// A provisioning hook is configured.
    pub enabled: bool,
    /// Signed requests already served.
    pub replay: Mutex<ReplayCache>,
}

impl AccessGate {
    /// A gate for an oracle with (`enabled`) or without a provisioning hook.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            replay: Mutex::new(ReplayCache::default()),
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct ApiState {
    /// The engine.
    pub engine: Arc<Mutex<Engine>>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Clock.
    pub clock: Arc<dyn Clock>,
    /// Liveness.
    pub status: Arc<Status>,
    /// Access requests.
    pub access: Arc<AccessGate>,
}

impl std::fmt::Debug for ApiState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiState").finish_non_exhaustive()
    }
}

/// Any origin may read and request: the dApp runs in renters' browsers on any host. Nothing here relies on
/// cookies or ambient credentials; `/access` is authorized by the renter's signature in its own headers.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            HeaderName::from_static(ACCESS_TIMESTAMP_HEADER),
            HeaderName::from_static(ACCESS_SIGNATURE_HEADER),
        ])
}

/// The router.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route(ATTESTATION_ROUTE, get(get_attestation).post(post_attestation))
        .route(USAGE_ROUTE, get(get_usage))
        .route(ACCESS_ROUTE, get(get_access))
        .route(HEALTH_ROUTE, get(healthz))
        .route(METRICS_ROUTE, get(metrics))
        .layer(cors())
        .with_state(state)
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(ErrorBody { error: message.into() })).into_response()
}

#[allow(clippy::result_large_err)] // the error is the response itself
fn parse_id(id: &str) -> Result<B256, Response> {
    id.parse::<B256>().map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            format!("{id:?} is not a 32-byte hex rental id"),
        )
    })
}

#[allow(clippy::result_large_err)]
fn lock(state: &ApiState) -> Result<std::sync::MutexGuard<'_, Engine>, Response> {
    state
        .engine
        .lock()
        .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "engine state poisoned"))
}

async fn get_attestation(State(state): State<ApiState>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let engine = match lock(&state) {
        Ok(e) => e,
        Err(r) => return r,
    };
    match engine.latest(id) {
        Some(signed) => Json(signed).into_response(),
        None if engine.usage(id, 0).is_some() => error(StatusCode::NOT_FOUND, "no attestation signed yet"),
        None => error(StatusCode::NOT_FOUND, format!("unknown rental {id}")),
    }
}

async fn post_attestation(State(state): State<ApiState>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let now = state.clock.now_secs();
    let engine = state.engine.clone();
    // Signing persists first (fsync): off the async workers.
    let result = tokio::task::spawn_blocking(move || {
        engine
            .lock()
            .map_err(|_| EngineError::Poisoned)
            .and_then(|mut e| e.attest_now(id, now))
    })
    .await;
    match result {
        Ok(Ok(signed)) => Json(signed).into_response(),
        Ok(Err(EngineError::UnknownRental(_))) => error(StatusCode::NOT_FOUND, format!("unknown rental {id}")),
        Ok(Err(e)) => {
            tracing::error!(target: "oracle::http", rental = %id, error = %e, "signing on request failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

async fn get_usage(State(state): State<ApiState>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let now = state.clock.now_secs();
    match lock(&state).map(|e| e.usage(id, now)) {
        Ok(Some(view)) => Json(view).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("unknown rental {id}")),
        Err(r) => r,
    }
}

async fn get_access(State(state): State<ApiState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let response = access_response(&state, &id, &headers);
    state
        .metrics
        .access_requests
        .with_label_values(&[response.status().as_str()])
        .inc();
    response
}

fn refuse(e: &AuthError) -> Response {
    error(
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED),
        e.to_string(),
    )
}

/// A header's value; a value that is not visible ASCII reads as malformed.
fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

fn access_response(state: &ApiState, id: &str, headers: &HeaderMap) -> Response {
    let id = match parse_id(id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let now = state.clock.now_secs();
    let (chain_id, escrow, found) = match lock(state) {
        Ok(e) => (e.config().chain_id, e.config().escrow, e.access_status(id, now)),
        Err(r) => return r,
    };
    if !state.access.enabled {
        return match found {
            None => error(StatusCode::NOT_FOUND, format!("unknown rental {id}")),
            Some(_) => error(
                StatusCode::NOT_IMPLEMENTED,
                "this oracle delivers no access details: its operator configured no provisioning hook ([access] provision); ask the provider how to reach the GPUs",
            ),
        };
    }
    let request = match auth::parse_headers(
        header_value(headers, ACCESS_TIMESTAMP_HEADER),
        header_value(headers, ACCESS_SIGNATURE_HEADER),
    ) {
        Ok(r) => r,
        Err(e) => return refuse(&e),
    };
    if let Err(e) = auth::check_fresh(request.timestamp, now) {
        return refuse(&e);
    }
    let Some((renter, status)) = found else {
        return error(StatusCode::NOT_FOUND, format!("unknown rental {id}"));
    };
    let signer = match auth::recover_signer(&request, chain_id, escrow, id) {
        Ok(a) => a,
        Err(e) => return refuse(&e),
    };
    if signer != renter {
        return refuse(&AuthError::NotRenter { signer });
    }
    let admitted = match state.access.replay.lock() {
        Ok(mut cache) => cache.admit(id, request.timestamp, signer, now),
        Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "replay cache poisoned"),
    };
    if let Err(e) = admitted {
        return refuse(&e);
    }
    match status {
        AccessStatus::Ready(details) => Json(AccessAnswer::ready(id, details)).into_response(),
        AccessStatus::Provisioning { attempts, last_error } => (
            StatusCode::ACCEPTED,
            Json(AccessAnswer::Provisioning {
                rental_id: id,
                attempts,
                last_error,
            }),
        )
            .into_response(),
        AccessStatus::Ended => error(
            StatusCode::GONE,
            format!("rental {id:#x} has ended: its access is removed"),
        ),
        AccessStatus::Failed(reason) => error(StatusCode::UNPROCESSABLE_ENTITY, reason),
        AccessStatus::NotManaged => error(
            StatusCode::NOT_IMPLEMENTED,
            "this rental opened before access delivery was configured on this host: ask the provider how to reach the GPUs",
        ),
    }
}

async fn healthz(State(state): State<ApiState>) -> Response {
    let now = state.clock.now_ms();
    let last = state.status.last_sample_ms.load(Ordering::Relaxed);
    let age = now.saturating_sub(last);
    let sampling = last != 0 && age <= STALL_MS;
    let body = json!({
        "status": if sampling { "ok" } else { "sampling stalled" },
        "lastSampleAgeMs": if last == 0 { None } else { Some(age) },
        "chainBlock": state.status.chain_block.load(Ordering::Relaxed),
    });
    let code = if sampling {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(body)).into_response()
}

async fn metrics(State(state): State<ApiState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.metrics.render(),
    )
        .into_response()
}
