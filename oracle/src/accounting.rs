//! Uptime accounting. The sampler records, per GPU and per second, whether the GPU answered and
//! was healthy ([`History`]); a rental's second counts as up only when *every* GPU assigned to it
//! has a healthy record for that second. A second without a record (the oracle was down, the
//! sampler stalled, the GPU hung) is down: the oracle never vouches for time it did not see.
//!
//! Seconds are Unix seconds; the sample taken during second `s` decides `s`. A rental's seconds
//! run from `startedAt` (inclusive) to its end (exclusive), so `uptime ≤ periodEnd − startedAt`
//! holds by construction. Only seconds strictly before the current one are classified, so
//! `periodEnd ≤ now`.

use std::{collections::HashMap, ops::Range};

use crate::{gpu::SampleBatch, store::UsageCounters};

/// How many seconds of per-GPU history are kept: long enough to classify the seconds between a
/// rental's start and the moment its event is confirmed and seen.
pub const HISTORY_SECONDS: usize = 3_600;

/// One GPU during one second.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecondRecord {
    /// Answered and healthy.
    pub healthy: bool,
    /// Utilisation, basis points.
    pub util_bps: u16,
    /// Energy used during the second, millijoules.
    pub energy_mj: u32,
}

#[derive(Debug, Clone)]
struct GpuHistory {
    /// Ring indexed by `second % HISTORY_SECONDS`, tagged with the second it holds.
    slots: Vec<Option<(u64, SecondRecord)>>,
    last_energy_mj: Option<u64>,
}

impl GpuHistory {
    fn new() -> Self {
        Self {
            slots: vec![None; HISTORY_SECONDS],
            last_energy_mj: None,
        }
    }

    fn slot(second: u64) -> usize {
        // HISTORY_SECONDS fits in u64 and the remainder is below it, so both casts are lossless.
        usize::try_from(second % HISTORY_SECONDS as u64).unwrap_or(0)
    }

    fn put(&mut self, second: u64, record: SecondRecord) {
        let slot = &mut self.slots[Self::slot(second)];
        *slot = match *slot {
            // Two samples in one second (jitter): up only if both were.
            Some((s, old)) if s == second => Some((
                second,
                SecondRecord {
                    healthy: old.healthy && record.healthy,
                    util_bps: record.util_bps,
                    energy_mj: old.energy_mj.saturating_add(record.energy_mj),
                },
            )),
            _ => Some((second, record)),
        };
    }

    fn get(&self, second: u64) -> Option<SecondRecord> {
        match self.slots[Self::slot(second)] {
            Some((s, record)) if s == second => Some(record),
            _ => None,
        }
    }
}

/// Per-GPU, per-second health of the recent past.
#[derive(Debug, Clone, Default)]
pub struct History {
    gpus: HashMap<String, GpuHistory>,
}

impl History {
    /// Records a sample batch for the second it was taken in.
    pub fn record(&mut self, batch: &SampleBatch) {
        let second = batch.at_ms / 1_000;
        for (reading, healthy) in batch.readings.iter().zip(&batch.healthy) {
            let gpu = self.gpus.entry(reading.uuid.clone()).or_insert_with(GpuHistory::new);
            // Energy from the driver's counter where it has one, else power × 1 s.
            let energy = match (reading.total_energy_mj, gpu.last_energy_mj) {
                (Some(now), Some(before)) => now.saturating_sub(before),
                _ => reading.power_mw.map_or(0, u64::from),
            };
            if reading.total_energy_mj.is_some() {
                gpu.last_energy_mj = reading.total_energy_mj;
            }
            let util_bps = reading
                .util_pct
                .map_or(0, |u| u16::try_from(u.min(100) * 100).unwrap_or(10_000));
            gpu.put(
                second,
                SecondRecord {
                    healthy: *healthy,
                    util_bps,
                    energy_mj: u32::try_from(energy).unwrap_or(u32::MAX),
                },
            );
        }
    }

    /// What is known about `uuid` during `second`.
    pub fn get(&self, uuid: &str, second: u64) -> Option<SecondRecord> {
        self.gpus.get(uuid).and_then(|g| g.get(second))
    }

