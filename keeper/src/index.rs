//! The keeper's embedded SQLite index.
//!
//! Two kinds of tables (`schema`):
//! - derived from the chain, rebuildable at any time: `events` (every escrow and dispute module
//!   log the keeper uses, as emitted), `providers`, `offers`, `rentals` (each rental's model,
//!   folded from its events by `protocol::rental`), `disputes` (the module's subjective
//!   disputes), and the follower's cursor and recent block hashes;
//! - the keeper's own records: every signed `attestations` fetched (contradicting ones included:
//!   they are evidence), `txs` sent (recorded when sent, see [`TxRecord`]), `alerts` raised.
//!
//! A reorg deletes the events of the replaced blocks and replays the rest into the derived tables
//! (and makes the keeper's transactions mined in them pending again), so the index is always a
//! function of the events: deleting it and rebuilding from the chain gives the same rows
//! ([`Index::snapshot`]).

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard, PoisonError},
};

use alloy::primitives::{Address, B256};
use protocol::chain::{FollowBatch, LogFollower};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::IndexError;

mod attestations;
mod disputes;
mod fold;
mod rentals;
mod schema;
mod txs;

pub use disputes::{Dispute, DisputeStatus};
pub use rentals::IndexedRental;
pub use txs::{TxRecord, TxResult};

/// The keeper's SQLite index.
#[derive(Debug)]
pub struct Index {
    /// Behind a mutex so the index (and the keeper's futures) are `Send + Sync`; one writer anyway.
    conn: Mutex<Connection>,
    path: PathBuf,
}

fn hex(bytes: impl AsRef<[u8]>) -> String {
    alloy::hex::encode_prefixed(bytes)
}

