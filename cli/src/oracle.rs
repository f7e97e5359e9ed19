//! The provider's oracle over HTTP: signed usage attestations, live usage and access details.
//! Its URL is the endpoint the provider registered on-chain.

use std::time::Duration;

use alloy::primitives::{Address, B256};
use eyre::{bail, eyre, Result};
use protocol::{bindings::GpuEscrow, SignedAttestation};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::{context::Ctx, events::Rental};

/// A client of one provider's oracle.
pub(crate) struct Oracle {
    base: String,
    http: reqwest::Client,
}

/// Live usage of a rental as the oracle measures it (`GET /v1/rentals/{id}/usage`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LiveUsage {
    pub(crate) uptime_seconds: u64,
    pub(crate) elapsed_seconds: u64,
    pub(crate) avg_util_bps: u16,
    #[serde(default)]
    pub(crate) energy_joules: u64,
    #[serde(default)]
    pub(crate) last_seq: u64,
}

/// What `GET /v1/rentals/{id}/access` answered.
#[derive(Debug)]
pub(crate) enum Access {
    Ready(serde_json::Value),
    Provisioning {
        attempts: u64,
        last_error: Option<String>,
    },
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
        if registration.endpoint.trim().is_empty() {
            bail!("provider {provider} registered no oracle endpoint; ask them to set one (setEndpoint)");
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(ctx.global.oracle_timeout.max(1)))
            .build()
            .map_err(|e| eyre!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            base: registration.endpoint.trim_end_matches('/').to_owned(),
            http,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, e: &reqwest::Error) -> eyre::Report {
        eyre!(
            "cannot reach the provider's oracle at {} ({e}); the provider's host may be down or the endpoint wrong: check `curl {}/healthz`, or try again later",
            self.base,
            self.base
        )
    }

    async fn error_of(&self, what: &str, response: reqwest::Response) -> eyre::Report {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or(body);
        eyre!(
            "the provider's oracle at {} refused {what}: {status}: {message}",
            self.base
        )
    }

    /// The latest signed attestation (`fresh = false`) or a fresh one signed now (`fresh = true`).
    pub(crate) async fn attestation(&self, id: B256, fresh: bool) -> Result<SignedAttestation> {
        let url = format!("{}/v1/rentals/{id}/attestation", self.base);
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
                self.base
            )
        })
    }

    /// Live usage.
    pub(crate) async fn usage(&self, id: B256) -> Result<LiveUsage> {
        let response = self
            .http
            .get(format!("{}/v1/rentals/{id}/usage", self.base))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !response.status().is_success() {
            return Err(self.error_of("the usage", response).await);
        }
        response
            .json()
            .await
            .map_err(|e| eyre!("the oracle at {} sent usage that does not parse: {e}", self.base))
    }

    /// Connection details, asked with the renter's signature over `timestamp`.
    pub(crate) async fn access(&self, id: B256, timestamp: u64, signature: &str) -> Result<Access> {
        let response = self
            .http
            .get(format!("{}/v1/rentals/{id}/access", self.base))
            .header("X-Access-Timestamp", timestamp.to_string())
            .header("X-Access-Signature", signature)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        if status == StatusCode::ACCEPTED {
            let body: serde_json::Value = response
                .json()
                .await
                .map_err(|e| eyre!("the oracle's 202 answer does not parse: {e}"))?;
            return Ok(Access::Provisioning {
                attempts: body.get("attempts").and_then(serde_json::Value::as_u64).unwrap_or(0),
                last_error: body.get("lastError").and_then(|e| e.as_str()).map(str::to_owned),
            });
        }
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
        let body = response
            .json()
            .await
            .map_err(|e| eyre!("the oracle's access answer does not parse: {e}"))?;
        Ok(Access::Ready(body))
    }
}

/// The exact message the renter signs to ask for access (EIP-191 personal_sign).
pub(crate) fn access_message(chain_id: u64, escrow: Address, rental: B256, timestamp: u64) -> String {
    format!(
        "gpu-escrow access request\nchain: {chain_id}\nescrow: {}\nrental: {rental:#x}\ntimestamp: {timestamp}",
        format!("{escrow:#x}").to_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{address, b256};

    use super::*;

    #[test]
    fn access_message_is_lowercase_and_has_no_trailing_newline() {
        let m = access_message(
            31_337,
            address!("5FbDB2315678afecb367f032d93F642f64180aa3"),
            b256!("00000000000000000000000000000000000000000000000000000000000000AB"),
            1_750_000_000,
        );
        assert_eq!(
            m,
            "gpu-escrow access request\nchain: 31337\nescrow: 0x5fbdb2315678afecb367f032d93f642f64180aa3\nrental: 0x00000000000000000000000000000000000000000000000000000000000000ab\ntimestamp: 1750000000"
        );
    }
}
