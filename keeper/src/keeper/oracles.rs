//! The attestations a round's transactions carry: asked of the providers' oracles all at once
//! (`AttestationClient::fetch_round`: a hung oracle delays only its own rentals), each checked
//! with the escrow's rules, or else a stored one that still passes.

use std::collections::HashMap;

use alloy::primitives::{Address, B256};
use protocol::{
    acceptance::{self, Purpose},
    oracle_api::OracleEndpoint,
    SignedAttestation,
};

use super::Keeper;
use crate::{
    error::{FetchError, KeeperError},
    index::IndexedRental,
};

/// What a rental's oracle answered this round, and whose oracle it is.
pub(super) struct Answer {
    provider: Address,
    endpoint: String,
    result: Result<SignedAttestation, FetchError>,
}

/// A round's answers, by rental.
pub(super) type Answers = HashMap<B256, Answer>;

impl Keeper {
    /// Asks each rental's oracle for its latest attestation, all at once. A rental whose offer
    /// has no provider endpoint indexed gets no answer.
    pub(super) async fn ask_oracles<'a>(
        &self,
        rentals: impl IntoIterator<Item = &'a IndexedRental>,
    ) -> Result<Answers, KeeperError> {
        let mut answers = Answers::new();
        let mut asked = HashMap::new();
        let mut requests = Vec::new();
        for rental in rentals {
            let Some((provider, endpoint)) = self.index.endpoint_for_offer(rental.terms.offerId)? else {
                tracing::warn!(target: "keeper::fetch", rental = %rental.id, offer = rental.terms.offerId, "no provider endpoint indexed for the offer");
                continue;
            };
            match OracleEndpoint::parse(&endpoint) {
                Ok(oracle) => {
                    requests.push((rental.id, oracle));
                    asked.insert(rental.id, (provider, endpoint));
                }
                Err(e) => {
                    let result = Err(e.into());
                    answers.insert(
                        rental.id,
                        Answer {
                            provider,
                            endpoint,
                            result,
                        },
                    );
                }
            }
        }
        let mut fetched = self.client.fetch_round(requests).await;
        for (rental, (provider, endpoint)) in asked {
            if let Some(result) = fetched.remove(&rental) {
                answers.insert(
                    rental,
                    Answer {
                        provider,
                        endpoint,
                        result,
                    },
                );
            }
        }
        Ok(answers)
    }

    /// Asks one rental's oracle alone (a dispute's fallback) and picks its attestation.
    pub(super) async fn fetch_attestation_for(
        &self,
        rental: &IndexedRental,
        now: u64,
        purpose: Purpose,
    ) -> Result<Option<SignedAttestation>, KeeperError> {
        let mut answers = self.ask_oracles([rental]).await?;
        self.attestation_for(rental, answers.remove(&rental.id), now, purpose)
    }

    /// The attestation to submit for `rental`: what its oracle answered when it passes the checks
    /// (recorded), else a stored one that still passes; none without an answer (no endpoint).
    /// Failures are counted per provider.
    pub(super) fn attestation_for(
        &self,
        rental: &IndexedRental,
        answer: Option<Answer>,
        now: u64,
        purpose: Purpose,
    ) -> Result<Option<SignedAttestation>, KeeperError> {
        let Some(Answer {
            provider,
            endpoint,
            result,
        }) = answer
        else {
            return Ok(None);
        };
        let label = provider.to_string();
        match result {
            Ok(signed) if !acceptance::is_evidence(&signed, rental, &self.domain) => {
                self.metrics
                    .attestation_failures
                    .with_label_values(&[label.as_str()])
                    .inc();
                tracing::warn!(target: "keeper::fetch", rental = %rental.id, %provider, "attestation not signed by the rental's attester; ignored");
            }
            Ok(signed) => match rental.check_attestation(&signed, &self.domain, now, purpose) {
                Ok(()) => {
                    self.index.record_attestation(&signed)?;
                    return Ok(Some(signed));
                }
                Err(e) => {
                    self.metrics
                        .attestation_failures
                        .with_label_values(&[label.as_str()])
                        .inc();
                    tracing::warn!(target: "keeper::fetch", rental = %rental.id, %provider, error = %e, "attestation refused; not submitting it");
                    // Signed by the attester: kept, for checkpoints or as evidence.
                    self.index.record_attestation(&signed)?;
                }
            },
            Err(e) => {
                self.metrics
                    .attestation_failures
                    .with_label_values(&[label.as_str()])
                    .inc();
                tracing::warn!(target: "keeper::fetch", rental = %rental.id, %provider, %endpoint, error = %e, "cannot fetch the attestation");
            }
        }
        for stored in self.index.attestations(rental.id)? {
            if rental.check_attestation(&stored, &self.domain, now, purpose).is_ok() {
                return Ok(Some(stored));
            }
        }
        Ok(None)
    }
}
