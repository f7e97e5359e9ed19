//! A mock GPU source for machines without a GPU and for tests, chosen explicitly
//! (`--mock-gpus N`), never as a silent fallback. A fault plan injects failures at given seconds
//! after the source was created:
//!
//! ```toml
//! [[faults]]
//! gpu = 1                 # NVML index
//! at = 30                 # seconds after start
//! kind = "unresponsive"   # queries fail (e.g. a hung GPU) ...
//! duration = 20           # ... for 20 s (omit: until the end)
//!
//! [[faults]]
//! gpu = 0
//! at = 90
//! kind = "xid"            # reports an Xid event; a fatal one marks the GPU down until restart
//! xid = 79
//!
//! [[faults]]
//! gpu = 2
//! at = 120
//! kind = "fell-off-bus"   # NVML_ERROR_GPU_IS_LOST from then on (or for `duration`)
//! ```
//!
//! The same plan may be written as JSON (`{"faults":[{"gpu":1,"at":30,"kind":"unresponsive"}]}`);
//! the file extension decides.

use std::{path::Path, sync::Arc};

use serde::Deserialize;

use super::{GpuInfo, GpuReading, GpuSource, GpuStatus, Inventory, XidEvent};
use crate::{clock::Clock, error::GpuError};

/// Default model name of mock GPUs.
pub const DEFAULT_MOCK_MODEL: &str = "NVIDIA H100 80GB HBM3";

/// Failures to inject into a mock source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultPlan {
    /// The faults, in any order.
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// One injected failure.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// NVML index of the GPU.
    pub gpu: u32,
    /// Seconds after the source started.
    pub at: u64,
    /// What happens.
    pub kind: FaultKind,
    /// How many seconds it lasts (`unresponsive`, `fell-off-bus`); omitted: until the end.
    #[serde(default)]
    pub duration: Option<u64>,
    /// The Xid code (`xid` only; default 79, fallen off the bus).
    #[serde(default)]
    pub xid: Option<u64>,
}

/// Kinds of injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Every query of the GPU fails with a timeout.
    Unresponsive,
    /// The GPU reports an Xid event once.
    Xid,
    /// The GPU is lost (`NVML_ERROR_GPU_IS_LOST`).
    FellOffBus,
}

impl FaultPlan {
    /// Reads a plan from a `.toml` or `.json` file.
    pub fn from_file(path: &Path) -> Result<Self, GpuError> {
        let text = std::fs::read_to_string(path).map_err(|e| GpuError::FaultPlan {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        let parsed = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            toml::from_str(&text).map_err(|e| e.to_string())
        };
        parsed.map_err(|reason| GpuError::FaultPlan {
            path: path.to_owned(),
            reason,
        })
    }

    fn active(&self, gpu: u32, kind: FaultKind, elapsed: u64) -> bool {
        self.faults.iter().any(|f| {
            f.gpu == gpu
                && f.kind == kind
                && elapsed >= f.at
                && f.duration.is_none_or(|d| elapsed < f.at.saturating_add(d))
        })
    }
}

/// The UUID of mock GPU `index`: stable, so configs and tests can name it.
pub fn mock_uuid(index: u32) -> String {
    format!("GPU-00000000-0000-4000-8000-{index:012}")
}

/// `n` identical GPUs that answer with plausible telemetry, plus the failures of a plan.
pub struct MockSource {
    gpus: Vec<GpuInfo>,
    plan: FaultPlan,
    clock: Arc<dyn Clock>,
    started_ms: u64,
    last_ms: u64,
    energy_mj: Vec<u64>,
    xids_sent: Vec<bool>,
    pending_xids: Vec<XidEvent>,
}

impl std::fmt::Debug for MockSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockSource")
            .field("gpus", &self.gpus)
            .field("plan", &self.plan)
            .finish_non_exhaustive()
    }
}

/// Power draw of a mock GPU, milliwatts.
const MOCK_POWER_MW: u32 = 350_000;
/// Framebuffer of a mock GPU: 80 GiB.
const MOCK_MEMORY_BYTES: u64 = 80 * 1024 * 1024 * 1024;

impl MockSource {
    /// `count` GPUs named `model`, starting now on `clock`.
    pub fn new(count: u32, model: &str, plan: FaultPlan, clock: Arc<dyn Clock>) -> Self {
        let gpus = (0..count)
            .map(|index| GpuInfo {
                index,
                uuid: mock_uuid(index),
                name: model.to_owned(),
                memory_total_bytes: MOCK_MEMORY_BYTES,
            })
            .collect();
        let started_ms = clock.now_ms();
        let faults = plan.faults.len();
        Self {
            gpus,
            plan,
            clock,
            started_ms,
            last_ms: started_ms,
            energy_mj: vec![0; count as usize],
            xids_sent: vec![false; faults],
            pending_xids: Vec::new(),
        }
    }
}

