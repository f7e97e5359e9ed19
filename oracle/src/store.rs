//! Durable state: one JSON file per rental plus the chain cursor, each replaced atomically
//! (write a temp file, fsync it, rename it over the old one, fsync the directory). The engine
//! saves a rental's record with the attestation it is about to sign *before* signing, so after
//! any crash the next attestation continues from what may already have left the process.
//!
//! An exclusive lock on `<state_dir>/lock` keeps a second oracle off the same state: two
//! processes signing for one rental could contradict each other.

use std::{
    fs::{self, File, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
};

use alloy::primitives::{Address, Bytes, B256, U256};
use protocol::{
    rental::{Closure, Stop},
    UsageAttestation,
};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::{access::AccessState, error::StoreError};

/// Cumulative accounting of a rental up to `counted_until` (exclusive, Unix seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageCounters {
    /// Seconds before this one have been classified up or down.
    pub counted_until: u64,
    /// Up seconds so far.
    pub uptime: u64,
    /// Energy of the assigned GPUs over the counted seconds, millijoules.
    pub energy_mj: u64,
    /// Sum over up seconds of the assigned GPUs' mean utilisation, basis points.
    pub util_bps_sum: u64,
}

/// Everything the oracle knows about one rental, as persisted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RentalRecord {
    /// The rental id.
    pub rental_id: B256,
    /// `abi.encode(terms)`: exact, and hashes to the id.
    pub terms_abi: Bytes,
    /// Block of `RentalOpened`.
    pub opened_block: u64,
    /// Total deposit after each `RentalOpened` / `RentalExtended`, by block.
    pub deposits: Vec<(u64, U256)>,
    /// Block of `RentalStopped` and the stop it recorded.
    #[serde(deserialize_with = "stop_of_any_version")]
    pub stopped: Option<(u64, Stop)>,
    /// Block where the escrow closed it (or where a reorg dropped it): nothing more to sign.
    pub closed: Option<u64>,
    /// How the escrow closed it (absent for a reorg's drop, and in records from before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<Closure>,
    /// UUIDs of the assigned GPUs (empty: none was free).
    pub gpus: Vec<String>,
    /// Accounting as of `last` (or of the start when nothing was signed yet).
    pub usage: UsageCounters,
    /// The last attestation released (or about to be): the next one continues from it.
    pub last: Option<UsageAttestation>,
    /// Provisioning and teardown of the renter's access (absent: the oracle runs no provisioning
    /// hook, or ran none when the rental opened; its uptime then counts from the open).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessState>,
}

/// A record's stop as written now (`[block, {at, by}]`) or by versions that kept only its time
/// (`[block, at]`; who stopped it reads as unknown, the zero address).
fn stop_of_any_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<(u64, Stop)>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Stop(Stop),
        At(u64),
    }
    Ok(Option::<(u64, Stored)>::deserialize(d)?.map(|(block, stored)| {
        let stop = match stored {
            Stored::Stop(stop) => stop,
            Stored::At(at) => Stop { at, by: Address::ZERO },
        };
        (block, stop)
    }))
}

/// Where the chain follower stands, saved after the events up to it were applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainCursor {
    /// Chain followed.
    pub chain_id: u64,
    /// Escrow followed.
    pub escrow: Address,
    /// First block not read yet.
    pub next_block: u64,
    /// Recent `(block, hash)` pairs for reorg detection.
    pub recent_blocks: Vec<(u64, B256)>,
}

/// The state directory.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    _lock: File,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

