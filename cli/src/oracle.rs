//! The provider's oracle over HTTP: signed usage attestations, live usage and access details.
//! Its URL is the endpoint the provider registered on-chain.

use std::time::Duration;

use alloy::primitives::{Address, B256};
use eyre::{eyre, Result};
use protocol::{
    bindings::GpuEscrow,
    oracle_api::{
        AccessAnswer, ErrorBody, OracleEndpoint, UsageView, ACCESS_SIGNATURE_HEADER, ACCESS_TIMESTAMP_HEADER,
    },
    SignedAttestation,
};
use reqwest::StatusCode;

use crate::{context::Ctx, events::Rental};

/// A client of one provider's oracle.
pub(crate) struct Oracle {
    endpoint: OracleEndpoint,
    http: reqwest::Client,
}

/// What `GET /v1/rentals/{id}/access` answered.
#[derive(Debug)]
pub(crate) enum Access {
    /// `200` (ready) or `202` (provisioning).
    Answer(AccessAnswer),
    /// The oracle already saw this signed request (same rental, timestamp and signer): sign again
    /// with a later timestamp.
    Replayed,
}

impl Oracle {
    /// The oracle serving `rental`: the registered endpoint of its offer's provider.
    pub(crate) async fn of_rental(ctx: &Ctx, rental: &Rental) -> Result<Self> {
        let offer = ctx
            .escrow
            .offer(rental.terms.offerId)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading the rental's offer"))?;
        Self::of_provider(ctx, offer.provider).await
    }

    /// The oracle of `provider`, from its on-chain registration.
    pub(crate) async fn of_provider(ctx: &Ctx, provider: Address) -> Result<Self> {
        let registration = ctx
            .escrow
            .call_builder(&GpuEscrow::providerCall { account: provider })
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading the provider's registration"))?;
        let endpoint = OracleEndpoint::parse(&registration.endpoint)
            .map_err(|e| eyre!("cannot ask provider {provider}'s oracle: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(ctx.global.oracle_timeout.max(1)))
            .build()
            .map_err(|e| eyre!("cannot build the HTTP client: {e}"))?;
        Ok(Self { endpoint, http })
    }

    pub(crate) fn url(&self) -> &str {
        self.endpoint.base()
    }

    fn unreachable(&self, e: &reqwest::Error) -> eyre::Report {
        eyre!(
            "cannot reach the provider's oracle at {} ({e}); the provider's host may be down or the endpoint wrong: check `curl {}/healthz`, or try again later",
            self.url(),
            self.url()
        )
    }

    async fn error_of(&self, what: &str, response: reqwest::Response) -> eyre::Report {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<ErrorBody>(&body).map_or(body, |e| e.error);
        eyre!(
            "the provider's oracle at {} refused {what}: {status}: {message}",
            self.url()
        )
    }

    /// The latest signed attestation (`fresh = false`) or a fresh one signed now (`fresh = true`).
    pub(crate) async fn attestation(&self, id: B256, fresh: bool) -> Result<SignedAttestation> {
        let url = self.endpoint.attestation_url(id);
        let request = if fresh {
            self.http.post(&url)
        } else {
            self.http.get(&url)
        };
        let response = request.send().await.map_err(|e| self.unreachable(&e))?;
        if !response.status().is_success() {
            return Err(self.error_of("the attestation", response).await);
        }
        response.json().await.map_err(|e| {
            eyre!(
                "the oracle at {} sent an attestation that does not parse: {e}",
                self.url()
            )
        })
    }

    /// Live usage.
    pub(crate) async fn usage(&self, id: B256) -> Result<UsageView> {
        let response = self
            .http
            .get(self.endpoint.usage_url(id))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !response.status().is_success() {
            return Err(self.error_of("the usage", response).await);
        }
        response
            .json()
            .await
            .map_err(|e| eyre!("the oracle at {} sent usage that does not parse: {e}", self.url()))
    }

    /// Connection details, asked with the renter's signature over `timestamp`.
    pub(crate) async fn access(&self, id: B256, timestamp: u64, signature: &str) -> Result<Access> {
        let response = self
            .http
            .get(self.endpoint.access_url(id))
            .header(ACCESS_TIMESTAMP_HEADER, timestamp.to_string())
            .header(ACCESS_SIGNATURE_HEADER, signature)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        if !status.is_success() {
            let error = self.error_of("access", response).await;
            let text = error.to_string().to_lowercase();
            if status == StatusCode::UNAUTHORIZED && (text.contains("already used") || text.contains("replay")) {
                return Ok(Access::Replayed);
            }
            if status == StatusCode::NOT_FOUND {
                return Err(error.wrap_err(format!(
                    "the provider's oracle does not know rental {id} yet: it may still be catching up with the chain; try again in a few seconds"
                )));
            }
            return Err(error);
        }
        let answer = response
            .json()
            .await
            .map_err(|e| eyre!("the oracle's access answer ({status}) does not parse: {e}"))?;
        Ok(Access::Answer(answer))
    }
}
