//! The attestation a rental's transaction carries: fetched from its provider's oracle and checked
//! with the escrow's rules, or else a stored one that still passes.

use protocol::{
    acceptance::{self, Purpose},
    oracle_api::OracleEndpoint,
    SignedAttestation,
};

use super::Keeper;
use crate::{error::KeeperError, index::IndexedRental};

impl Keeper {
    /// Fetches the latest attestation and checks it; on failure, falls back to a stored one that
    /// still passes. Failures are counted per provider.
    pub(super) async fn attestation_for(
        &mut self,
        rental: &IndexedRental,
        now: u64,
        purpose: Purpose,
    ) -> Result<Option<SignedAttestation>, KeeperError> {
        let Some((provider, endpoint)) = self.index.endpoint_for_offer(rental.terms.offerId)? else {
            tracing::warn!(target: "keeper::fetch", rental = %rental.id, offer = rental.terms.offerId, "no provider endpoint indexed for the offer");
            return Ok(None);
        };
        let label = provider.to_string();
        let fetched = match OracleEndpoint::parse(&endpoint) {
            Ok(oracle) => self.client.fetch(&oracle, rental.id).await,
            Err(e) => Err(e.into()),
        };
        match fetched {
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