impl Store {
    /// Opens (creating) the state directory and takes its lock.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        let rentals = dir.join("rentals");
        fs::create_dir_all(&rentals).map_err(io(&rentals))?;
        let lock_path = dir.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.try_lock().map_err(|e| StoreError::Io {
            path: lock_path.clone(),
            source: std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("another gpu-oracle holds this state directory ({e}); two oracles on one state could sign contradicting attestations"),
            ),
        })?;
        Ok(Self { dir, _lock: lock })
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn rental_path(&self, id: &B256) -> PathBuf {
        self.dir.join("rentals").join(format!("{id:#x}.json"))
    }

    /// Durably replaces the record of a rental. When this returns, the record survives a crash.
    pub fn save_rental(&self, record: &RentalRecord) -> Result<(), StoreError> {
        write_atomic(&self.rental_path(&record.rental_id), record)
    }

    /// Every rental record.
    pub fn load_rentals(&self) -> Result<Vec<RentalRecord>, StoreError> {
        let dir = self.dir.join("rentals");
        let mut records = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let path = entry.map_err(io(&dir))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                records.push(read_json(&path)?);
            }
        }
        Ok(records)
    }

    /// Durably replaces the chain cursor.
    pub fn save_cursor(&self, cursor: &ChainCursor) -> Result<(), StoreError> {
        write_atomic(&self.dir.join("chain.json"), cursor)
    }

    /// The chain cursor, if one was saved.
    pub fn load_cursor(&self) -> Result<Option<ChainCursor>, StoreError> {
        let path = self.dir.join("chain.json");
        if !path.exists() {
            return Ok(None);
        }
        read_json(&path).map(Some)
    }
}

fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, StoreError> {
    let text = fs::read_to_string(path).map_err(io(path))?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// temp file + fsync + rename + fsync(dir): the file is either the old or the new content.
fn write_atomic<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Corrupt {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let parent = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension("json.tmp");
    {
        let mut file = File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(&json).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(io(path))?;
    File::open(parent).and_then(|d| d.sync_all()).map_err(io(parent))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gpu-oracle-store-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn records_round_trip_and_replace_atomically() {
        let dir = temp_dir("roundtrip");
        let store = Store::open(&dir).unwrap();
        let mut record = RentalRecord {
            rental_id: B256::repeat_byte(7),
            terms_abi: Bytes::from(vec![1, 2, 3]),
            opened_block: 5,
            deposits: vec![(5, U256::from(100))],
            stopped: Some((
                6,
                Stop {
                    at: 1_100,
                    by: Address::repeat_byte(9),
                },
            )),
            closed: Some(7),
            closure: Some(Closure::Refunded { refund: U256::from(40) }),
            gpus: vec!["GPU-a".into()],
            usage: UsageCounters::default(),
            last: None,
            access: Some(AccessState {
                access_key: Some("ssh-ed25519 AAAA gpu-escrow-070707070707".into()),
                attempts: 2,
                provisioned_at: Some(1_000),
                ..AccessState::default()
            }),
        };
        store.save_rental(&record).unwrap();
        record.usage.uptime = 42;
        store.save_rental(&record).unwrap();
        assert_eq!(store.load_rentals().unwrap(), vec![record]);
        assert!(
            !fs::read_dir(dir.join("rentals"))
                .unwrap()
                .any(|e| e.unwrap().path().to_string_lossy().ends_with(".tmp")),
            "no temp file left behind"
        );
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn records_written_by_earlier_versions_still_load() {
        let dir = temp_dir("legacy");
        let store = Store::open(&dir).unwrap();
        let id = B256::repeat_byte(8);
        let legacy = serde_json::json!({
            "rentalId": id, "termsAbi": "0x01", "openedBlock": 1, "deposits": [], "stopped": [3, 1_234],
            "closed": 4, "gpus": [], "usage": UsageCounters::default(), "last": null,
        });
        fs::write(store.rental_path(&id), legacy.to_string()).unwrap();
        let records = store.load_rentals().unwrap();
        assert_eq!(records[0].access, None);
        assert_eq!(
            records[0].stopped,
            Some((
                3,
                Stop {
                    at: 1_234,
                    by: Address::ZERO
                }
            )),
            "a stop kept as its time"
        );
        assert_eq!((records[0].closed, records[0].closure), (Some(4), None));
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_oracle_cannot_open_the_same_state() {
        let dir = temp_dir("lock");
        let first = Store::open(&dir).unwrap();
        let err = Store::open(&dir).unwrap_err();
        assert!(err.to_string().contains("another gpu-oracle"), "{err}");
        drop(first);
        Store::open(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
