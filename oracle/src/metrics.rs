//! Prometheus metrics. GPU telemetry uses the DCGM exporter's names, units and labels
//! (`gpu`, `UUID`, `modelName`, `Hostname`) so existing GPU dashboards work unchanged; the
//! oracle's own metrics are prefixed `gpu_oracle_` and in base units.

use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

use crate::gpu::{GpuInfo, GpuStatus, SampleBatch};

/// DCGM label names, in order.
const GPU_LABELS: [&str; 4] = ["gpu", "UUID", "modelName", "Hostname"];

/// All metrics of one oracle.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    hostname: String,
    gpu_util: GaugeVec,
    power: GaugeVec,
    energy: GaugeVec,
    fb_used: GaugeVec,
    temp: GaugeVec,
    xid: GaugeVec,
    /// Attestations signed.
    pub attestations_signed: IntCounter,
    /// Time to read all GPUs once.
    pub sample_latency: Histogram,
    /// GPU queries that failed, by kind.
    pub nvml_errors: IntCounterVec,
    /// Rentals currently running on this host.
    pub active_rentals: IntGauge,
    /// Last block the chain follower has read.
    pub chain_block: IntGauge,
    /// Provisioning hook runs by result (success, failure, timeout, malformed), plus rentals
    /// whose key cannot be provisioned (invalid_key).
    pub provision_attempts: IntCounterVec,
    /// Rentals whose access is provisioned and not torn down.
    pub provisioned_rentals: IntGauge,
    /// Teardown hook runs by result (success, failure, timeout).
    pub teardowns: IntCounterVec,
    /// How long hooks ran, by action.
    pub hook_duration: HistogramVec,
    /// Access requests answered, by HTTP status.
    pub access_requests: IntCounterVec,
}

fn gauge(registry: &Registry, name: &str, help: &str) -> GaugeVec {
    let g = GaugeVec::new(Opts::new(name, help), &GPU_LABELS).unwrap_or_else(|e| unreachable!("metric {name}: {e}"));
    registry
        .register(Box::new(g.clone()))
        .unwrap_or_else(|e| unreachable!("metric {name}: {e}"));
    g
}

impl Metrics {
    /// A fresh registry; `hostname` fills the DCGM `Hostname` label.
    #[allow(clippy::missing_panics_doc)]
    pub fn new(hostname: &str) -> Self {
        let registry = Registry::new();
        let register = |c: Box<dyn prometheus::core::Collector>| {
            registry.register(c).unwrap_or_else(|e| unreachable!("metric: {e}"));
        };
        let attestations_signed = IntCounter::new("gpu_oracle_attestations_signed_total", "Usage attestations signed")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let sample_latency = Histogram::with_opts(
            HistogramOpts::new("gpu_oracle_sample_duration_seconds", "Time to read every GPU once")
                .buckets(vec![0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0]),
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let nvml_errors = IntCounterVec::new(
            Opts::new(
                "gpu_oracle_nvml_errors_total",
                "GPU queries that failed, by kind (not_responding, lost)",
            ),
            &["kind"],
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let active_rentals = IntGauge::new("gpu_oracle_active_rentals", "Rentals running on this host")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let chain_block = IntGauge::new("gpu_oracle_chain_last_block", "Last block read by the chain follower")
            .unwrap_or_else(|e| unreachable!("{e}"));
        let provision_attempts = IntCounterVec::new(
            Opts::new(
                "gpu_oracle_provision_attempts_total",
                "Provisioning hook runs by result (success, failure, timeout, malformed, invalid_key)",
            ),
            &["result"],
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let provisioned_rentals = IntGauge::new(
            "gpu_oracle_provisioned_rentals",
            "Rentals whose access is provisioned and not torn down",
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let teardowns = IntCounterVec::new(
            Opts::new(
                "gpu_oracle_teardown_total",
                "Teardown hook runs by result (success, failure, timeout)",
            ),
            &["result"],
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let hook_duration = HistogramVec::new(
            HistogramOpts::new("gpu_oracle_hook_duration_seconds", "Time a hook ran, by action")
                .buckets(vec![0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0]),
            &["action"],
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        let access_requests = IntCounterVec::new(
            Opts::new(
                "gpu_oracle_access_requests_total",
                "GET /v1/rentals/{id}/access answers, by HTTP status",
            ),
            &["status"],
        )
        .unwrap_or_else(|e| unreachable!("{e}"));
        register(Box::new(provision_attempts.clone()));
        register(Box::new(provisioned_rentals.clone()));
        register(Box::new(teardowns.clone()));
        register(Box::new(hook_duration.clone()));
        register(Box::new(access_requests.clone()));
        register(Box::new(attestations_signed.clone()));
        register(Box::new(sample_latency.clone()));
        register(Box::new(nvml_errors.clone()));
        register(Box::new(active_rentals.clone()));
        register(Box::new(chain_block.clone()));
        Self {
            gpu_util: gauge(&registry, "DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %)."),
            power: gauge(&registry, "DCGM_FI_DEV_POWER_USAGE", "Power draw (in W)."),
            energy: gauge(
                &registry,
                "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
                "Total energy consumption since boot (in mJ).",
            ),
            fb_used: gauge(&registry, "DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB)."),
            temp: gauge(&registry, "DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C)."),
            xid: gauge(
                &registry,
                "DCGM_FI_DEV_XID_ERRORS",
                "Value of the last XID error encountered.",
            ),
            hostname: hostname.to_owned(),
            registry,
            attestations_signed,
            sample_latency,
            nvml_errors,
            active_rentals,
            chain_block,
            provision_attempts,
            provisioned_rentals,
            teardowns,
            hook_duration,
            access_requests,
        }
    }

    /// Updates the GPU gauges from a sample.
    #[allow(clippy::cast_precision_loss)] // telemetry values are far below 2^52
    pub fn record_sample(&self, gpus: &[GpuInfo], batch: &SampleBatch) {
        self.sample_latency.observe(batch.latency_us as f64 / 1e6);
        for reading in &batch.readings {
            let Some(info) = gpus.iter().find(|g| g.uuid == reading.uuid) else {
                continue;
            };
            let index = info.index.to_string();
            let labels = [
                index.as_str(),
                info.uuid.as_str(),
                info.name.as_str(),
                self.hostname.as_str(),
            ];
            match &reading.status {
                GpuStatus::Ok => {}
                GpuStatus::NotResponding(_) => self.nvml_errors.with_label_values(&["not_responding"]).inc(),
                GpuStatus::Lost => self.nvml_errors.with_label_values(&["lost"]).inc(),
            }
            if let Some(u) = reading.util_pct {
                self.gpu_util.with_label_values(&labels).set(f64::from(u));
            }
            if let Some(p) = reading.power_mw {
                self.power.with_label_values(&labels).set(f64::from(p) / 1_000.0);
            }
            if let Some(e) = reading.total_energy_mj {
                self.energy.with_label_values(&labels).set(e as f64);
            }
            if let Some(m) = reading.memory_used_bytes {
                self.fb_used.with_label_values(&labels).set((m / (1024 * 1024)) as f64);
            }
            if let Some(t) = reading.temperature_c {
                self.temp.with_label_values(&labels).set(f64::from(t));
            }
            let xid = self.xid.with_label_values(&labels);
            if let Some((_, code)) = batch.xids.iter().rev().find(|(u, _)| *u == reading.uuid) {
                xid.set(*code as f64);
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(target: "oracle::metrics", error = %e, "encoding metrics failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The host name for the `Hostname` label.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}