impl GpuSource for MockSource {
    fn inventory(&mut self) -> Result<Inventory, GpuError> {
        Ok(Inventory {
            driver_version: "mock".into(),
            gpus: self.gpus.clone(),
        })
    }

    fn sample(&mut self) -> Vec<GpuReading> {
        let now = self.clock.now_ms();
        let elapsed = now.saturating_sub(self.started_ms) / 1_000;
        let dt_ms = now.saturating_sub(self.last_ms);
        self.last_ms = now;
        for (i, fault) in self.plan.faults.iter().enumerate() {
            if fault.kind == FaultKind::Xid && elapsed >= fault.at && !self.xids_sent[i] {
                self.xids_sent[i] = true;
                self.pending_xids.push(XidEvent {
                    index: fault.gpu,
                    xid: fault.xid.unwrap_or(79),
                });
            }
        }
        self.gpus
            .iter()
            .zip(self.energy_mj.iter_mut())
            .map(|(gpu, energy)| {
                if self.plan.active(gpu.index, FaultKind::FellOffBus, elapsed) {
                    return GpuReading::failed(&gpu.uuid, GpuStatus::Lost);
                }
                if self.plan.active(gpu.index, FaultKind::Unresponsive, elapsed) {
                    return GpuReading::failed(&gpu.uuid, GpuStatus::NotResponding("timeout".into()));
                }
                *energy += u64::from(MOCK_POWER_MW) * dt_ms / 1_000;
                GpuReading {
                    uuid: gpu.uuid.clone(),
                    status: GpuStatus::Ok,
                    util_pct: Some(90 + gpu.index % 10),
                    memory_used_bytes: Some(MOCK_MEMORY_BYTES / 2),
                    memory_total_bytes: Some(MOCK_MEMORY_BYTES),
                    power_mw: Some(MOCK_POWER_MW),
                    total_energy_mj: Some(*energy),
                    temperature_c: Some(60),
                    ecc_uncorrected: Some(0),
                }
            })
            .collect()
    }

    fn take_xid_events(&mut self) -> Vec<XidEvent> {
        std::mem::take(&mut self.pending_xids)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{clock::ManualClock, gpu::Sampler};

    fn plan(toml_text: &str) -> FaultPlan {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn fault_plan_parses_from_toml_and_json() {
        let t = plan("[[faults]]\ngpu = 1\nat = 30\nkind = \"unresponsive\"\nduration = 20\n");
        let j: FaultPlan =
            serde_json::from_str(r#"{"faults":[{"gpu":1,"at":30,"kind":"unresponsive","duration":20}]}"#).unwrap();
        assert_eq!(t, j);
        assert!(toml::from_str::<FaultPlan>("[[faults]]\ngpu = 1\nat = 3\nkind = \"melted\"\n").is_err());
    }

    #[test]
    fn injected_faults_make_the_gpu_unhealthy_for_their_duration() {
        let clock = Arc::new(ManualClock::at_ms(1_000_000));
        let plan = plan(
            "[[faults]]\ngpu = 1\nat = 2\nkind = \"unresponsive\"\nduration = 2\n\
             [[faults]]\ngpu = 0\nat = 5\nkind = \"xid\"\nxid = 79\n\
             [[faults]]\ngpu = 2\nat = 1\nkind = \"fell-off-bus\"\nduration = 1\n\
             [[faults]]\ngpu = 2\nat = 3\nkind = \"xid\"\nxid = 13\n",
        );
        let mut source = MockSource::new(3, DEFAULT_MOCK_MODEL, plan, clock.clone());
        let inventory = source.inventory().unwrap();
        let mut sampler = Sampler::new(Box::new(source), clock.clone(), &inventory);
        let mut health = Vec::new();
        for _ in 0..7 {
            health.push(sampler.sample_once().healthy);
            clock.advance_ms(1_000);
        }
        assert_eq!(
            health,
            vec![
                vec![true, true, true],
                vec![true, true, false], // gpu 2 off the bus for 1 s
                vec![true, false, true], // gpu 1 unresponsive at 2..4
                vec![true, false, true], // non-fatal Xid 13 on gpu 2 changes nothing
                vec![true, true, true],
                vec![false, true, true], // fatal Xid 79 on gpu 0: down from then on
                vec![false, true, true],
            ]
        );
    }
}
