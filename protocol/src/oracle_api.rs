//! The oracle's HTTP API as its clients see it: the routes, the URLs under a provider's
//! registered endpoint, the access request a renter signs, and the response bodies. The oracle
//! serves these types, the CLI, the keeper and the tests read them; the dApp's `oracle.ts`
//! mirrors them.

use alloy::primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::{error::OracleApiError, rental::RentalStatus};

/// `GET` the latest signed attestation of a rental; `POST` signs one now.
pub const ATTESTATION_ROUTE: &str = "/v1/rentals/{id}/attestation";
/// `GET` a rental's live usage ([`UsageView`]).
pub const USAGE_ROUTE: &str = "/v1/rentals/{id}/usage";
/// `GET` a rental's connection details, for its renter only ([`access_message`]).
pub const ACCESS_ROUTE: &str = "/v1/rentals/{id}/access";
/// Liveness.
pub const HEALTH_ROUTE: &str = "/healthz";
/// Prometheus metrics.
pub const METRICS_ROUTE: &str = "/metrics";

/// The access request's timestamp header (Unix seconds).
pub const ACCESS_TIMESTAMP_HEADER: &str = "x-access-timestamp";
/// The access request's signature header (`0x` + 65 bytes, EIP-191 over [`access_message`]).
pub const ACCESS_SIGNATURE_HEADER: &str = "x-access-signature";

/// The exact text a renter signs to ask for access (EIP-191 `personal_sign`): lines joined by
/// `\n`, no trailing newline, lowercase hex.
pub fn access_message(chain_id: u64, escrow: Address, rental: B256, timestamp: u64) -> String {
    format!(
        "gpu-escrow access request\nchain: {chain_id}\nescrow: {}\nrental: {rental:#x}\ntimestamp: {timestamp}",
        format!("{escrow:#x}").to_lowercase()
    )
}

/// `route` (one of the `/v1/rentals/{id}/…` routes) for `rental`.
pub fn rental_path(route: &str, rental: B256) -> String {
    route.replace("{id}", &format!("{rental:#x}"))
}

/// A provider's oracle, at the endpoint it registered on-chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleEndpoint {
    base: String,
}

impl OracleEndpoint {
    /// The endpoint as registered: an `http://` or `https://` URL (a trailing `/` is ignored).
    /// Anything else is refused, so a provider cannot point its clients at files or other schemes.
    pub fn parse(endpoint: &str) -> Result<Self, OracleApiError> {
        let base = endpoint.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(OracleApiError::BadEndpoint(endpoint.to_owned()));
        }
        Ok(Self { base: base.to_owned() })
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, route: &str, rental: B256) -> String {
        format!("{}{}", self.base, rental_path(route, rental))
    }

    /// [`ATTESTATION_ROUTE`] of `rental`.
    pub fn attestation_url(&self, rental: B256) -> String {
        self.url(ATTESTATION_ROUTE, rental)
    }

    /// [`USAGE_ROUTE`] of `rental`.
    pub fn usage_url(&self, rental: B256) -> String {
        self.url(USAGE_ROUTE, rental)
    }

    /// [`ACCESS_ROUTE`] of `rental`.
    pub fn access_url(&self, rental: B256) -> String {
        self.url(ACCESS_ROUTE, rental)
    }
}

