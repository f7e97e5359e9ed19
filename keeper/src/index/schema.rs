//! The index's tables, their version, and what opening an index of another version does.
//!
//! The version lives in `meta` (`schema_version`). An index whose `events` table has the current
//! shape ([`REPLAYABLE`]) keeps its events, cursor, attestations and transactions: only the
//! tables derived from the events are rebuilt, by replaying them. So is an index of this version
//! whose stored rentals no longer read (written with another form of `protocol::rental::Rental`).
//! Any other version is rebuilt from the chain, from the start block (the keeper's own `txs` and
//! `alerts` stay).

use rusqlite::{Connection, OptionalExtension};

use super::{fold, rentals};
use crate::error::IndexError;

/// Version of [`SCHEMA`].
const SCHEMA_VERSION: &str = "3";

/// Versions whose `events`, `blocks`, `attestations`, `txs` and `alerts` tables are those of
/// [`SCHEMA`]: opened, their derived tables are replayed from the stored events. Version 2 kept a
/// mirror of each rental's state in columns; version 3 stores the rental's model.
const REPLAYABLE: [&str; 1] = ["2"];

/// The tables derived from the events, dropped before a replay (their shape may have changed).
const DERIVED_TABLES: &str = "DROP TABLE IF EXISTS providers; DROP TABLE IF EXISTS offers;
     DROP TABLE IF EXISTS rentals; DROP TABLE IF EXISTS disputes;";

/// Tables dropped when the index is rebuilt from the chain (all but `meta`, `txs` and `alerts`).
const CHAIN_TABLES: &str = "DROP TABLE IF EXISTS blocks; DROP TABLE IF EXISTS events; DROP TABLE IF EXISTS providers;
     DROP TABLE IF EXISTS offers; DROP TABLE IF EXISTS rentals; DROP TABLE IF EXISTS attestations;
     DROP TABLE IF EXISTS disputes; DELETE FROM meta WHERE key = 'next_block';";

/// `rentals` keeps each rental's model (`protocol::rental::Rental` as JSON) with the columns the
/// keeper selects by beside it.
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
    id TEXT PRIMARY KEY, offer_id INTEGER NOT NULL, renter TEXT NOT NULL, status TEXT NOT NULL,
    opened_block INTEGER NOT NULL, model TEXT NOT NULL);
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

/// Brings the index in `conn` to [`SCHEMA`]: creates it, keeps it, replays its events into new
/// derived tables, or drops what the chain will give again, by the version found.
pub(super) fn prepare(conn: &mut Connection) -> Result<(), IndexError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")?;
    let found: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
        .optional()?;
    let tx = conn.transaction()?;
    match found.as_deref() {
        Some(SCHEMA_VERSION) => {
            tx.execute_batch(SCHEMA)?;
            if !rentals::all_read(&tx)? {
                let events = fold::replay(&tx)?;
                tracing::info!(target: "keeper::index", events, "stored rentals of another form of the rental model: replayed from the stored events");
            }
        }
        Some(old) if REPLAYABLE.contains(&old) => {
            tx.execute_batch(DERIVED_TABLES)?;
            tx.execute_batch(SCHEMA)?;
            let events = fold::replay(&tx)?;
            tracing::info!(target: "keeper::index", from = old, to = SCHEMA_VERSION, events, "index schema upgraded: rentals, offers, providers and disputes replayed from the stored events");
        }
        other => {
            if let Some(old) = other {
                tracing::info!(target: "keeper::index", from = old, to = SCHEMA_VERSION, "index schema changed: the chain data is indexed again from the start block");
            }
            tx.execute_batch(CHAIN_TABLES)?;
            tx.execute_batch(SCHEMA)?;
        }
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
        [SCHEMA_VERSION],
    )?;
    tx.commit()?;
    Ok(())
}