fn int(n: u64) -> i64 {
    // SQLite integers are i64; block numbers, timestamps and seconds stay far below 2^63.
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn uint(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn parse<T: std::str::FromStr>(what: &'static str, value: &str) -> Result<T, IndexError> {
    value.parse().map_err(|_| IndexError::Corrupt {
        what,
        value: value.to_owned(),
    })
}

impl Index {
    /// Opens (creating if needed) the index at `path`; `:memory:` for a throwaway one. An index
    /// of an older schema is upgraded (`schema`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, IndexError> {
        let path = path.as_ref().to_path_buf();
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::prepare(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path,
        })
    }

    fn db(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back on drop).
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Binds a fresh index to `(chain_id, escrow)`, or checks that an existing one is bound to them.
    pub fn bind(&mut self, chain_id: u64, escrow: Address) -> Result<(), IndexError> {
        let found_escrow = self.meta("escrow")?;
        let found_chain = self.meta("chain_id")?;
        if let (Some(e), Some(c)) = (found_escrow, found_chain) {
            let found: Address = parse("escrow address", &e)?;
            let found_chain: u64 = parse("chain id", &c)?;
            if found != escrow || found_chain != chain_id {
                return Err(IndexError::OtherEscrow {
                    path: self.path.clone(),
                    expected: escrow,
                    expected_chain: chain_id,
                    found,
                    found_chain,
                });
            }
            return Ok(());
        }
        self.set_meta("escrow", &escrow.to_string())?;
        self.set_meta("chain_id", &chain_id.to_string())
    }

    fn meta(&self, key: &str) -> Result<Option<String>, IndexError> {
        let db = self.db();
        Ok(db
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<(), IndexError> {
        let db = self.db();
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            [key, value],
        )?;
        Ok(())
    }

    /// The follower to resume with: the persisted cursor and block hashes, or `start_block`.
    pub fn follower(
        &self,
        escrow: Address,
        dispute_module: Option<Address>,
        start_block: u64,
        confirmations: u64,
        max_range: u64,
    ) -> Result<LogFollower, IndexError> {
        let next = match self.meta("next_block")? {
            Some(v) => parse("cursor", &v)?,
            None => start_block,
        };
        let db = self.db();
        let mut stmt = db.prepare("SELECT number, hash FROM blocks ORDER BY number")?;
        let blocks = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut recent = Vec::with_capacity(blocks.len());
        for (n, h) in blocks {
            recent.push((uint(n), parse::<B256>("block hash", &h)?));
        }
        Ok(LogFollower::new(escrow, next, confirmations, max_range)
            .with_dispute_module(dispute_module)
            .with_recent_blocks(recent))
    }

    /// The persisted cursor: the first block not indexed yet.
    pub fn cursor(&self) -> Result<Option<u64>, IndexError> {
        self.meta("next_block")?.map(|v| parse("cursor", &v)).transpose()
    }

    /// Applies one batch of the follower in one SQLite transaction: the rewind if any, the events,
    /// and the follower's new cursor and block hashes.
    pub fn apply(&mut self, batch: &FollowBatch, follower: &LogFollower) -> Result<(), IndexError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        if let Some(block) = batch.rewound_to {
            tx.execute("DELETE FROM events WHERE block_number >= ?1", [int(block)])?;
            fold::replay(&tx)?;
            txs::reopen_from(&tx, block)?;
        }
        for event in &batch.events {
            fold::insert_event(&tx, event)?;
            fold::apply_event(&tx, &event.event, event.block_number)?;
        }
        tx.execute("DELETE FROM blocks", [])?;
        for (number, hash) in follower.recent_blocks() {
            tx.execute(
                "INSERT INTO blocks (number, hash) VALUES (?1, ?2)",
                params![int(number), hex(hash)],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('next_block', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
            [follower.next_block().to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets everything derived from the chain (the keeper's own records stay): `reindex`.
    pub fn clear_chain_data(&mut self) -> Result<(), IndexError> {
        let db = self.db();
        db.execute_batch(
            "DELETE FROM events; DELETE FROM blocks; DELETE FROM providers; DELETE FROM offers;
             DELETE FROM rentals; DELETE FROM disputes; DELETE FROM meta WHERE key = 'next_block';",
        )?;
        Ok(())
    }

    /// The oracle endpoint of the provider of `offer_id`, with the provider's address.
    pub fn endpoint_for_offer(&self, offer_id: u64) -> Result<Option<(Address, String)>, IndexError> {
        let db = self.db();
        let row: Option<(String, String)> = db
            .query_row(
                "SELECT p.address, p.endpoint FROM offers o JOIN providers p ON p.address = o.provider
                 WHERE o.offer_id = ?1",
                [int(offer_id)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        row.map(|(a, e)| Ok((parse("provider address", &a)?, e))).transpose()
    }

    /// Records a low-balance alert; `false` when this rental was already alerted.
    pub fn record_alert(&self, rental: B256, seconds_left: u64) -> Result<bool, IndexError> {
        let db = self.db();
        let inserted = db.execute(
            "INSERT OR IGNORE INTO alerts (rental_id, seconds_left) VALUES (?1, ?2)",
            params![hex(rental), int(seconds_left)],
        )?;
        Ok(inserted == 1)
    }

    /// Everything derived from the chain, as text, for comparing two indexes.
    pub fn snapshot(&self) -> Result<Vec<String>, IndexError> {
        let mut out = Vec::new();
        for (table, order) in [
            ("providers", "address"),
            ("offers", "offer_id"),
            ("rentals", "id"),
            ("disputes", "rental_id"),
            ("events", "block_number, log_index"),
        ] {
            let db = self.db();
            let mut stmt = db.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
            let columns = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    let mut fields = vec![table.to_owned()];
                    for i in 0..columns {
                        let value: rusqlite::types::Value = r.get(i)?;
                        fields.push(format!("{value:?}"));
                    }
                    Ok(fields.join(" "))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            out.extend(rows);
        }
        out.push(format!("cursor {:?}", self.cursor()?));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{
            aliases::{U40, U96},
            U256,
        },
        signers::local::PrivateKeySigner,
    };
    use protocol::{
        bindings::GpuEscrow,
        chain::{EscrowEvent, LoggedEvent},
        RentalTerms, UsageAttestation,
    };

    use super::*;

    fn opened(salt: u8, block: u64) -> LoggedEvent {
        let terms = RentalTerms {
            offerId: 1,
            pricePerHour: U96::from(3_600u64),
            salt: B256::with_last_byte(salt),
            ..Default::default()
        };
        LoggedEvent {
            block_number: block,
            block_hash: B256::with_last_byte(u8::try_from(block).unwrap()),
            tx_hash: B256::ZERO,
            log_index: 0,
            event: EscrowEvent::RentalOpened {
                rental_id: protocol::rental_id(&terms),
                terms,
                deposit: U256::from(7_200),
                access_key: alloy::primitives::Bytes::from_static(b"key"),
            },
        }
    }

    /// `rental` stopped at 100 in block 6.
    fn stopped(rental: &LoggedEvent) -> LoggedEvent {
        LoggedEvent {
            block_number: 6,
            log_index: 0,
            event: EscrowEvent::RentalStopped(GpuEscrow::RentalStopped {
                rentalId: rental.event.rental_id().unwrap(),
                by: Address::ZERO,
                stoppedAt: U40::from(100u64),
            }),
            ..rental.clone()
        }
    }

    fn batch(events: Vec<LoggedEvent>, rewound_to: Option<u64>) -> FollowBatch {
        FollowBatch {
            events,
            rewound_to,
            ..FollowBatch::default()
        }
    }

    #[test]
    fn a_rewind_drops_the_replaced_blocks_and_keeps_the_rest() {
        let mut index = Index::open(":memory:").unwrap();
        let follower = LogFollower::new(Address::ZERO, 0, 0, 10);
        let first = opened(1, 3);
        let second = opened(2, 5);
        let stop = stopped(&first);
        index
            .apply(&batch(vec![first.clone(), second, stop], None), &follower)
            .unwrap();
        assert_eq!(index.open_rentals().unwrap().len(), 2);
        let rental = index.rental(first.event.rental_id().unwrap()).unwrap().unwrap();
        assert_eq!(rental.stopped.map(|s| s.at), Some(100));
        assert_eq!(rental.end(), 100);

        index.apply(&batch(vec![], Some(5)), &follower).unwrap();
        let left = index.open_rentals().unwrap();
        assert_eq!(left.len(), 1, "the rental opened in a replaced block is gone");
        assert_eq!(left[0].stopped, None, "the stop in a replaced block is undone");
        assert_eq!(left[0].end(), 7_200, "the deposit covers two hours");
    }

    /// The tables as schema version 2 created them: a rental's state mirrored in columns.
    const SCHEMA_V2: &str = r"
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
        CREATE TABLE events (
            block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, block_hash TEXT NOT NULL,
            tx_hash TEXT NOT NULL, name TEXT NOT NULL, topics BLOB NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY (block_number, log_index));
        CREATE TABLE rentals (
            id TEXT PRIMARY KEY, terms BLOB NOT NULL, offer_id INTEGER NOT NULL, renter TEXT NOT NULL,
            started_at INTEGER NOT NULL, deposit TEXT NOT NULL, paid_seconds INTEGER NOT NULL,
            last_seq INTEGER NOT NULL, stopped_at INTEGER NOT NULL, status TEXT NOT NULL,
            opened_block INTEGER NOT NULL, closed_block INTEGER, cost TEXT, refund TEXT, sla_credit TEXT,
            proven TEXT);
        CREATE TABLE attestations (
            rental_id TEXT NOT NULL, seq INTEGER NOT NULL, struct_hash TEXT NOT NULL, period_end INTEGER NOT NULL,
            uptime_seconds INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (rental_id, seq, struct_hash));
        CREATE TABLE txs (
            hash TEXT PRIMARY KEY, kind TEXT NOT NULL, nonce INTEGER NOT NULL, rentals TEXT NOT NULL,
            result TEXT NOT NULL, gas_used INTEGER, block_number INTEGER);
        INSERT INTO meta (key, value) VALUES ('schema_version', '2'), ('next_block', '7');
    ";

    /// An index file in the temporary folder, deleted on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str) -> Self {
            Self(std::env::temp_dir().join(format!("gpu-keeper-{name}-{}.sqlite", std::process::id())))
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{}{suffix}", self.0.display())).ok();
            }
        }
    }

    #[test]
    fn an_index_of_schema_2_is_upgraded_from_its_stored_events_keeping_cursor_and_attestations() {
        let file = TempFile::new("schema-2");
        let path = &file.0;
        let first = opened(1, 3);
        let stop = stopped(&first);
        let id = first.event.rental_id().unwrap();
        let attestation = UsageAttestation {
            rentalId: id,
            seq: 1,
            periodEnd: 100,
            uptimeSeconds: 90,
            ..Default::default()
        }
        .sign(&PrivateKeySigner::random(), &protocol::domain(31_337, Address::ZERO))
        .unwrap();
        {
            let mut conn = Connection::open(path).unwrap();
            conn.execute_batch(SCHEMA_V2).unwrap();
            let tx = conn.transaction().unwrap();
            for event in [&first, &stop] {
                fold::insert_event(&tx, event).unwrap();
            }
            tx.execute(
                "INSERT INTO rentals VALUES (?1, x'00', 1, ?2, 0, '7200', 0, 0, 100, 'running', 3, NULL, NULL, NULL, NULL, NULL)",
                params![hex(id), Address::ZERO.to_string()],
            )
            .unwrap();
            tx.execute(
                "INSERT INTO attestations VALUES (?1, 1, ?2, 100, 90, ?3)",
                params![
                    hex(id),
                    hex(attestation.attestation.struct_hash()),
                    serde_json::to_string(&attestation).unwrap()
                ],
            )
            .unwrap();
            tx.commit().unwrap();
        }

        let upgraded = Index::open(path).unwrap();
        let rental = upgraded.rental(id).unwrap().unwrap();
        assert_eq!(
            rental.stopped.map(|s| s.at),
            Some(100),
            "the stop replayed into the model"
        );
        assert_eq!(
            upgraded.cursor().unwrap(),
            Some(7),
            "nothing is fetched from the chain again"
        );
        assert_eq!(
            upgraded.attestations(id).unwrap(),
            [attestation],
            "the evidence is kept"
        );
        let mut fresh = Index::open(":memory:").unwrap();
        fresh
            .apply(
                &batch(vec![first, stop], None),
                &LogFollower::new(Address::ZERO, 7, 0, 10),
            )
            .unwrap();
        assert_eq!(
            upgraded.snapshot().unwrap(),
            fresh.snapshot().unwrap(),
            "as if indexed by this version"
        );
    }

    #[test]
    fn rentals_stored_in_another_form_of_the_model_are_replayed_on_open() {
        let file = TempFile::new("model-form");
        let first = opened(1, 3);
        let id = first.event.rental_id().unwrap();
        {
            let mut index = Index::open(&file.0).unwrap();
            index
                .apply(
                    &batch(vec![first, opened(2, 4)], None),
                    &LogFollower::new(Address::ZERO, 5, 0, 10),
                )
                .unwrap();
            index
                .db()
                .execute(
                    "UPDATE rentals SET model = '{\"renamedField\": 1}' WHERE id = ?1",
                    [hex(id)],
                )
                .unwrap();
            assert!(index.rental(id).is_err(), "unreadable as it is");
        }
        let reopened = Index::open(&file.0).unwrap();
        assert_eq!(reopened.rental(id).unwrap().unwrap().id, id);
        assert_eq!(reopened.all_rentals().unwrap().len(), 2);
    }
}
