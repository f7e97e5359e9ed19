//! The NVML source: the real GPUs through `libnvidia-ml.so.1`.
//!
//! Every call blocks (NVML may take hundreds of milliseconds on a sick GPU), so this source is
//! only ever driven from the sampler's dedicated thread. Xid errors arrive through an NVML event
//! set that the sampler waits on between samples.

use nvml_wrapper::{
    bitmasks::event::EventTypes,
    enum_wrappers::device::{EccCounter, MemoryError, TemperatureSensor},
    enums::event::XidError,
    error::NvmlError,
    Device, EventSet, Nvml,
};

use super::{GpuInfo, GpuReading, GpuSource, GpuStatus, Inventory, XidEvent};
use crate::error::GpuError;

/// The GPUs NVML sees.
pub struct NvmlSource {
    nvml: &'static Nvml,
    devices: Vec<(GpuInfo, Device<'static>)>,
    events: Option<EventSet<'static>>,
    pending: Vec<XidEvent>,
}

impl std::fmt::Debug for NvmlSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvmlSource")
            .field("gpus", &self.devices.len())
            .finish_non_exhaustive()
    }
}

/// Turns an NVML init failure into an error that says how to fix it.
fn init_error(error: &NvmlError) -> GpuError {
    let reason = match error {
        NvmlError::LibloadingError(e) => format!(
            "cannot load the NVIDIA Management Library (libnvidia-ml.so.1): {e}. Install the NVIDIA driver, or run \
             with --mock-gpus N on a machine without GPUs"
        ),
        NvmlError::DriverNotLoaded => {
            "the NVIDIA kernel driver is not loaded: load it (nvidia-smi should work), or run with --mock-gpus N".into()
        }
        NvmlError::NoPermission => "no permission to use NVML: run the oracle as a user that may read the GPUs".into(),
        other => format!("NVML failed to initialise: {other}"),
    };
    GpuError::NvmlUnavailable(reason)
}

fn nvml_err(context: &str, error: &NvmlError) -> GpuError {
    GpuError::Nvml(format!("{context}: {error}"))
}

impl NvmlSource {
    /// Loads NVML and enumerates the GPUs; registers for critical Xid events where supported.
    pub fn open() -> Result<Self, GpuError> {
        let nvml: &'static Nvml = Box::leak(Box::new(Nvml::init().map_err(|e| init_error(&e))?));
        let count = nvml.device_count().map_err(|e| nvml_err("device count", &e))?;
        let mut devices = Vec::new();
        let mut events = Some(nvml.create_event_set().map_err(|e| nvml_err("event set", &e))?);
        for index in 0..count {
            let device = nvml.device_by_index(index).map_err(|e| nvml_err("device", &e))?;
            let info = GpuInfo {
                index,
                uuid: device.uuid().map_err(|e| nvml_err("uuid", &e))?,
                name: device.name().map_err(|e| nvml_err("name", &e))?,
                memory_total_bytes: device.memory_info().map_or(0, |m| m.total),
            };
            if let Some(set) = events.take() {
                match device.register_events(EventTypes::CRITICAL_XID_ERROR, set) {
                    Ok(set) => events = Some(set),
                    Err(e) => tracing::warn!(target: "oracle::nvml", gpu = %info.uuid, error = %e.error,
                        "cannot register for Xid events; Xid errors will not be seen"),
                }
            }
            devices.push((info, device));
        }
        Ok(Self {
            nvml,
            devices,
            events,
            pending: Vec::new(),
        })
    }
}

fn read(info: &GpuInfo, device: &Device<'static>) -> GpuReading {
    // The UUID is the liveness probe: a lost or hung GPU fails it.
    match device.uuid() {
        Ok(_) => {}
        Err(NvmlError::GpuLost) => return GpuReading::failed(&info.uuid, GpuStatus::Lost),
        Err(e) => return GpuReading::failed(&info.uuid, GpuStatus::NotResponding(e.to_string())),
    }
    let memory = device.memory_info().ok();
    GpuReading {
        uuid: info.uuid.clone(),
        status: GpuStatus::Ok,
        util_pct: device.utilization_rates().ok().map(|u| u.gpu),
        memory_used_bytes: memory.as_ref().map(|m| m.used),
        memory_total_bytes: memory.as_ref().map(|m| m.total),
        power_mw: device.power_usage().ok(),
        total_energy_mj: device.total_energy_consumption().ok(),
        temperature_c: device.temperature(TemperatureSensor::Gpu).ok(),
        ecc_uncorrected: device
            .total_ecc_errors(MemoryError::Uncorrected, EccCounter::Volatile)
            .ok(),
    }
}

impl GpuSource for NvmlSource {
    fn inventory(&mut self) -> Result<Inventory, GpuError> {
        Ok(Inventory {
            driver_version: self
                .nvml
                .sys_driver_version()
                .map_err(|e| nvml_err("driver version", &e))?,
            gpus: self.devices.iter().map(|(info, _)| info.clone()).collect(),
        })
    }

    fn sample(&mut self) -> Vec<GpuReading> {
        self.devices.iter().map(|(info, device)| read(info, device)).collect()
    }

    fn wait(&mut self, timeout: std::time::Duration) {
        let Some(events) = &self.events else {
            std::thread::sleep(timeout);
            return;
        };
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return;
            }
            match events.wait(u32::try_from(left.as_millis()).unwrap_or(u32::MAX)) {
                Ok(data) => {
                    let index = data.device.index().unwrap_or(u32::MAX);
                    let xid = match data.event_data {
                        Some(XidError::Value(v)) => v,
                        _ => 0,
                    };
                    self.pending.push(XidEvent { index, xid });
                }
                Err(NvmlError::Timeout) => return,
                Err(e) => {
                    tracing::warn!(target: "oracle::nvml", error = %e, "waiting for NVML events failed");
                    std::thread::sleep(left);
                    return;
                }
            }
        }
    }

    fn take_xid_events(&mut self) -> Vec<XidEvent> {
        std::mem::take(&mut self.pending)
    }
}
