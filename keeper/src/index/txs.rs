//! The `txs` table: one row per transaction the keeper signed and the node accepted, written
//! when it is sent (`pending`) and completed when its receipt arrives, or by reconciliation with
//! the chain ([`crate::reconcile`]) when the keeper never saw one (killed, gave up waiting, or
//! the block holding it was reorged out).
//!
//! A fee bump is a new transaction with the same nonce: it gets its own row. Once one
//! transaction of a nonce is mined, the other pending rows of that nonce become `replaced`.

use alloy::primitives::B256;
use rusqlite::{params, Transaction};

use super::{hex, int, parse, uint, Index};
use crate::error::IndexError;

/// How a recorded transaction ended, as far as the keeper knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxResult {
    /// Sent; no receipt seen yet (or its block was reorged out).
    Pending,
    /// Mined and succeeded.
    Ok,
    /// Mined and reverted.
    Reverted,
    /// Never mined: another transaction took its nonce (a fee bump of it, or another sender of
    /// the same key).
    Replaced,
    /// Never mined, and the node no longer knows it; its nonce is free again.
    Dropped,
}

impl TxResult {
    /// The name stored in the index and shown in metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Reverted => "reverted",
            Self::Replaced => "replaced",
            Self::Dropped => "dropped",
        }
    }

    fn parse(value: &str) -> Result<Self, IndexError> {
        Ok(match value {
            "pending" => Self::Pending,
            "ok" => Self::Ok,
            "reverted" => Self::Reverted,
            "replaced" => Self::Replaced,
            "dropped" => Self::Dropped,
            _ => {
                return Err(IndexError::Corrupt {
                    what: "transaction result",
                    value: value.to_owned(),
                })
            }
        })
    }

    /// Whether the transaction is in a block.
    pub const fn is_mined(self) -> bool {
        matches!(self, Self::Ok | Self::Reverted)
    }
}

impl std::fmt::Display for TxResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transaction to record, or as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxRecord {
    /// Hash.
    pub hash: B256,
    /// settle, settleBatch, checkpoint, refund, proveEquivocation, proveWrongGpu, executeRuling,
    /// settleFallback.
    pub kind: String,
    /// Nonce.
    pub nonce: u64,
    /// Rentals it acts on.
    pub rentals: Vec<B256>,
    /// How it ended so far.
    pub result: TxResult,
    /// Gas used, once mined.
    pub gas_used: Option<u64>,
    /// Block, once mined.
    pub block_number: Option<u64>,
}

impl TxRecord {
    /// A transaction the node just accepted.
    pub fn sent(hash: B256, kind: &str, nonce: u64, rentals: &[B256]) -> Self {
        Self {
            hash,
            kind: kind.to_owned(),
            nonce,
            rentals: rentals.to_vec(),
            result: TxResult::Pending,
            gas_used: None,
            block_number: None,
        }
    }
}

/// One line: hash, kind, nonce and rentals (as `gpu-keeper status` lists pending transactions).
impl std::fmt::Display for TxRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} nonce {} rentals ", self.hash, self.kind, self.nonce)?;
        if self.rentals.is_empty() {
            return f.write_str("none");
        }
        for (i, rental) in self.rentals.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{rental}")?;
        }
        Ok(())
    }
}

impl Index {
    /// Records a transaction (inserted when new, its result updated otherwise). A mined one
    /// makes the other pending transactions of its nonce `replaced`.
    pub fn record_tx(&self, tx: &TxRecord) -> Result<(), IndexError> {
        let rentals: Vec<String> = tx.rentals.iter().map(hex).collect();
        let mut db = self.db();
        let sql = db.transaction()?;
        sql.execute(
            "INSERT INTO txs (hash, kind, nonce, rentals, result, gas_used, block_number)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(hash) DO UPDATE SET result = ?5, gas_used = ?6, block_number = ?7",
            params![
                hex(tx.hash),
                tx.kind,
                int(tx.nonce),
                rentals.join(","),
                tx.result.as_str(),
                tx.gas_used.map(int),
                tx.block_number.map(int)
            ],
        )?;
        if tx.result.is_mined() {
            sql.execute(
                "UPDATE txs SET result = ?1 WHERE nonce = ?2 AND result = ?3 AND hash != ?4",
                params![
                    TxResult::Replaced.as_str(),
                    int(tx.nonce),
                    TxResult::Pending.as_str(),
                    hex(tx.hash)
                ],
            )?;
        }
        sql.commit()?;
        Ok(())
    }