    /// Whether every GPU of `gpus` (at least one) was up during `second`.
    pub fn all_up(&self, gpus: &[String], second: u64) -> bool {
        !gpus.is_empty() && gpus.iter().all(|g| self.get(g, second).is_some_and(|r| r.healthy))
    }

    /// Classifies the seconds `[counters.counted_until, until)` for a rental on `gpus`.
    pub fn advance(&self, counters: &mut UsageCounters, gpus: &[String], until: u64) {
        self.advance_within(counters, gpus, until, &(0..u64::MAX));
    }

    /// [`History::advance`] for a rental whose seconds outside `eligible` are down whatever the
    /// GPUs did: its access was not provisioned yet (an empty range: not at all) or was removed.
    pub fn advance_within(&self, counters: &mut UsageCounters, gpus: &[String], until: u64, eligible: &Range<u64>) {
        for second in counters.counted_until..until {
            let records: Vec<Option<SecondRecord>> = gpus.iter().map(|g| self.get(g, second)).collect();
            let energy: u64 = records.iter().flatten().map(|r| u64::from(r.energy_mj)).sum();
            counters.energy_mj = counters.energy_mj.saturating_add(energy);
            let up = eligible.contains(&second)
                && !records.is_empty()
                && records.iter().all(|r| r.is_some_and(|r| r.healthy));
            if up {
                counters.uptime += 1;
                let util: u64 = records.iter().flatten().map(|r| u64::from(r.util_bps)).sum();
                counters.util_bps_sum += util / records.len() as u64;
            }
        }
        counters.counted_until = counters.counted_until.max(until);
    }

    /// Up seconds of a rental on `gpus` in `[from, to)`, from what is still in the history;
    /// seconds outside `eligible` are down.
    pub fn up_seconds(&self, gpus: &[String], from: u64, to: u64, eligible: &Range<u64>) -> u64 {
        (from.max(eligible.start)..to.min(eligible.end))
            .map(|s| u64::from(self.all_up(gpus, s)))
            .sum()
    }
}

