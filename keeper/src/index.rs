//! The keeper's embedded SQLite index.
//!
//! Two kinds of tables:
//! - derived from the chain, rebuildable at any time: `events` (every escrow and dispute module
//!   log the keeper uses, as emitted), `providers`, `offers`, `rentals` (terms + a mirror of the
//!   mutable state), `disputes` (the module's subjective disputes), and the follower's cursor and
//!   recent block hashes;
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

use alloy::{
    primitives::{Address, LogData, B256, U256},
    sol_types::SolValue,
};
use protocol::{
    chain::{EscrowEvent, FollowBatch, LogFollower, LoggedEvent},
    RentalTerms, SignedAttestation,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::IndexError;

mod txs;

pub use txs::{TxRecord, TxResult};

/// Version of [`SCHEMA`]; an index of another version is rebuilt from the chain on open.
const SCHEMA_VERSION: &str = "2";

/// Tables dropped when the schema changes (all but `meta`, `txs` and `alerts`).
const VERSIONED_TABLES: &str =
    "DROP TABLE IF EXISTS blocks; DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS providers;
     DROP TABLE IF EXISTS offers; DROP TABLE IF EXISTS rentals; DROP TABLE IF EXISTS attestations;
     DROP TABLE IF EXISTS disputes; DELETE FROM meta WHERE key = 'next_block';";

const SCHEMA: &str = r"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, block_hash TEXT NOT NULL,
    tx_hash TEXT NOT NULL, name TEXT NOT NULL, topics BLOB NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (block_number, log_index));
CREATE TABLE IF NOT EXISTS providers (
    address TEXT PRIMARY KEY, payout TEXT NOT NULL, attester TEXT NOT NULL, endpoint TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offers (
    offer_id INTEGER PRIMARY KEY, provider TEXT NOT NULL, attester TEXT NOT NULL,
    price_per_hour TEXT NOT NULL, capacity INTEGER NOT NULL, retired INTEGER NOT NULL,
    gpu_model_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rentals (
    id TEXT PRIMARY KEY, terms BLOB NOT NULL, offer_id INTEGER NOT NULL, renter TEXT NOT NULL,
    started_at INTEGER NOT NULL, deposit TEXT NOT NULL, paid_seconds INTEGER NOT NULL,
    last_seq INTEGER NOT NULL, stopped_at INTEGER NOT NULL, status TEXT NOT NULL,
    opened_block INTEGER NOT NULL, closed_block INTEGER, cost TEXT, refund TEXT, sla_credit TEXT,
    proven TEXT);
CREATE INDEX IF NOT EXISTS rentals_status ON rentals (status);
CREATE TABLE IF NOT EXISTS disputes (
    rental_id TEXT PRIMARY KEY, arbitrator_dispute_id TEXT NOT NULL, opener TEXT NOT NULL,
    deadline INTEGER NOT NULL, status TEXT NOT NULL, ruling INTEGER, renter_share_bps INTEGER,
    fallback_applied INTEGER);
CREATE TABLE IF NOT EXISTS attestations (
    rental_id TEXT NOT NULL, seq INTEGER NOT NULL, struct_hash TEXT NOT NULL, period_end INTEGER NOT NULL,
    uptime_seconds INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (rental_id, seq, struct_hash));
CREATE TABLE IF NOT EXISTS txs (
    hash TEXT PRIMARY KEY, kind TEXT NOT NULL, nonce INTEGER NOT NULL, rentals TEXT NOT NULL,
    result TEXT NOT NULL, gas_used INTEGER, block_number INTEGER);
CREATE TABLE IF NOT EXISTS alerts (rental_id TEXT PRIMARY KEY, seconds_left INTEGER NOT NULL);
";

/// Rental status in the index's mirror.
pub const RUNNING: &str = "running";
/// Rental status in the index's mirror.
pub const SETTLED: &str = "settled";
/// Rental status in the index's mirror.
pub const REFUNDED: &str = "refunded";
/// Rental status in the index's mirror: under a subjective dispute, nothing to settle or refund.
pub const FROZEN: &str = "frozen";
/// Rental status in the index's mirror: closed by a dispute's outcome or a slashing proof.
pub const RESOLVED: &str = "resolved";
/// Every rental status, for gauges.
pub const STATUSES: [&str; 5] = [RUNNING, SETTLED, REFUNDED, FROZEN, RESOLVED];

/// Dispute status in the index: opened, no ruling yet.
pub const DISPUTE_OPEN: &str = "open";
/// Dispute status in the index: the arbitrator ruled, not executed yet.
pub const DISPUTE_RULED: &str = "ruled";
/// Dispute status in the index: executed, the rental closed.
pub const DISPUTE_RESOLVED: &str = "resolved";

/// A rental as the index knows it: immutable terms and the mirror of its mutable state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rental {
    /// `keccak256(abi.encode(terms))`.
    pub id: B256,
    /// The terms every call passes back.
    pub terms: RentalTerms,
    /// Current deposit.
    pub deposit: U256,
    /// Seconds already paid by checkpoints.
    pub paid_seconds: u64,
    /// Last accepted attestation seq.
    pub last_seq: u64,
    /// When the renter or provider stopped it (0 = running until the deposit runs out).
    pub stopped_at: u64,
    /// One of [`STATUSES`].
    pub status: String,
    /// The offer's GPU model hash (zero when the offer is not indexed): an attestation of
    /// another model is evidence for `proveWrongGpu`.
    pub offer_model_hash: B256,
}

/// A subjective dispute on a rental, as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// The frozen rental.
    pub rental: Rental,
    /// The arbitrator's id of the dispute.
    pub arbitrator_dispute_id: U256,
    /// When the fallback applies without a ruling.
    pub deadline: u64,
    /// The arbitrator's ruling, once ruled (0: refused, r ≥ 1: renter gets r − 1 bps).
    pub ruling: Option<u64>,
}

