//! The `rentals` table: each rental's model (`protocol::rental::Rental`, stored as JSON) with the
//! columns the keeper selects by (status, offer, renter, when it opened), and the reads of it.

use std::ops::Deref;

use alloy::{primitives::B256, sol_types::Eip712Domain};
use protocol::{
    acceptance::{self, Purpose},
    rental::{Rental, RentalStatus},
    AcceptanceError, SignedAttestation,
};
use rusqlite::{params, Connection, OptionalExtension, Params};

use super::{hex, int, parse, uint, Index};
use crate::error::IndexError;

/// A rental as the index knows it: the model of its life, and what the index adds to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedRental {
    /// Terms and state, folded from its events.
    pub rental: Rental,
    /// The offer's GPU model hash (zero when the offer is not indexed): an attestation of
    /// another model is evidence for `proveWrongGpu`.
    pub offer_model_hash: B256,
}

impl IndexedRental {
    /// Checks `signed` with the escrow's acceptance rules for this rental and its offer's GPU
    /// model, at `now` (the latest block's time).
    pub fn check_attestation(
        &self,
        signed: &SignedAttestation,
        domain: &Eip712Domain,
        now: u64,
        purpose: Purpose,
    ) -> Result<(), AcceptanceError> {
        acceptance::check(signed, &self.rental, self.offer_model_hash, domain, now, purpose)
    }
}

/// The model's fields and methods (`id`, `terms`, `end()`, …) read through.
impl Deref for IndexedRental {
    type Target = Rental;

    fn deref(&self) -> &Rental {
        &self.rental
    }
}

fn to_json(rental: &Rental) -> Result<String, IndexError> {
    serde_json::to_string(rental).map_err(|e| IndexError::Corrupt {
        what: "rental",
        value: e.to_string(),
    })
}

fn from_json(json: String) -> Result<Rental, IndexError> {
    serde_json::from_str(&json).map_err(|_| IndexError::Corrupt {
        what: "rental",
        value: json,
    })
}

/// The stored model of rental `id`.
pub(super) fn load(db: &Connection, id: B256) -> Result<Option<Rental>, IndexError> {
    let json: Option<String> = db
        .query_row("SELECT model FROM rentals WHERE id = ?1", [hex(id)], |r| r.get(0))
        .optional()?;
    json.map(from_json).transpose()
}

/// Whether every stored rental reads as the model this keeper is built with.
pub(super) fn all_read(db: &Connection) -> Result<bool, IndexError> {
    let mut stmt = db.prepare("SELECT model FROM rentals")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let json: String = row.get(0)?;
        if serde_json::from_str::<Rental>(&json).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Stores a rental opened (or opened again) in block `block`.
pub(super) fn insert(db: &Connection, rental: &Rental, block: u64) -> Result<(), IndexError> {
    db.execute(
        "INSERT OR REPLACE INTO rentals (id, offer_id, renter, status, opened_block, model)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            hex(rental.id),
            int(rental.terms.offerId),
            rental.terms.renter.to_string(),
            rental.status().as_str(),
            int(block),
            to_json(rental)?
        ],
    )?;
    Ok(())
}

/// Stores a rental's new state.
pub(super) fn update(db: &Connection, rental: &Rental) -> Result<(), IndexError> {
    db.execute(
        "UPDATE rentals SET status = ?2, model = ?3 WHERE id = ?1",
        params![hex(rental.id), rental.status().as_str(), to_json(rental)?],
    )?;
    Ok(())
}

impl Index {
    /// Running rentals (not closed, not frozen by a dispute), oldest first.
    pub fn open_rentals(&self) -> Result<Vec<IndexedRental>, IndexError> {
        self.rentals_where("r.status = ?1", [RentalStatus::Running.as_str()])
    }

    /// Every rental, oldest first.
    pub fn all_rentals(&self) -> Result<Vec<IndexedRental>, IndexError> {
        self.rentals_where("1 = 1", params![])
    }

    /// One rental.
    pub fn rental(&self, id: B256) -> Result<Option<IndexedRental>, IndexError> {
        Ok(self.rentals_where("r.id = ?1", [hex(id)])?.into_iter().next())
    }

    /// The rentals matching `condition` on `r` (the rentals), with its parameters.
    fn rentals_where(&self, condition: &str, values: impl Params) -> Result<Vec<IndexedRental>, IndexError> {
        let sql = format!(
            "SELECT r.model, o.gpu_model_hash FROM rentals r LEFT JOIN offers o ON o.offer_id = r.offer_id
             WHERE {condition} ORDER BY r.opened_block, r.id"
        );
        let db = self.db();
        let mut stmt = db.prepare(&sql)?;
        let rows = stmt
            .query_map(values, |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(model, offer_model)| {
                Ok(IndexedRental {
                    rental: from_json(model)?,
                    offer_model_hash: offer_model.map_or(Ok(B256::ZERO), |m| parse("GPU model hash", &m))?,
                })
            })
            .collect()
    }

    /// How many rentals are in each status.
    pub fn counts_by_status(&self) -> Result<Vec<(RentalStatus, u64)>, IndexError> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT status, COUNT(*) FROM rentals GROUP BY status ORDER BY status")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(status, n)| Ok((parse("rental status", &status)?, uint(n))))
            .collect()
    }
}
