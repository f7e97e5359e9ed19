//! Prometheus metrics, in base units (blocks, gas, wei), served on `/metrics`.

use std::net::SocketAddr;

use axum::{extract::State, http::header, response::IntoResponse, routing::get, Router};
use prometheus::{Encoder, Gauge, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use protocol::http_server::{self, ServerLimits};

use crate::error::{ConfigError, KeeperError};

/// The keeper's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Registry holding all of them.
    pub registry: Registry,
    /// Rentals in the index by status (running, settled, refunded) and, for running ones, what is due.
    pub rentals: IntGaugeVec,
    /// Transactions by kind (settle, settleBatch, checkpoint, refund) and result (ok, reverted, failed).
    pub transactions: IntCounterVec,
    /// Gas used by mined transactions, by kind.
    pub gas_used: IntCounterVec,
    /// Rentals closed by this keeper, by kind.
    pub rentals_closed: IntCounterVec,
    /// Blocks between the chain head and the last indexed block.
    pub head_lag_blocks: IntGauge,
    /// The keeper account's balance in wei.
    pub wallet_balance_wei: Gauge,
    /// Failed attestation fetches or checks, by provider.
    pub attestation_failures: IntCounterVec,
    /// Running rentals with less than the configured time left.
    pub low_balance_rentals: IntGauge,
    /// Low-balance alerts raised.
    pub low_balance_alerts: IntCounter,
    /// Disputes this keeper acted on, by kind (equivocation, wrong_gpu, ruling, fallback) and
    /// outcome (proven, executed, already_closed, failed).
    pub disputes: IntCounterVec,
    /// Rentals that the keeper's `settleBatch` left alone (`SettlementSkipped`), by the escrow's
    /// reason (`GpuEscrow_StaleSeq`, `GpuEscrow_RentalNotActive`, …).
    pub settlements_skipped: IntCounterVec,
}

fn must<T>(result: Result<T, prometheus::Error>) -> T {
    // Metric definitions are static: a failure is a programming error caught by the unit test.
    #[allow(clippy::expect_used)]
    result.expect("valid, uniquely named metric")
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> Self {
        let registry = Registry::new();
        let rentals = must(IntGaugeVec::new(
            Opts::new("gpu_keeper_rentals", "Rentals in the index by state"),
            &["state"],
        ));
        let transactions = must(IntCounterVec::new(
            Opts::new("gpu_keeper_transactions_total", "Transactions sent by kind and result"),
            &["kind", "result"],
        ));
        let gas_used = must(IntCounterVec::new(
            Opts::new("gpu_keeper_gas_used_total", "Gas used by mined transactions, by kind"),
            &["kind"],
        ));
        let rentals_closed = must(IntCounterVec::new(
            Opts::new(
                "gpu_keeper_rentals_closed_total",
                "Rentals this keeper settled or refunded",
            ),
            &["kind"],
        ));
        let head_lag_blocks = must(IntGauge::new(
            "gpu_keeper_head_lag_blocks",
            "Blocks between the chain head and the indexed block",
        ));
        let wallet_balance_wei = must(Gauge::new(
            "gpu_keeper_wallet_balance_wei",
            "Keeper account balance in wei",
        ));
        let attestation_failures = must(IntCounterVec::new(
            Opts::new(
                "gpu_keeper_attestation_fetch_failures_total",
                "Attestations that could not be fetched or failed the local checks, by provider",
            ),
            &["provider"],
        ));
        let low_balance_rentals = must(IntGauge::new(
            "gpu_keeper_low_balance_rentals",
            "Running rentals with less than the alert threshold of time left",
        ));
        let low_balance_alerts = must(IntCounter::new(
            "gpu_keeper_low_balance_alerts_total",
            "Low-balance alerts raised",
        ));
        let disputes = must(IntCounterVec::new(
            Opts::new(
                "gpu_keeper_disputes_total",
                "Slashing proofs submitted and dispute outcomes executed, by kind and outcome",
            ),
            &["kind", "outcome"],
        ));
        let settlements_skipped = must(IntCounterVec::new(
            Opts::new(
                "gpu_keeper_settlements_skipped_total",
                "Rentals the keeper's settleBatch skipped, by the escrow's reason",
            ),
            &["reason"],
        ));
        for c in [
            Box::new(rentals.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(transactions.clone()),
            Box::new(gas_used.clone()),
            Box::new(rentals_closed.clone()),
            Box::new(head_lag_blocks.clone()),
            Box::new(wallet_balance_wei.clone()),
            Box::new(attestation_failures.clone()),
            Box::new(low_balance_rentals.clone()),
            Box::new(low_balance_alerts.clone()),
            Box::new(disputes.clone()),
            Box::new(settlements_skipped.clone()),
        ] {
            must(registry.register(c));
        }
        Self {
            registry,
            rentals,
            transactions,
            gas_used,
            rentals_closed,
            head_lag_blocks,
            wallet_balance_wei,
            attestation_failures,
            low_balance_rentals,
            low_balance_alerts,
            disputes,
            settlements_skipped,
        }
    }

    /// The metrics in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut buf) {
            tracing::warn!(target: "keeper::metrics", error = %e, "cannot encode metrics");
        }
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// Serves `/metrics` on `addr` within `limits` (connection cap, timeouts) until the process
    /// ends; returns the bound address. Refuses a cap that leaves too few file descriptors.
    pub async fn serve(&self, addr: SocketAddr, limits: ServerLimits) -> Result<SocketAddr, KeeperError> {
        http_server::reserve_descriptors(limits.max_connections).map_err(ConfigError::Metrics)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| KeeperError::Metrics {
                addr: addr.to_string(),
                source,
            })?;
        let bound = listener.local_addr().map_err(|source| KeeperError::Metrics {
            addr: addr.to_string(),
            source,
        })?;
        let app = Router::new().route("/metrics", get(render)).with_state(self.clone());
        tokio::spawn(http_server::serve(listener, app, limits, std::future::pending()));
        Ok(bound)
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

async fn render(State(metrics): State<Metrics>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_registers_and_renders() {
        let m = Metrics::new();
        m.transactions.with_label_values(&["settle", "ok"]).inc();
        m.rentals.with_label_values(&["running"]).set(3);
        m.disputes.with_label_values(&["equivocation", "proven"]).inc();
        m.settlements_skipped.with_label_values(&["GpuEscrow_StaleSeq"]).inc();
        let text = m.render();
        assert!(text.contains("gpu_keeper_settlements_skipped_total{reason=\"GpuEscrow_StaleSeq\"} 1"));
        assert!(text.contains("gpu_keeper_disputes_total{kind=\"equivocation\",outcome=\"proven\"} 1"));
        assert!(text.contains("gpu_keeper_transactions_total{kind=\"settle\",result=\"ok\"} 1"));
        assert!(text.contains("gpu_keeper_rentals{state=\"running\"} 3"));
    }
}
