//! The escrow's acceptance rules for a usage attestation (`AttestationVerifier`), checked
//! off-chain before a transaction is sent: the keeper and the CLI refuse what the escrow would
//! refuse, with the reason, instead of paying for a revert. Also which attestations are evidence
//! and which pairs contradict each other (`proveEquivocation`).

use alloy::{primitives::B256, sol_types::Eip712Domain};

use crate::{error::AcceptanceError, rental::Rental, SignedAttestation};

/// What the attestation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Settling an ended rental: must cover the end.
    Settle,
    /// Paying a running rental so far.
    Checkpoint,
}

/// Checks an attestation against the rental with the escrow's rules: signed by the attester in
/// the rental's terms (EIP-712), same rental, the offer's GPU model (`offer_model_hash`), seq
/// above the last accepted, not from the future (`now`: the latest block's time), uptime within
/// the elapsed time and not below what was paid, and final for a settlement.
pub fn check(
    signed: &SignedAttestation,
    rental: &Rental,
    offer_model_hash: B256,
    domain: &Eip712Domain,
    now: u64,
    purpose: Purpose,
) -> Result<(), AcceptanceError> {
    signed.verify(domain, rental.terms.attester)?;
    let a = &signed.attestation;
    if a.rentalId != rental.id {
        return Err(AcceptanceError::WrongRental {
            expected: rental.id,
            found: a.rentalId,
        });
    }
    if a.gpuModelHash != offer_model_hash {
        return Err(AcceptanceError::WrongGpuModel {
            expected: offer_model_hash,
            found: a.gpuModelHash,
        });
    }
    if a.seq <= rental.last_seq {
        return Err(AcceptanceError::StaleSeq {
            seq: a.seq,
            last_seq: rental.last_seq,
        });
    }
    if a.periodEnd > now {
        return Err(AcceptanceError::FromFuture {
            period_end: a.periodEnd,
            now,
        });
    }
    let started_at = rental.started_at();
    if a.periodEnd < started_at {
        return Err(AcceptanceError::BeforeStart {
            period_end: a.periodEnd,
            started_at,
        });
    }
    if purpose == Purpose::Settle && a.periodEnd < rental.end() {
        return Err(AcceptanceError::NotFinal {
            period_end: a.periodEnd,
            end: rental.end(),
        });
    }
    let elapsed = a.periodEnd - started_at;
    if a.uptimeSeconds > elapsed {
        return Err(AcceptanceError::UptimeExceedsElapsed {
            uptime: a.uptimeSeconds,
            elapsed,
        });
    }
    if a.uptimeSeconds < rental.paid_seconds {
        return Err(AcceptanceError::UptimeDecreased {
            uptime: a.uptimeSeconds,
            paid: rental.paid_seconds,
        });
    }
    Ok(())
}

/// Whether an attestation is evidence worth keeping: signed by the rental's attester, for this
/// rental. Such an attestation, whatever else it says, can prove the provider wrong.
pub fn is_evidence(signed: &SignedAttestation, rental: &Rental, domain: &Eip712Domain) -> bool {
    signed.attestation.rentalId == rental.id && signed.verify(domain, rental.terms.attester).is_ok()
}