/// Mean utilisation over the up seconds, basis points.
pub fn avg_util_bps(counters: &UsageCounters) -> u16 {
    if counters.uptime == 0 {
        return 0;
    }
    u16::try_from(counters.util_bps_sum / counters.uptime).unwrap_or(10_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::{GpuReading, GpuStatus};

    fn reading(uuid: &str, ok: bool) -> GpuReading {
        if !ok {
            return GpuReading::failed(uuid, GpuStatus::NotResponding("timeout".into()));
        }
        GpuReading {
            util_pct: Some(50),
            power_mw: Some(300_000),
            total_energy_mj: None,
            ..GpuReading::failed(uuid, GpuStatus::Ok)
        }
    }

    /// Records one sample per second from `from` for `health.len()` seconds; `health[i][g]` is
    /// GPU g's health at second `from + i`; `None` means no sample at all that second.
    fn history(from: u64, gpus: &[&str], health: &[Option<Vec<bool>>]) -> History {
        let mut h = History::default();
        for (i, row) in health.iter().enumerate() {
            let Some(row) = row else { continue };
            let readings: Vec<_> = gpus.iter().zip(row).map(|(g, ok)| reading(g, *ok)).collect();
            h.record(&SampleBatch {
                at_ms: (from + i as u64) * 1_000 + 100,
                healthy: row.clone(),
                readings,
                xids: vec![],
                latency_us: 0,
            });
        }
        h
    }

    fn gpus(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn every_healthy_second_counts_as_up() {
        let h = history(100, &["a"], &vec![Some(vec![true]); 10]);
        let mut c = UsageCounters {
            counted_until: 100,
            ..Default::default()
        };
        h.advance(&mut c, &gpus(&["a"]), 110);
        assert_eq!((c.uptime, c.counted_until), (10, 110));
        assert_eq!(c.energy_mj, 10 * 300_000);
        assert_eq!(avg_util_bps(&c), 5_000);
    }

    #[test]
    fn a_second_without_a_sample_counts_as_down() {
        // The oracle was down at 103 and 104 (no sample at all).
        let mut rows = vec![Some(vec![true]); 10];
        rows[3] = None;
        rows[4] = None;
        let h = history(100, &["a"], &rows);
        let mut c = UsageCounters {
            counted_until: 100,
            ..Default::default()
        };
        h.advance(&mut c, &gpus(&["a"]), 110);
        assert_eq!(c.uptime, 8);
    }

    #[test]
    fn a_second_is_up_only_when_every_assigned_gpu_is_healthy() {
        let rows = vec![
            Some(vec![true, true]),
            Some(vec![true, false]),
            Some(vec![false, true]),
            Some(vec![true, true]),
        ];
        let h = history(100, &["a", "b"], &rows);
        let mut both = UsageCounters {
            counted_until: 100,
            ..Default::default()
        };
        h.advance(&mut both, &gpus(&["a", "b"]), 104);
        assert_eq!(both.uptime, 2);
        // A rental on `a` alone is only hurt by `a`'s failure.
        let mut only_a = UsageCounters {
            counted_until: 100,
            ..Default::default()
        };
        h.advance(&mut only_a, &gpus(&["a"]), 104);
        assert_eq!(only_a.uptime, 3);
        // A rental with no GPU assigned is never up.
        let mut none = UsageCounters {
            counted_until: 100,
            ..Default::default()
        };
        h.advance(&mut none, &[], 104);
        assert_eq!(none.uptime, 0);
    }

    #[test]
    fn a_rental_starting_mid_history_counts_from_its_start_second_only() {
        let h = history(100, &["a"], &vec![Some(vec![true]); 20]);
        let mut c = UsageCounters {
            counted_until: 113,
            ..Default::default()
        };
        // Advancing "backwards" or to the same second changes nothing.
        h.advance(&mut c, &gpus(&["a"]), 113);
        h.advance(&mut c, &gpus(&["a"]), 110);
        assert_eq!((c.uptime, c.counted_until), (0, 113));
        h.advance(&mut c, &gpus(&["a"]), 117);
        assert_eq!(c.uptime, 4);
        assert_eq!(h.up_seconds(&gpus(&["a"]), 115, 117, &(0..u64::MAX)), 2);
        assert_eq!(h.up_seconds(&gpus(&["a"]), 115, 117, &(116..u64::MAX)), 1);
        assert_eq!(h.up_seconds(&gpus(&["a"]), 110, 117, &(112..114)), 2);
    }

    #[test]
    fn seconds_without_provisioned_access_count_as_down() {
        let h = history(100, &["a"], &vec![Some(vec![true]); 20]);
        let mut c = UsageCounters {
            counted_until: 100,
            ..Default::default()
        };
        // Not provisioned yet: healthy GPUs, still down.
        h.advance_within(&mut c, &gpus(&["a"]), 105, &(u64::MAX..u64::MAX));
        assert_eq!((c.uptime, c.counted_until), (0, 105));
        // Provisioned from 108 on, removed from 118 on.
        h.advance_within(&mut c, &gpus(&["a"]), 120, &(108..118));
        assert_eq!((c.uptime, c.counted_until), (10, 120));
        assert_eq!(avg_util_bps(&c), 5_000, "utilisation averages the up seconds only");
    }

    #[test]
    fn two_samples_in_one_second_are_up_only_if_both_were() {
        let mut h = history(100, &["a"], &[Some(vec![true])]);
        h.record(&SampleBatch {
            at_ms: 100_900,
            readings: vec![reading("a", false)],
            healthy: vec![false],
            xids: vec![],
            latency_us: 0,
        });
        assert!(!h.all_up(&gpus(&["a"]), 100));
    }

    #[test]
    fn history_older_than_the_ring_is_forgotten() {
        let mut h = history(100, &["a"], &[Some(vec![true])]);
        assert!(h.all_up(&gpus(&["a"]), 100));
        h.record(&SampleBatch {
            at_ms: (100 + HISTORY_SECONDS as u64) * 1_000,
            readings: vec![reading("a", true)],
            healthy: vec![true],
            xids: vec![],
            latency_us: 0,
        });
        assert!(!h.all_up(&gpus(&["a"]), 100), "slot reused by a later second");
    }
}
