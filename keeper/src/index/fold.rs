//! The derived tables as a fold of the stored events: each rental is loaded, fed the event with
//! `protocol::rental::Rental::apply` (the workspace's one fold of a rental's events) and stored
//! again; providers, offers and the dispute module's disputes, which that model does not cover,
//! are updated here, one arm per event.

use alloy::primitives::{LogData, B256};
use protocol::{
    chain::{EscrowEvent, LoggedEvent},
    rental::{Change, Rental},
};
use rusqlite::{params, Transaction};

use super::{disputes::DisputeStatus, hex, int, rentals, uint};
use crate::error::IndexError;

/// Stores one event as emitted (the replay's source).
pub(super) fn insert_event(tx: &Transaction<'_>, event: &LoggedEvent) -> Result<(), IndexError> {
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

/// Rebuilds providers, offers, rentals and disputes from the stored events; how many it replayed.
pub(super) fn replay(tx: &Transaction<'_>) -> Result<usize, IndexError> {
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
    let replayed = rows.len();
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
    Ok(replayed)
}

/// Updates the derived tables with one event of block `block`.
pub(super) fn apply_event(tx: &Transaction<'_>, event: &EscrowEvent, block: u64) -> Result<(), IndexError> {
    if let Some(id) = event.rental_id() {
        fold_into_rental(tx, id, event, block)?;
    }
    apply_to_market(tx, event)
}

/// Feeds the event to the rental it concerns: a `RentalOpened` of an unknown id starts one; an
/// event about a rental opened before the start block changes nothing.
fn fold_into_rental(tx: &Transaction<'_>, id: B256, event: &EscrowEvent, block: u64) -> Result<(), IndexError> {
    match rentals::load(tx, id)? {
        Some(mut rental) => match rental.apply(event) {
            // Its life starts over: ordered as opened now.
            Some(Change::Reopened { .. }) => rentals::insert(tx, &rental, block),
            Some(_) => rentals::update(tx, &rental),
            None => Ok(()),
        },
        None => match Rental::from_opened(event) {
            Some(rental) => rentals::insert(tx, &rental, block),
            None => Ok(()),
        },
    }
}

/// Providers, offers and the dispute module's disputes (one arm per event: long, but flat).
#[allow(clippy::too_many_lines)]
fn apply_to_market(tx: &Transaction<'_>, event: &EscrowEvent) -> Result<(), IndexError> {
    match event {
        // A rental's own events and the slashing proofs: the rental's model has them (a proof
        // closes the rental with its `RentalResolved`).
        EscrowEvent::RentalOpened { .. }
        | EscrowEvent::RentalExtended(_)
        | EscrowEvent::RentalStopped(_)
        | EscrowEvent::Checkpointed(_)
        | EscrowEvent::RentalSettled(_)
        | EscrowEvent::RentalRefunded(_)
        | EscrowEvent::RentalFrozen(_)
        | EscrowEvent::RentalResolved(_)
        | EscrowEvent::EquivocationProven(_)
        | EscrowEvent::WrongGpuProven(_) => {}
        EscrowEvent::DisputeOpened(e) => {
            tx.execute(
                "INSERT OR REPLACE INTO disputes (rental_id, arbitrator_dispute_id, opener, deadline, status)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    hex(e.rentalId),
                    e.arbitratorDisputeId.to_string(),
                    e.opener.to_string(),
                    int(e.deadline.saturating_to()),
                    DisputeStatus::Open.as_str()
                ],
            )?;
        }
        EscrowEvent::Ruling(e) => {
            tx.execute(
                "UPDATE disputes SET status = ?2, ruling = ?3 WHERE arbitrator_dispute_id = ?1 AND status = ?4",
                params![
                    e.disputeID.to_string(),
                    DisputeStatus::Ruled.as_str(),
                    int(e.ruling.saturating_to()),
                    DisputeStatus::Open.as_str()
                ],
            )?;
        }
        EscrowEvent::DisputeResolved(e) => {
            tx.execute(
                "UPDATE disputes SET status = ?2, renter_share_bps = ?3, fallback_applied = ?4 WHERE rental_id = ?1",
                params![
                    hex(e.rentalId),
                    DisputeStatus::Resolved.as_str(),
                    int(e.renterShareBps.saturating_to()),
                    e.fallbackApplied
                ],
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