impl Rental {
    /// When billing ends: the stop (or a dispute's freeze), or the moment the deposit runs out.
    pub fn end(&self) -> u64 {
        protocol::billing::end_of(
            self.terms.startedAt.to(),
            U256::from(self.terms.pricePerHour),
            self.deposit,
            self.stopped_at,
        )
    }
}

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
    /// Opens (creating if needed) the index at `path`; `:memory:` for a throwaway one.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, IndexError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")?;
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
            .optional()?;
        if version.as_deref() != Some(SCHEMA_VERSION) {
            // Derived tables are rebuilt from the chain from the start block.
            conn.execute_batch(VERSIONED_TABLES)?;
        }
        conn.execute_batch(SCHEMA)?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
            [SCHEMA_VERSION],
        )?;
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
            replay(&tx)?;
            txs::reopen_from(&tx, block)?;
        }
        for event in &batch.events {
            insert_event(&tx, event)?;
            apply_event(&tx, &event.event, event.block_number)?;
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

    /// Running rentals (not closed, not frozen by a dispute), oldest first.
    pub fn open_rentals(&self) -> Result<Vec<Rental>, IndexError> {
        self.rentals_where("status = 'running'")
    }

    /// Disputes opened and not executed yet, oldest deadline first.
    pub fn pending_disputes(&self) -> Result<Vec<Dispute>, IndexError> {
        let rows = {
            let db = self.db();
            let mut stmt = db.prepare(
                "SELECT rental_id, arbitrator_dispute_id, deadline, ruling FROM disputes
                 WHERE status IN ('open', 'ruled') ORDER BY deadline, rental_id",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<i64>>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows
        };
        let mut disputes = Vec::with_capacity(rows.len());
        for (id, arbitrator_id, deadline, ruling) in rows {
            let Some(rental) = self.rental(parse("rental id", &id)?)? else {
                continue;
            };
            disputes.push(Dispute {
                rental,
                arbitrator_dispute_id: parse("dispute id", &arbitrator_id)?,
                deadline: uint(deadline),
                ruling: ruling.map(uint),
            });
        }
        Ok(disputes)
    }

    /// Every rental, oldest first.
    pub fn all_rentals(&self) -> Result<Vec<Rental>, IndexError> {
        self.rentals_where("1 = 1")
    }

    /// One rental.
    pub fn rental(&self, id: B256) -> Result<Option<Rental>, IndexError> {
        Ok(self.rentals_where(&format!("r.id = '{}'", hex(id)))?.into_iter().next())
    }

    fn rentals_where(&self, condition: &str) -> Result<Vec<Rental>, IndexError> {
        let sql = format!(
            "SELECT r.id, r.terms, r.deposit, r.paid_seconds, r.last_seq, r.stopped_at, r.status, o.gpu_model_hash
             FROM rentals r LEFT JOIN offers o ON o.offer_id = r.offer_id
             WHERE {condition} ORDER BY r.opened_block, r.id"
        );
        let db = self.db();
        let mut stmt = db.prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, terms, deposit, paid, seq, stopped, status, model)| {
                let terms = RentalTerms::abi_decode(&terms).map_err(|_| IndexError::Corrupt {
                    what: "rental terms",
                    value: hex(&terms),
                })?;
                Ok(Rental {
                    id: parse("rental id", &id)?,
                    terms,
                    deposit: parse("deposit", &deposit)?,
                    paid_seconds: uint(paid),
                    last_seq: uint(seq),
                    stopped_at: uint(stopped),
                    status,
                    offer_model_hash: model.map_or(Ok(B256::ZERO), |m| parse("GPU model hash", &m))?,
                })
            })
            .collect()
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

    /// How many rentals are in each status.
    pub fn counts_by_status(&self) -> Result<Vec<(String, u64)>, IndexError> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT status, COUNT(*) FROM rentals GROUP BY status ORDER BY status")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, uint(r.get::<_, i64>(1)?))))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records a signed attestation (idempotent). Two of one seq with different content are both
    /// kept: together they prove equivocation.
    pub fn record_attestation(&self, signed: &SignedAttestation) -> Result<(), IndexError> {
        let a = &signed.attestation;
        let json = serde_json::to_string(signed).map_err(|e| IndexError::Corrupt {
            what: "attestation",
            value: e.to_string(),
        })?;
        let db = self.db();
        db.execute(
            "INSERT OR IGNORE INTO attestations (rental_id, seq, struct_hash, period_end, uptime_seconds, json)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                hex(a.rentalId),
                int(a.seq),
                hex(a.struct_hash()),
                int(a.periodEnd),
                int(a.uptimeSeconds),
                json
            ],
        )?;
        Ok(())
    }

    /// Signed attestations seen for a rental, highest seq first.
    pub fn attestations(&self, rental: B256) -> Result<Vec<SignedAttestation>, IndexError> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT json FROM attestations WHERE rental_id = ?1 ORDER BY seq DESC")?;
        let rows = stmt
            .query_map([hex(rental)], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|json| {
                serde_json::from_str(&json).map_err(|_| IndexError::Corrupt {
                    what: "attestation",
                    value: json,
                })
            })
            .collect()
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

