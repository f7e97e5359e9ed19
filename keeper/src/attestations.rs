//! Attestations from the providers' oracles: fetching them over HTTP (timeouts, size limit,
//! retries with backoff), many at once in a round ([`round`]). The keeper checks them with the
//! escrow's own rules (`protocol::acceptance`) before using them.

use std::time::Duration;

use alloy::primitives::B256;
use protocol::{oracle_api::OracleEndpoint, SignedAttestation};

use crate::error::FetchError;

pub mod round;

pub use round::Fetched;

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
    /// Most requests at once to one oracle endpoint in a round.
    pub max_per_oracle: usize,
    /// Most requests at once in a round, all oracles together.
    pub max_in_flight: usize,
}

/// Fetches the latest signed attestation of a rental from its provider's oracle.
#[derive(Debug, Clone)]
pub struct AttestationClient {
    http: reqwest::Client,
    settings: FetchSettings,
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
    pub async fn fetch(&self, endpoint: &OracleEndpoint, rental: B256) -> Result<SignedAttestation, FetchError> {
        let url = endpoint.attestation_url(rental);
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