    /// The recorded transactions with `result`, oldest nonce first.
    pub fn txs_with(&self, result: TxResult) -> Result<Vec<TxRecord>, IndexError> {
        let db = self.db();
        let mut stmt = db.prepare(
            "SELECT hash, kind, nonce, rentals, result, gas_used, block_number FROM txs
             WHERE result = ?1 ORDER BY nonce, rowid",
        )?;
        let rows = stmt
            .query_map([result.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(hash, kind, nonce, rentals, result, gas_used, block_number)| {
                Ok(TxRecord {
                    hash: parse("transaction hash", &hash)?,
                    kind,
                    nonce: uint(nonce),
                    rentals: rentals
                        .split(',')
                        .filter(|id| !id.is_empty())
                        .map(|id| parse("rental id", id))
                        .collect::<Result<_, _>>()?,
                    result: TxResult::parse(&result)?,
                    gas_used: gas_used.map(uint),
                    block_number: block_number.map(uint),
                })
            })
            .collect()
    }

    /// How many transactions of each kind and result the keeper recorded.
    pub fn tx_counts(&self) -> Result<Vec<(String, String, u64)>, IndexError> {
        let db = self.db();
        let mut stmt =
            db.prepare("SELECT kind, result, COUNT(*) FROM txs GROUP BY kind, result ORDER BY kind, result")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, uint(r.get::<_, i64>(2)?))))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

/// A rewind to `block`: the keeper's transactions mined in the replaced blocks are pending again,
/// until reconciliation finds them in the new chain, replaced or dropped.
pub(super) fn reopen_from(sql: &Transaction<'_>, block: u64) -> Result<(), IndexError> {
    sql.execute(
        "UPDATE txs SET result = ?1, gas_used = NULL, block_number = NULL WHERE block_number >= ?2",
        params![TxResult::Pending.as_str(), int(block)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(byte: u8, nonce: u64) -> TxRecord {
        TxRecord::sent(B256::repeat_byte(byte), "settle", nonce, &[B256::repeat_byte(0xaa)])
    }

    #[test]
    fn a_sent_transaction_is_pending_until_its_receipt_is_recorded() {
        let index = Index::open(":memory:").unwrap();
        index.record_tx(&sent(1, 7)).unwrap();
        assert_eq!(index.txs_with(TxResult::Pending).unwrap(), [sent(1, 7)]);

        let mined = TxRecord {
            result: TxResult::Ok,
            gas_used: Some(60_000),
            block_number: Some(12),
            ..sent(1, 7)
        };
        index.record_tx(&mined).unwrap();
        assert!(index.txs_with(TxResult::Pending).unwrap().is_empty());
        assert_eq!(index.txs_with(TxResult::Ok).unwrap(), [mined]);
    }

    #[test]
    fn a_mined_fee_bump_marks_the_other_transactions_of_its_nonce_replaced() {
        let index = Index::open(":memory:").unwrap();
        index.record_tx(&sent(1, 7)).unwrap();
        index.record_tx(&sent(2, 7)).unwrap();
        index.record_tx(&sent(3, 8)).unwrap();
        index
            .record_tx(&TxRecord {
                result: TxResult::Ok,
                gas_used: Some(60_000),
                block_number: Some(12),
                ..sent(2, 7)
            })
            .unwrap();
        let replaced: Vec<B256> = index
            .txs_with(TxResult::Replaced)
            .unwrap()
            .iter()
            .map(|t| t.hash)
            .collect();
        assert_eq!(replaced, [B256::repeat_byte(1)], "the first version of nonce 7");
        assert_eq!(
            index.txs_with(TxResult::Pending).unwrap(),
            [sent(3, 8)],
            "nonce 8 untouched"
        );
    }

    #[test]
    fn a_transaction_shows_as_hash_kind_nonce_and_rentals() {
        let batch = TxRecord::sent(
            B256::repeat_byte(1),
            "settleBatch",
            3,
            &[B256::repeat_byte(0xaa), B256::repeat_byte(0xbb)],
        );
        assert_eq!(
            batch.to_string(),
            format!(
                "{} settleBatch nonce 3 rentals {},{}",
                B256::repeat_byte(1),
                B256::repeat_byte(0xaa),
                B256::repeat_byte(0xbb)
            )
        );
        assert!(batch.to_string().starts_with("0x0101"), "full 0x hash: {batch}");
        let none = TxRecord::sent(B256::repeat_byte(2), "settle", 0, &[]);
        assert!(none.to_string().ends_with("settle nonce 0 rentals none"), "{none}");
    }
}
