//! The `attestations` table: every signed attestation the keeper fetched that its rental's
//! attester signed, accepted or not (a refused one may still be evidence).

use alloy::primitives::B256;
use protocol::SignedAttestation;
use rusqlite::params;

use super::{hex, int, Index};
use crate::error::IndexError;

impl Index {
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
}
