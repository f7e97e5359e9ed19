//! Attestations from the providers' oracles: fetching them over HTTP (timeouts, size limit,
//! retries with backoff) and checking them locally with the escrow's own rules, so a forged,
//! stale or garbage attestation is never submitted.

use std::time::Duration;

use alloy::{primitives::B256, sol_types::Eip712Domain};
use protocol::{rental_id, SignedAttestation};

use crate::{
    error::{FetchError, VerifyError},
    index::Rental,
};

/// HTTP client settings for the oracles.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; doubled after each retry.
    pub backoff: Duration,
    /// Largest accepted body.
    pub max_response_bytes: usize,
}

/// Fetches the latest signed attestation of a rental from its provider's oracle.
#[derive(Debug, Clone)]
pub struct AttestationClient {
    http: reqwest::Client,
    settings: FetchSettings,
}

/// The URL of a rental's latest attestation under an oracle endpoint.
pub fn attestation_url(endpoint: &str, rental: B256) -> Result<String, FetchError> {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(FetchError::BadEndpoint(endpoint.to_owned()));
    }
    Ok(format!(
        "{endpoint}/v1/rentals/{}/attestation",
        alloy::hex::encode_prefixed(rental)
    ))
}

impl AttestationClient {
    /// A client with the given timeouts and limits.
    pub fn new(settings: FetchSettings) -> Result<Self, FetchError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::limited(3))
            .user_agent(concat!("gpu-keeper/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|source| FetchError::Http {
                url: String::new(),
                source,
            })?;
        Ok(Self { http, settings })
    }

    /// Fetches with retries and exponential backoff; the last error when every attempt failed.
    pub async fn fetch(&self, endpoint: &str, rental: B256) -> Result<SignedAttestation, FetchError> {
        let url = attestation_url(endpoint, rental)?;
        let mut backoff = self.settings.backoff;
        let mut attempt = 0;
        loop {
            match self.fetch_once(&url).await {
                Ok(signed) => return Ok(signed),
                // A body that is not an attestation will not become one by asking again.
                Err(e @ (FetchError::Garbage { .. } | FetchError::TooLarge { .. })) => return Err(e),
                Err(e) if attempt >= self.settings.retries => return Err(e),
                Err(e) => {
                    tracing::debug!(target: "keeper::fetch", %url, attempt, error = %e, "retrying");
                    attempt += 1;
                    tokio::time::sleep(backoff).await;
                    backoff = backoff.saturating_mul(2);
                }
            }
        }
    }

    async fn fetch_once(&self, url: &str) -> Result<SignedAttestation, FetchError> {
        let http = |source| FetchError::Http {
            url: url.to_owned(),
            source,
        };
        let mut response = self.http.get(url).send().await.map_err(http)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        let limit = self.settings.max_response_bytes;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > limit {
                return Err(FetchError::TooLarge {
                    url: url.to_owned(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|source| FetchError::Garbage {
            url: url.to_owned(),
            source,
        })
    }
}

/// What the attestation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Settling an ended rental: must cover the end.
    Settle,
    /// Paying a running rental so far.
    Checkpoint,
}

/// Whether an attestation is evidence worth keeping: signed by the rental's attester, for this
/// rental. Such an attestation, whatever else it says, can prove the provider wrong.
pub fn is_evidence(signed: &SignedAttestation, rental: &Rental, domain: &Eip712Domain) -> bool {
    signed.attestation.rentalId == rental.id && signed.verify(domain, rental.terms.attester).is_ok()
}

/// A pair of attestations that contradict each other ([`protocol::UsageAttestation::contradicts`]),
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

/// Checks an attestation against the rental with the escrow's rules: signed by the rental's
/// attester (EIP-712), same rental, the offer's GPU model, seq above the last accepted, not from
/// the future, uptime within the elapsed time and not below what was paid, and final for a
/// settlement.
pub fn verify(
    signed: &SignedAttestation,
    rental: &Rental,
    domain: &Eip712Domain,
    now: u64,
    purpose: Purpose,
) -> Result<(), VerifyError> {
    let terms = &rental.terms;
    signed.verify(domain, terms.attester)?;
    let a = &signed.attestation;
    let expected = rental_id(terms);
    if a.rentalId != expected {
        return Err(VerifyError::WrongRental {
            expected,
            found: a.rentalId,
        });
    }
    if a.gpuModelHash != rental.offer_model_hash {
        return Err(VerifyError::WrongGpuModel {
            expected: rental.offer_model_hash,
            found: a.gpuModelHash,
        });
    }
    if a.seq <= rental.last_seq {
        return Err(VerifyError::StaleSeq {
            seq: a.seq,
            last_seq: rental.last_seq,
        });
    }
    if a.periodEnd > now {
        return Err(VerifyError::FromFuture {
            period_end: a.periodEnd,
            now,
        });
    }
    let started_at: u64 = terms.startedAt.to();
    if a.periodEnd < started_at {
        return Err(VerifyError::BeforeStart {
            period_end: a.periodEnd,
            started_at,
        });
    }
    if purpose == Purpose::Settle && a.periodEnd < rental.end() {
        return Err(VerifyError::NotFinal {
            period_end: a.periodEnd,
            end: rental.end(),
        });
    }
    let elapsed = a.periodEnd - started_at;
    if a.uptimeSeconds > elapsed {
        return Err(VerifyError::UptimeExceedsElapsed {
            uptime: a.uptimeSeconds,
            elapsed,
        });
    }
    if a.uptimeSeconds < rental.paid_seconds {
        return Err(VerifyError::UptimeDecreased {
            uptime: a.uptimeSeconds,
            paid: rental.paid_seconds,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{
            aliases::{U40, U96},
            Address, U256,
        },
        signers::local::PrivateKeySigner,
    };
    use protocol::{RentalTerms, UsageAttestation};

    use super::*;

    fn setup() -> (Rental, PrivateKeySigner, Eip712Domain) {
        let attester = PrivateKeySigner::random();
        let terms = RentalTerms {
            offerId: 1,
            pricePerHour: U96::from(3_600u64),
            attester: attester.address(),
            startedAt: U40::from(1_000u64),
            ..Default::default()
        };
        let rental = Rental {
            id: rental_id(&terms),
            terms,
            deposit: U256::from(3_600),
            paid_seconds: 100,
            last_seq: 2,
            stopped_at: 0,
            status: "running".into(),
            offer_model_hash: protocol::gpu_model_hash("NVIDIA H100 80GB HBM3"),
        };
        (rental, attester, protocol::domain(31_337, Address::repeat_byte(7)))
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
            gpuModelHash: rental.offer_model_hash,
            ..Default::default()
        };
        f(&mut a);
        a.sign(key, domain).unwrap()
    }

    #[test]
    fn a_final_attestation_by_the_attester_passes() {
        let (rental, key, domain) = setup();
        let signed = attest(&rental, &key, &domain, |_| {});
        verify(&signed, &rental, &domain, 5_000, Purpose::Settle).unwrap();
    }

    #[test]
    fn each_rule_is_enforced() {
        let (rental, key, domain) = setup();
        let check = |signed: SignedAttestation, purpose| verify(&signed, &rental, &domain, 5_000, purpose).unwrap_err();
        let forged = attest(&rental, &PrivateKeySigner::random(), &domain, |_| {});
        assert!(matches!(check(forged, Purpose::Settle), VerifyError::Signature(_)));
        let other = attest(&rental, &key, &domain, |a| a.rentalId = B256::repeat_byte(1));
        assert!(matches!(check(other, Purpose::Settle), VerifyError::WrongRental { .. }));
        let model = attest(&rental, &key, &domain, |a| a.gpuModelHash = B256::repeat_byte(1));
        assert!(matches!(
            check(model, Purpose::Settle),
            VerifyError::WrongGpuModel { .. }
        ));
        let stale = attest(&rental, &key, &domain, |a| a.seq = 2);
        assert!(matches!(check(stale, Purpose::Settle), VerifyError::StaleSeq { .. }));
        let future = attest(&rental, &key, &domain, |a| a.periodEnd = 5_001);
        assert!(matches!(check(future, Purpose::Settle), VerifyError::FromFuture { .. }));
        let early = attest(&rental, &key, &domain, |a| {
            a.periodEnd = 2_000;
            a.uptimeSeconds = 900;
        });
        assert!(matches!(
            check(early.clone(), Purpose::Settle),
            VerifyError::NotFinal { .. }
        ));
        verify(&early, &rental, &domain, 5_000, Purpose::Checkpoint).unwrap();
        let inflated = attest(&rental, &key, &domain, |a| a.uptimeSeconds = 3_601);
        assert!(matches!(
            check(inflated, Purpose::Settle),
            VerifyError::UptimeExceedsElapsed { .. }
        ));
        let shrunk = attest(&rental, &key, &domain, |a| a.uptimeSeconds = 99);
        assert!(matches!(
            check(shrunk, Purpose::Settle),
            VerifyError::UptimeDecreased { .. }
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

    #[test]
    fn only_http_endpoints_are_asked() {
        assert!(attestation_url("file:///etc/passwd", B256::ZERO).is_err());
        let url = attestation_url("https://gpu.example:8443/", B256::ZERO).unwrap();
        assert_eq!(
            url,
            format!("https://gpu.example:8443/v1/rentals/0x{}/attestation", "0".repeat(64))
        );
    }
}
