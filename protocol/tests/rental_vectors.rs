//! `protocol::rental` folds every case of `test/vectors/rentals.json` into the state the case
//! expects; the dApp's mirror (`app/src/rental.ts`) runs the same file, so the two cannot drift.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use alloy::primitives::{
    aliases::{U40, U96},
    Address, Bytes, B256, U256,
};
use protocol::{
    bindings::GpuEscrow,
    chain::EscrowEvent,
    rental::{Closure, Rental},
    RentalTerms,
};
use serde_json::{json, Value};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../test/vectors/rentals.json");

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {v}"))
}

fn uint(v: &Value, key: &str) -> U256 {
    text(v, key).parse().unwrap_or_else(|e| panic!("{key} in {v}: {e}"))
}

fn u64_of(v: &Value, key: &str) -> u64 {
    text(v, key).parse().unwrap_or_else(|e| panic!("{key} in {v}: {e}"))
}

fn address(v: &Value, key: &str) -> Address {
    text(v, key).parse().unwrap()
}

fn b256(v: &Value, key: &str) -> B256 {
    text(v, key).parse().unwrap()
}

fn terms(v: &Value) -> RentalTerms {
    RentalTerms {
        renter: address(v, "renter"),
        offerId: u64_of(v, "offerId"),
        token: address(v, "token"),
        pricePerHour: U96::from(uint(v, "pricePerHour")),
        attester: address(v, "attester"),
        startedAt: U40::from(u64_of(v, "startedAt")),
        feeBps: u16::try_from(u64_of(v, "feeBps")).unwrap(),
        slaBps: u16::try_from(u64_of(v, "slaBps")).unwrap(),
        challengeWindow: u32::try_from(u64_of(v, "challengeWindow")).unwrap(),
        gracePeriod: u32::try_from(u64_of(v, "gracePeriod")).unwrap(),
        salt: b256(v, "salt"),
    }
}

fn event(v: &Value, terms: &RentalTerms) -> EscrowEvent {
    let rental_id = b256(v, "rentalId");
    match text(v, "event") {
        "RentalOpened" => EscrowEvent::RentalOpened {
            rental_id,
            terms: terms.clone(),
            deposit: uint(v, "deposit"),
            access_key: Bytes::new(),
        },
        "RentalExtended" => EscrowEvent::RentalExtended(GpuEscrow::RentalExtended {
            rentalId: rental_id,
            amount: uint(v, "amount"),
            deposit: uint(v, "deposit"),
        }),
        "RentalStopped" => EscrowEvent::RentalStopped(GpuEscrow::RentalStopped {
            rentalId: rental_id,
            by: address(v, "by"),
            stoppedAt: U40::from(u64_of(v, "stoppedAt")),
        }),
        "Checkpointed" => EscrowEvent::Checkpointed(GpuEscrow::Checkpointed {
            rentalId: rental_id,
            seq: u64_of(v, "seq"),
            paidSeconds: u32::try_from(u64_of(v, "paidSeconds")).unwrap(),
            providerNet: uint(v, "providerNet"),
            fee: uint(v, "fee"),
        }),
        "RentalSettled" => EscrowEvent::RentalSettled(GpuEscrow::RentalSettled {
            rentalId: rental_id,
            billedSeconds: u64_of(v, "billedSeconds"),
            endedAt: u64_of(v, "endedAt"),
            cost: uint(v, "cost"),
            refund: uint(v, "refund"),
            slaCredit: uint(v, "slaCredit"),
        }),
        "RentalRefunded" => EscrowEvent::RentalRefunded(GpuEscrow::RentalRefunded {
            rentalId: rental_id,
            refund: uint(v, "refund"),
        }),
        "RentalFrozen" => EscrowEvent::RentalFrozen(GpuEscrow::RentalFrozen { rentalId: rental_id }),
        "RentalResolved" => EscrowEvent::RentalResolved(GpuEscrow::RentalResolved {
            rentalId: rental_id,
            endedAt: u64_of(v, "endedAt"),
            atStake: uint(v, "atStake"),
            returned: uint(v, "returned"),
        }),
        other => panic!("the vectors name an event the test does not build: {other}"),
    }
}

/// The rental as the vectors write it: decimal strings, camelCase keys.
fn observed(r: &Rental) -> Value {
    let closure = r.closure.map(|c| match c {
        Closure::Settled {
            billed_seconds,
            ended_at,
            cost,
            refund,
            sla_credit,
        } => json!({
            "kind": "settled", "billedSeconds": billed_seconds.to_string(), "endedAt": ended_at.to_string(),
            "cost": cost.to_string(), "refund": refund.to_string(), "slaCredit": sla_credit.to_string(),
        }),
        Closure::Refunded { refund } => json!({ "kind": "refunded", "refund": refund.to_string() }),
        Closure::Resolved {
            ended_at,
            at_stake,
            returned,
        } => json!({
            "kind": "resolved", "endedAt": ended_at.to_string(), "atStake": at_stake.to_string(),
            "returned": returned.to_string(),
        }),
    });
    json!({
        "status": r.status().as_str(),
        "initialDeposit": r.initial_deposit.to_string(),
        "deposit": r.deposit.to_string(),
        "paidSeconds": r.paid_seconds.to_string(),
        "lastSeq": r.last_seq.to_string(),
        "checkpointedNet": r.checkpointed_net.to_string(),
        "checkpointedFee": r.checkpointed_fee.to_string(),
        "stopped": r.stopped.map(|s| json!({ "at": s.at.to_string(), "by": s.by.to_checksum(None) })),
        "frozen": r.frozen,
        "end": r.end().to_string(),
        "wallSeconds": r.wall_seconds().to_string(),
        "billedSeconds": r.billed_seconds().to_string(),
        "closure": closure,
    })
}

/// Each case's name, its events (built with the file's terms) and the state it expects of the
/// file's rental.
fn cases() -> (B256, Vec<(String, Vec<EscrowEvent>, Value)>) {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(VECTORS).unwrap()).unwrap();
    let terms = terms(&doc["terms"]);
    let cases = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| {
            let events = case["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| event(e, &terms))
                .collect();
            (text(case, "name").to_owned(), events, case["expect"].clone())
        })
        .collect();
    (b256(&doc, "rentalId"), cases)
}

#[test]
fn every_vector_folds_to_its_expected_state() {
    let (id, cases) = cases();
    assert!(cases.len() >= 10, "the vectors lost cases");
    for (name, events, expect) in cases {
        let rental = Rental::fold(id, &events).unwrap_or_else(|| panic!("{name}: the rental never opened"));
        assert_eq!(observed(&rental), expect, "{name}");
    }
}

#[test]
fn the_stored_form_reads_back_exactly() {
    let (id, cases) = cases();
    for (name, events, _) in cases {
        let rental = Rental::fold(id, &events).unwrap_or_else(|| panic!("{name}: the rental never opened"));
        let stored = serde_json::to_string(&rental).unwrap();
        assert_eq!(serde_json::from_str::<Rental>(&stored).unwrap(), rental, "{name}");
    }
}