/// A pair of attestations that contradict each other ([`crate::UsageAttestation::contradicts`]),
/// if `stored` (of one rental) holds one.
pub fn find_contradiction(stored: &[SignedAttestation]) -> Option<(&SignedAttestation, &SignedAttestation)> {
    let mut sorted: Vec<&SignedAttestation> = stored.iter().collect();
    sorted.sort_by_key(|s| (s.attestation.seq, s.attestation.uptimeSeconds));
    // Any contradicting pair shows against the highest uptime among the seqs up to the current one.
    let mut highest: Option<&SignedAttestation> = None;
    for s in sorted {
        if let Some(h) = highest {
            if h.attestation.contradicts(&s.attestation) {
                return Some((h, s));
            }
        }
        if highest.is_none_or(|h| s.attestation.uptimeSeconds >= h.attestation.uptimeSeconds) {
            highest = Some(s);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alloy::{
        primitives::{
            aliases::{U40, U96},
            Address, U256,
        },
        signers::local::PrivateKeySigner,
    };

    use super::*;
    use crate::{gpu_model_hash, rental_id, RentalTerms, UsageAttestation};

    const MODEL: &str = "NVIDIA H100 80GB HBM3";

    fn setup() -> (Rental, PrivateKeySigner, Eip712Domain) {
        let attester = PrivateKeySigner::random();
        let terms = RentalTerms {
            offerId: 1,
            pricePerHour: U96::from(3_600u64),
            attester: attester.address(),
            startedAt: U40::from(1_000u64),
            ..Default::default()
        };
        let mut rental = Rental::opened(rental_id(&terms), terms, U256::from(3_600));
        rental.paid_seconds = 100;
        rental.last_seq = 2;
        (rental, attester, crate::domain(31_337, Address::repeat_byte(7)))
    }

    fn attest(
        rental: &Rental,
        key: &PrivateKeySigner,
        domain: &Eip712Domain,
        f: impl FnOnce(&mut UsageAttestation),
    ) -> SignedAttestation {
        let mut a = UsageAttestation {
            rentalId: rental.id,
            seq: 3,
            periodEnd: 1_000 + 3_600,
            uptimeSeconds: 3_500,
            gpuModelHash: gpu_model_hash(MODEL),
            ..Default::default()
        };
        f(&mut a);
        a.sign(key, domain).unwrap()
    }

    #[test]
    fn a_final_attestation_by_the_attester_passes() {
        let (rental, key, domain) = setup();
        let signed = attest(&rental, &key, &domain, |_| {});
        check(&signed, &rental, gpu_model_hash(MODEL), &domain, 5_000, Purpose::Settle).unwrap();
    }

    #[test]
    fn each_rule_is_enforced() {
        let (rental, key, domain) = setup();
        let model = gpu_model_hash(MODEL);
        let refuse =
            |signed: SignedAttestation, purpose| check(&signed, &rental, model, &domain, 5_000, purpose).unwrap_err();
        let forged = attest(&rental, &PrivateKeySigner::random(), &domain, |_| {});
        assert!(matches!(refuse(forged, Purpose::Settle), AcceptanceError::Signature(_)));
        let other = attest(&rental, &key, &domain, |a| a.rentalId = B256::repeat_byte(1));
        assert!(matches!(
            refuse(other, Purpose::Settle),
            AcceptanceError::WrongRental { .. }
        ));
        let wrong_model = attest(&rental, &key, &domain, |a| a.gpuModelHash = B256::repeat_byte(1));
        assert!(matches!(
            refuse(wrong_model, Purpose::Settle),
            AcceptanceError::WrongGpuModel { .. }
        ));
        let stale = attest(&rental, &key, &domain, |a| a.seq = 2);
        assert!(matches!(
            refuse(stale, Purpose::Settle),
            AcceptanceError::StaleSeq { .. }
        ));
        let future = attest(&rental, &key, &domain, |a| a.periodEnd = 5_001);
        assert!(matches!(
            refuse(future, Purpose::Settle),
            AcceptanceError::FromFuture { .. }
        ));
        let before = attest(&rental, &key, &domain, |a| {
            a.periodEnd = 999;
            a.uptimeSeconds = 0;
        });
        assert!(matches!(
            refuse(before, Purpose::Checkpoint),
            AcceptanceError::BeforeStart { .. }
        ));
        let early = attest(&rental, &key, &domain, |a| {
            a.periodEnd = 2_000;
            a.uptimeSeconds = 900;
        });
        assert!(matches!(
            refuse(early.clone(), Purpose::Settle),
            AcceptanceError::NotFinal { .. }
        ));
        check(&early, &rental, model, &domain, 5_000, Purpose::Checkpoint).unwrap();
        let inflated = attest(&rental, &key, &domain, |a| a.uptimeSeconds = 3_601);
        assert!(matches!(
            refuse(inflated, Purpose::Settle),
            AcceptanceError::UptimeExceedsElapsed { .. }
        ));
        let shrunk = attest(&rental, &key, &domain, |a| a.uptimeSeconds = 99);
        assert!(matches!(
            refuse(shrunk, Purpose::Settle),
            AcceptanceError::UptimeDecreased { .. }
        ));
    }

    #[test]
    fn contradictions_are_found_among_stored_attestations() {
        let (rental, key, domain) = setup();
        let first = attest(&rental, &key, &domain, |a| a.seq = 3);
        let next = attest(&rental, &key, &domain, |a| {
            a.seq = 4;
            a.uptimeSeconds = 3_550;
        });
        assert!(find_contradiction(&[first.clone(), next.clone()]).is_none());
        let shrunk = attest(&rental, &key, &domain, |a| {
            a.seq = 5;
            a.uptimeSeconds = 3_000;
        });
        let three = [next.clone(), first.clone(), shrunk.clone()];
        let (a, b) = find_contradiction(&three).unwrap();
        assert!(a.attestation.contradicts(&b.attestation));
        assert_eq!(b, &shrunk);
        let twin = attest(&rental, &key, &domain, |a| {
            a.seq = 3;
            a.energyJoules = 1;
        });
        let twins = [first.clone(), next, twin];
        let (a, b) = find_contradiction(&twins).unwrap();
        assert_eq!((a.attestation.seq, b.attestation.seq), (3, 3));
        assert!(is_evidence(&first, &rental, &domain));
        let forged = attest(&rental, &PrivateKeySigner::random(), &domain, |_| {});
        assert!(!is_evidence(&forged, &rental, &domain));
    }
}