fn insert_event(tx: &Transaction<'_>, event: &LoggedEvent) -> Result<(), IndexError> {
    let data = event.event.encode_log_data();
    let topics: Vec<u8> = data.topics().iter().flat_map(|t| t.0).collect();
    tx.execute(
        "INSERT OR REPLACE INTO events (block_number, log_index, block_hash, tx_hash, name, topics, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            int(event.block_number),
            int(event.log_index),
            hex(event.block_hash),
            hex(event.tx_hash),
            event.event.name(),
            topics,
            data.data.to_vec()
        ],
    )?;
    Ok(())
}

/// Rebuilds providers, offers and rentals from the stored events.
fn replay(tx: &Transaction<'_>) -> Result<(), IndexError> {
    tx.execute_batch("DELETE FROM providers; DELETE FROM offers; DELETE FROM rentals; DELETE FROM disputes;")?;
    let rows = {
        let mut stmt = tx.prepare("SELECT block_number, topics, data FROM events ORDER BY block_number, log_index")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows
    };
    for (block, topics, data) in rows {
        let topics: Vec<B256> = topics.chunks_exact(32).map(B256::from_slice).collect();
        let log = LogData::new_unchecked(topics, data.into());
        let corrupt = || IndexError::Corrupt {
            what: "stored event",
            value: format!("block {block}"),
        };
        let event = EscrowEvent::decode(&log).map_err(|_| corrupt())?.ok_or_else(corrupt)?;
        apply_event(tx, &event, uint(block))?;
    }
    Ok(())
}