/// Live numbers of a rental (`GET /v1/rentals/{id}/usage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageView {
    /// The rental.
    pub rental_id: B256,
    /// Offer rented.
    pub offer_id: u64,
    /// Where the rental stands as the oracle has seen the escrow's events.
    pub status: RentalStatus,
    /// Assigned GPU UUIDs.
    pub gpus: Vec<String>,
    /// Start, Unix seconds.
    pub started_at: u64,
    /// End as known now (stop, freeze, deposit exhausted, or the settlement's end), Unix seconds.
    pub ends_at: u64,
    /// Whether the end has passed.
    pub ended: bool,
    /// Closed on-chain (settled, refunded or resolved), or dropped by a reorg: nothing more to sign.
    pub closed: bool,
    /// Seconds classified so far (up to `countedUntil`).
    pub elapsed_seconds: u64,
    /// Seconds up so far.
    pub uptime_seconds: u64,
    /// Counted up to this Unix second (exclusive).
    pub counted_until: u64,
    /// Mean utilisation over the up seconds, basis points.
    pub avg_util_bps: u16,
    /// Energy of the assigned GPUs so far, joules.
    pub energy_joules: u64,
    /// Seq of the last signed attestation (0: none yet).
    pub last_seq: u64,
    /// With access delivery: the first second counted as up (the renter's access was ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioned_at: Option<u64>,
}

/// Where and as whom the renter connects: the provisioning hook's output, and the body of a
/// `200` answer to [`ACCESS_ROUTE`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionDetails {
    /// Host name or address to connect to.
    pub host: String,
    /// TCP port of the SSH server.
    pub port: u16,
    /// User to log in as.
    pub user: String,
    /// Anything else the renter should know (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

impl ConnectionDetails {
    /// The command line a renter types: `ssh -p PORT user@host`.
    pub fn ssh_command(&self) -> String {
        format!("ssh -p {} {}@{}", self.port, self.user, self.host)
    }
}

/// The body of a successful answer to [`ACCESS_ROUTE`]: `200` ready, `202` provisioning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum AccessAnswer {
    /// The host is ready: connect with `ssh`.
    #[serde(rename_all = "camelCase")]
    Ready {
        /// The rental.
        rental_id: B256,
        /// The command line to connect ([`ConnectionDetails::ssh_command`]).
        ssh: String,
        /// Host name or address.
        host: String,
        /// SSH port.
        port: u16,
        /// User to log in as.
        user: String,
        /// Anything else the renter should know (empty: nothing).
        notes: String,
    },
    /// Provisioning is under way (or waiting for a free GPU): ask again in a few seconds.
    #[serde(rename_all = "camelCase")]
    Provisioning {
        /// The rental.
        rental_id: B256,
        /// Hook runs so far.
        attempts: u32,
        /// Why the last one failed.
        last_error: Option<String>,
    },
}

impl AccessAnswer {
    /// The `200` answer with `details`.
    pub fn ready(rental_id: B256, details: ConnectionDetails) -> Self {
        Self::Ready {
            rental_id,
            ssh: details.ssh_command(),
            host: details.host,
            port: details.port,
            user: details.user,
            notes: details.notes.unwrap_or_default(),
        }
    }
}

/// An error answer's body: `{"error": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong and what to do.
    pub error: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alloy::primitives::{address, b256};

    use super::*;

    #[test]
    fn access_message_is_lowercase_and_has_no_trailing_newline() {
        let m = access_message(
            31_337,
            address!("5FbDB2315678afecb367f032d93F642f64180aa3"),
            b256!("00000000000000000000000000000000000000000000000000000000000000ab"),
            1_750_000_000,
        );
        assert_eq!(
            m,
            "gpu-escrow access request\nchain: 31337\nescrow: 0x5fbdb2315678afecb367f032d93f642f64180aa3\nrental: 0x00000000000000000000000000000000000000000000000000000000000000ab\ntimestamp: 1750000000"
        );
    }

    #[test]
    fn only_http_endpoints_are_asked() {
        assert!(OracleEndpoint::parse("file:///etc/passwd").is_err());
        assert!(OracleEndpoint::parse("").is_err());
        let oracle = OracleEndpoint::parse(" https://gpu.example:8443/ ").unwrap();
        assert_eq!(
            oracle.attestation_url(B256::ZERO),
            format!("https://gpu.example:8443/v1/rentals/0x{}/attestation", "0".repeat(64))
        );
        assert!(oracle.access_url(B256::ZERO).ends_with("/access"));
        assert!(oracle.usage_url(B256::ZERO).ends_with("/usage"));
    }
}
