//! Reading the GPUs: the [`GpuSource`] trait, its NVML and mock implementations, and the
//! [`Sampler`] that reads a source once per second on a dedicated thread (NVML calls block, so
//! they never run on the async executor).

pub mod mock;
pub mod nvml;

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use serde::Serialize;

use crate::{clock::Clock, error::GpuError};

/// Xid codes after which a GPU cannot serve work until it is reset (NVIDIA's Xid catalog: double
/// bit ECC, PMU/GSP halts, NVLink failure, fallen off the bus, uncontained ECC, row remap
/// failure). A GPU that reports one stays unhealthy until the oracle restarts (after the reset).
pub const FATAL_XIDS: [u64; 10] = [48, 61, 62, 64, 74, 79, 95, 119, 120, 140];

/// What identifies a GPU, read once at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuInfo {
    /// NVML index.
    pub index: u32,
    /// NVML UUID, e.g. `GPU-5d8c9a2e-…`.
    pub uuid: String,
    /// NVML device name, e.g. `NVIDIA H100 80GB HBM3` (hashed into `gpuModelHash`).
    pub name: String,
    /// Framebuffer memory, bytes.
    pub memory_total_bytes: u64,
}

/// The GPUs a source sees and the driver they run on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// Driver version as NVML reports it.
    pub driver_version: String,
    /// The GPUs, by index.
    pub gpus: Vec<GpuInfo>,
}

/// Whether a GPU answered a sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum GpuStatus {
    /// It answered.
    Ok,
    /// A query failed or timed out (the reason).
    NotResponding(String),
    /// It fell off the bus (`NVML_ERROR_GPU_IS_LOST`).
    Lost,
}

/// One GPU's telemetry from one sample. Metrics the GPU does not support are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuReading {
    /// NVML UUID.
    pub uuid: String,
    /// Whether it answered.
    pub status: GpuStatus,
    /// GPU utilisation, percent.
    pub util_pct: Option<u32>,
    /// Framebuffer used, bytes.
    pub memory_used_bytes: Option<u64>,
    /// Framebuffer total, bytes.
    pub memory_total_bytes: Option<u64>,
    /// Power draw, milliwatts.
    pub power_mw: Option<u32>,
    /// Energy used since the driver loaded, millijoules.
    pub total_energy_mj: Option<u64>,
    /// Die temperature, °C.
    pub temperature_c: Option<u32>,
    /// Uncorrected ECC errors since the driver loaded (volatile counter).
    pub ecc_uncorrected: Option<u64>,
}

impl GpuReading {
    /// A reading of a GPU that did not answer.
    pub fn failed(uuid: &str, status: GpuStatus) -> Self {
        Self {
            uuid: uuid.to_owned(),
            status,
            util_pct: None,
            memory_used_bytes: None,
            memory_total_bytes: None,
            power_mw: None,
            total_energy_mj: None,
            temperature_c: None,
            ecc_uncorrected: None,
        }
    }
}

/// An Xid error a GPU reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct XidEvent {
    /// NVML index of the GPU.
    pub index: u32,
    /// The Xid code.
    pub xid: u64,
}

/// Something that reads GPUs: NVML on a real host, a mock elsewhere. Calls may block.
pub trait GpuSource: Send {
    /// The GPUs present and the driver version.
    fn inventory(&mut self) -> Result<Inventory, GpuError>;

    /// Reads every GPU of the inventory once, in inventory order; a GPU that fails is reported
    /// with its status, never skipped.
    fn sample(&mut self) -> Vec<GpuReading>;

    /// Waits up to `timeout` (the time to the next sample), collecting Xid events.
    fn wait(&mut self, timeout: Duration) {
        std::thread::sleep(timeout);
    }

    /// The Xid events seen since the last call.
    fn take_xid_events(&mut self) -> Vec<XidEvent> {
        Vec::new()
    }
}

/// One sample of every GPU, with the health verdict per GPU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleBatch {
    /// When the sample was taken, Unix milliseconds.
    pub at_ms: u64,
    /// The readings, in inventory order.
    pub readings: Vec<GpuReading>,
    /// Per reading: answered and healthy (no fatal Xid so far, on the bus).
    pub healthy: Vec<bool>,
    /// Xid events since the previous sample, by UUID.
    pub xids: Vec<(String, u64)>,
    /// How long reading the GPUs took, microseconds.
    pub latency_us: u64,
}

/// Reads a source once per second and decides health: a GPU is healthy in a sample when it
/// answered and has not reported a fatal Xid since the oracle started.
pub struct Sampler {
    source: Box<dyn GpuSource>,
    clock: Arc<dyn Clock>,
    gpus: Vec<GpuInfo>,
    fatal: BTreeSet<String>,
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler")
            .field("gpus", &self.gpus)
            .field("fatal", &self.fatal)
            .finish_non_exhaustive()
    }
}

impl Sampler {
    /// A sampler of the GPUs in `inventory`.
    pub fn new(source: Box<dyn GpuSource>, clock: Arc<dyn Clock>, inventory: &Inventory) -> Self {
        Self {
            source,
            clock,
            gpus: inventory.gpus.clone(),
            fatal: BTreeSet::new(),
        }
    }

    /// Takes one sample now.
    pub fn sample_once(&mut self) -> SampleBatch {
        let started = std::time::Instant::now();
        let at_ms = self.clock.now_ms();
        let readings = self.source.sample();
        let mut xids = Vec::new();
        for event in self.source.take_xid_events() {
            let Some(gpu) = self.gpus.iter().find(|g| g.index == event.index) else {
                continue;
            };
            if FATAL_XIDS.contains(&event.xid) {
                tracing::error!(target: "oracle::sampler", gpu = %gpu.uuid, xid = event.xid,
                    "fatal Xid: the GPU counts as down until it is reset and the oracle restarted");
                self.fatal.insert(gpu.uuid.clone());
            } else {
                tracing::warn!(target: "oracle::sampler", gpu = %gpu.uuid, xid = event.xid, "Xid event");
            }
            xids.push((gpu.uuid.clone(), event.xid));
        }
        let healthy = readings
            .iter()
            .map(|r| r.status == GpuStatus::Ok && !self.fatal.contains(&r.uuid))
            .collect();
        SampleBatch {
            at_ms,
            readings,
            healthy,
            xids,
            latency_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        }
    }

    /// Runs on a dedicated thread: a sample ~100 ms after every wall-clock second, handed to
    /// `sink`; stops when `sink` returns false (the receiver is gone).
    pub fn spawn(
        mut self,
        mut sink: impl FnMut(SampleBatch) -> bool + Send + 'static,
    ) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("gpu-sampler".into())
            .spawn(move || loop {
                let batch = self.sample_once();
                if !sink(batch) {
                    return;
                }
                let now = self.clock.now_ms();
                let next = (now / 1_000 + 1) * 1_000 + 100;
                self.source.wait(Duration::from_millis(next.saturating_sub(now)));
            })
    }
}
