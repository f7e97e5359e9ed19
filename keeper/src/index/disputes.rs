//! The `disputes` table: the dispute module's subjective disputes, from opened to executed.

use alloy::primitives::U256;
use rusqlite::params;

use super::{parse, rentals::IndexedRental, uint, Index};
use crate::error::IndexError;

/// Where a subjective dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisputeStatus {
    /// Opened, no ruling yet.
    Open,
    /// The arbitrator ruled; not executed yet.
    Ruled,
    /// Executed: the rental is closed.
    Resolved,
}

impl DisputeStatus {
    /// The name stored in the index.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Ruled => "ruled",
            Self::Resolved => "resolved",
        }
    }
}

/// A subjective dispute on a rental, as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispute {
    /// The frozen rental.
    pub rental: IndexedRental,
    /// The arbitrator's id of the dispute.
    pub arbitrator_dispute_id: U256,
    /// When the fallback applies without a ruling.
    pub deadline: u64,
    /// The arbitrator's ruling, once ruled (0: refused, r ≥ 1: renter gets r − 1 bps).
    pub ruling: Option<u64>,
}

impl Index {
    /// Disputes opened and not executed yet, oldest deadline first.
    pub fn pending_disputes(&self) -> Result<Vec<Dispute>, IndexError> {
        let rows = {
            let db = self.db();
            let mut stmt = db.prepare(
                "SELECT rental_id, arbitrator_dispute_id, deadline, ruling FROM disputes
                 WHERE status IN (?1, ?2) ORDER BY deadline, rental_id",
            )?;
            let rows = stmt
                .query_map(
                    params![DisputeStatus::Open.as_str(), DisputeStatus::Ruled.as_str()],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, Option<i64>>(3)?,
                        ))
                    },
                )?
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
}
