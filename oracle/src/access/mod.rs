//! Access delivery (SPEC 5.1): the renter's SSH key reaches the GPUs through the provider's hooks.
//!
//! - [`hook`]: runs one provisioning or teardown hook (environment + JSON on stdin, timeout, the
//!   connection details it prints);
//! - [`worker`]: decides which hook is due for which rental, with retries and backoff, off the
//!   1 Hz accounting path;
//! - [`auth`]: the renter's signed request for the connection details
//!   (`GET /v1/rentals/{id}/access`).
//!
//! The per-rental state ([`AccessState`]) lives in the rental's record of the [`crate::store`], so
//! it is as durable as the accounting: a provisioned rental is never provisioned twice, and a
//! teardown that had not completed runs after a restart.

pub mod auth;
pub mod hook;
pub mod worker;

use std::{collections::BTreeMap, time::Duration};

use alloy::primitives::{Address, B256};
pub use protocol::oracle_api::ConnectionDetails;
use serde::{Deserialize, Serialize};

/// The provider's hooks and how they are run (the validated `[access]` config section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessHooks {
    /// Program and arguments of the provisioning hook.
    pub provision: Vec<String>,
    /// Program and arguments of the teardown hook.
    pub teardown: Vec<String>,
    /// A hook still running after this is killed (with its children) and counts as failed.
    pub timeout: Duration,
    /// Wait before the first retry of a failed hook; doubles per failure.
    pub retry_initial: Duration,
    /// Longest wait between two retries.
    pub retry_max: Duration,
    /// Extra environment for both hooks (e.g. `AUTHORIZED_KEYS_FILE`).
    pub env: BTreeMap<String, String>,
}

impl AccessHooks {
    /// The wait before retry number `failures` (1 = after the first failure): `retry_initial`
    /// doubled per earlier failure, at most `retry_max`.
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.retry_initial
            .saturating_mul(1_u32 << doublings)
            .min(self.retry_max)
    }
}

/// Which hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Give the renter access to the assigned GPUs.
    Provision,
    /// Remove that access.
    Teardown,
}

impl Action {
    /// The value of `GPU_ESCROW_ACTION`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provision => "provision",
            Self::Teardown => "teardown",
        }
    }
}

/// What a hook is told about the rental: the same facts as environment variables and as this
/// JSON object on stdin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookInput {
    /// The rental id.
    pub rental_id: B256,
    /// The renter's address.
    pub renter: Address,
    /// The offer rented.
    pub offer_id: u64,
    /// The renter's SSH public key as one OpenSSH line, commented `gpu-escrow-<short id>`.
    pub access_key: String,
    /// UUIDs of the GPUs assigned to the rental.
    pub gpu_uuids: Vec<String>,
}

/// Where a rental's teardown stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum TeardownState {
    /// The rental is running (or nothing was ever provisioned).
    #[default]
    NotDue,
    /// The rental is over; the teardown hook has not succeeded yet.
    Pending {
        /// When the oracle first found it due, Unix seconds.
        since: u64,
    },
    /// The teardown hook succeeded.
    Done {
        /// When, Unix seconds.
        at: u64,
    },
}

/// The access side of a rental, persisted with its record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessState {
    /// The renter's key as an OpenSSH line; `None` when the bytes emitted at open are not an SSH
    /// public key (the rental can never be provisioned: `last_error` says why).
    pub access_key: Option<String>,
    /// Provisioning hook runs so far.
    pub attempts: u32,
    /// First second counted as up: the provisioning hook succeeded before it began.
    pub provisioned_at: Option<u64>,
    /// What the provisioning hook printed.
    pub connection: Option<ConnectionDetails>,
    /// Why the last provisioning attempt failed.
    pub last_error: Option<String>,
    /// Teardown progress.
    pub teardown: TeardownState,
    /// Teardown hook runs so far.
    pub teardown_attempts: u32,
    /// Why the last teardown attempt failed.
    pub teardown_error: Option<String>,
}

impl AccessState {
    /// Whether the provisioning hook may have changed something on the host that a teardown
    /// must undo.
    pub fn touched_host(&self) -> bool {
        self.attempts > 0 || self.provisioned_at.is_some()
    }

    /// Whether the rental's GPUs may go to another rental: nothing was provisioned on them, or
    /// the teardown completed.
    pub fn released(&self) -> bool {
        !self.touched_host() || matches!(self.teardown, TeardownState::Done { .. })
    }
}

/// The comment given to the renter's key: `gpu-escrow-<first 12 hex digits of the id>`.
pub fn key_comment(rental: &B256) -> String {
    let hex = alloy::hex::encode(rental.as_slice());
    format!("gpu-escrow-{}", &hex[..12])
}

/// A hook run that is due: the rental, the hook and what it is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessJob {
    /// Which hook.
    pub action: Action,
    /// What it is told.
    pub input: HookInput,
}

/// What the renter's access request finds (the body of `GET /v1/rentals/{id}/access` once the
/// signature checks passed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessStatus {
    /// This oracle runs no provisioning hook, or the rental predates it.
    NotManaged,
    /// Provisioning is under way (or waiting for a free GPU).
    Provisioning {
        /// Hook runs so far.
        attempts: u32,
        /// Why the last one failed.
        last_error: Option<String>,
    },
    /// The host is ready.
    Ready(ConnectionDetails),
    /// The rental cannot be provisioned (its key is not an SSH public key).
    Failed(String),
    /// The rental is over: access is being or has been removed.
    Ended,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hooks(initial: u64, max: u64) -> AccessHooks {
        AccessHooks {
            provision: vec!["p".into()],
            teardown: vec!["t".into()],
            timeout: Duration::from_secs(30),
            retry_initial: Duration::from_secs(initial),
            retry_max: Duration::from_secs(max),
            env: BTreeMap::new(),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let h = hooks(5, 60);
        let waits: Vec<u64> = (1..=6).map(|n| h.backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![5, 10, 20, 40, 60, 60]);
        assert_eq!(h.backoff(u32::MAX).as_secs(), 60, "no overflow");
    }

    #[test]
    fn the_key_comment_names_the_rental() {
        let id = B256::repeat_byte(0xab);
        assert_eq!(key_comment(&id), "gpu-escrow-abababababab");
    }

    #[test]
    fn a_teardown_is_needed_only_after_the_host_was_touched() {
        let mut s = AccessState::default();
        assert!(s.released(), "never provisioned: nothing to undo");
        s.attempts = 1;
        assert!(!s.released(), "a failed attempt may have left something behind");
        s.teardown = TeardownState::Done { at: 5 };
        assert!(s.released());
    }
}