/// Updates the derived tables with one event (one arm per event: long, but flat).
#[allow(clippy::too_many_lines)]
fn apply_event(tx: &Transaction<'_>, event: &EscrowEvent, block: u64) -> Result<(), IndexError> {
    match event {
        EscrowEvent::RentalOpened {
            rental_id,
            terms,
            deposit,
            ..
        } => {
            tx.execute(
                "INSERT OR REPLACE INTO rentals (id, terms, offer_id, renter, started_at, deposit, paid_seconds,
                 last_seq, stopped_at, status, opened_block) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0, ?7, ?8)",
                params![
                    hex(rental_id),
                    terms.abi_encode(),
                    int(terms.offerId),
                    terms.renter.to_string(),
                    int(terms.startedAt.to()),
                    deposit.to_string(),
                    RUNNING,
                    int(block)
                ],
            )?;
        }
        EscrowEvent::RentalExtended(e) => {
            tx.execute(
                "UPDATE rentals SET deposit = ?2 WHERE id = ?1",
                params![hex(e.rentalId), e.deposit.to_string()],
            )?;
        }
        EscrowEvent::RentalStopped(e) => {
            tx.execute(
                "UPDATE rentals SET stopped_at = ?2 WHERE id = ?1",
                params![hex(e.rentalId), int(e.stoppedAt.to())],
            )?;
        }
        EscrowEvent::Checkpointed(e) => {
            tx.execute(
                "UPDATE rentals SET paid_seconds = ?2, last_seq = ?3 WHERE id = ?1",
                params![hex(e.rentalId), i64::from(e.paidSeconds), int(e.seq)],
            )?;
        }
        EscrowEvent::RentalSettled(e) => {
            tx.execute(
                "UPDATE rentals SET status = ?2, closed_block = ?3, cost = ?4, refund = ?5, sla_credit = ?6
                 WHERE id = ?1",
                params![
                    hex(e.rentalId),
                    SETTLED,
                    int(block),
                    e.cost.to_string(),
                    e.refund.to_string(),
                    e.slaCredit.to_string()
                ],
            )?;
        }
        EscrowEvent::RentalFrozen(e) => {
            tx.execute(
                "UPDATE rentals SET status = ?2 WHERE id = ?1",
                params![hex(e.rentalId), FROZEN],
            )?;
        }
        EscrowEvent::RentalResolved(e) => {
            tx.execute(
                "UPDATE rentals SET status = ?2, closed_block = ?3 WHERE id = ?1",
                params![hex(e.rentalId), RESOLVED, int(block)],
            )?;
        }
        EscrowEvent::DisputeOpened(e) => {
            tx.execute(
                "INSERT OR REPLACE INTO disputes (rental_id, arbitrator_dispute_id, opener, deadline, status)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    hex(e.rentalId),
                    e.arbitratorDisputeId.to_string(),
                    e.opener.to_string(),
                    int(e.deadline.saturating_to()),
                    DISPUTE_OPEN
                ],
            )?;
        }
        EscrowEvent::Ruling(e) => {
            tx.execute(
                "UPDATE disputes SET status = ?2, ruling = ?3 WHERE arbitrator_dispute_id = ?1 AND status = ?4",
                params![
                    e.disputeID.to_string(),
                    DISPUTE_RULED,
                    int(e.ruling.saturating_to()),
                    DISPUTE_OPEN
                ],
            )?;
        }
        EscrowEvent::DisputeResolved(e) => {
            tx.execute(
                "UPDATE disputes SET status = ?2, renter_share_bps = ?3, fallback_applied = ?4 WHERE rental_id = ?1",
                params![
                    hex(e.rentalId),
                    DISPUTE_RESOLVED,
                    int(e.renterShareBps.saturating_to()),
                    e.fallbackApplied
                ],
            )?;
        }
        EscrowEvent::EquivocationProven(e) => {
            tx.execute(
                "UPDATE rentals SET proven = 'equivocation' WHERE id = ?1",
                [hex(e.rentalId)],
            )?;
        }
        EscrowEvent::WrongGpuProven(e) => {
            tx.execute(
                "UPDATE rentals SET proven = 'wrong_gpu' WHERE id = ?1",
                [hex(e.rentalId)],
            )?;
        }
        EscrowEvent::RentalRefunded(e) => {
            tx.execute(
                "UPDATE rentals SET status = ?2, closed_block = ?3, refund = ?4 WHERE id = ?1",
                params![hex(e.rentalId), REFUNDED, int(block), e.refund.to_string()],
            )?;
        }
        EscrowEvent::ProviderRegistered(e) => {
            tx.execute(
                "INSERT OR REPLACE INTO providers (address, payout, attester, endpoint) VALUES (?1, ?2, ?3, ?4)",
                params![
                    e.provider.to_string(),
                    e.payout.to_string(),
                    e.attester.to_string(),
                    e.endpoint
                ],
            )?;
        }
        EscrowEvent::PayoutUpdated(e) => {
            tx.execute(
                "UPDATE providers SET payout = ?2 WHERE address = ?1",
                params![e.provider.to_string(), e.payout.to_string()],
            )?;
        }
        EscrowEvent::AttesterUpdated(e) => {
            tx.execute(
                "UPDATE providers SET attester = ?2 WHERE address = ?1",
                params![e.provider.to_string(), e.attester.to_string()],
            )?;
        }
        EscrowEvent::EndpointUpdated(e) => {
            tx.execute(
                "UPDATE providers SET endpoint = ?2 WHERE address = ?1",
                params![e.provider.to_string(), e.endpoint],
            )?;
        }
        EscrowEvent::OfferCreated(e) => {
            tx.execute(
                "INSERT OR REPLACE INTO offers (offer_id, provider, attester, price_per_hour, capacity, retired,
                 gpu_model_hash) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                params![
                    int(e.offerId),
                    e.provider.to_string(),
                    e.attester.to_string(),
                    e.params.pricePerHour.to_string(),
                    i64::from(e.params.capacity),
                    hex(e.gpuModelHash)
                ],
            )?;
        }
        EscrowEvent::OfferPriceUpdated(e) => {
            tx.execute(
                "UPDATE offers SET price_per_hour = ?2 WHERE offer_id = ?1",
                params![int(e.offerId), e.pricePerHour.to_string()],
            )?;
        }
        EscrowEvent::OfferCapacityUpdated(e) => {
            tx.execute(
                "UPDATE offers SET capacity = ?2 WHERE offer_id = ?1",
                params![int(e.offerId), i64::from(e.capacity)],
            )?;
        }
        EscrowEvent::OfferAttesterUpdated(e) => {
            tx.execute(
                "UPDATE offers SET attester = ?2 WHERE offer_id = ?1",
                params![int(e.offerId), e.attester.to_string()],
            )?;
        }
        EscrowEvent::OfferRetired(e) => {
            tx.execute("UPDATE offers SET retired = 1 WHERE offer_id = ?1", [int(e.offerId)])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use alloy::primitives::aliases::U96;
    use protocol::bindings::GpuEscrow;

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
        let stop = LoggedEvent {
            block_number: 6,
            log_index: 0,
            event: EscrowEvent::RentalStopped(GpuEscrow::RentalStopped {
                rentalId: first.event.rental_id().unwrap(),
                by: Address::ZERO,
                stoppedAt: alloy::primitives::aliases::U40::from(100u64),
            }),
            ..first.clone()
        };
        index
            .apply(&batch(vec![first.clone(), second, stop], None), &follower)
            .unwrap();
        assert_eq!(index.open_rentals().unwrap().len(), 2);
        let stopped = index.rental(first.event.rental_id().unwrap()).unwrap().unwrap();
        assert_eq!(stopped.stopped_at, 100);
        assert_eq!(stopped.end(), 100);

        index.apply(&batch(vec![], Some(5)), &follower).unwrap();
        let left = index.open_rentals().unwrap();
        assert_eq!(left.len(), 1, "the rental opened in a replaced block is gone");
        assert_eq!(left[0].stopped_at, 0, "the stop in a replaced block is undone");
        assert_eq!(left[0].end(), 7_200, "the deposit covers two hours");
    }
}
