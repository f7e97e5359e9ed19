//! Shared protocol of the GPU rental escrow, used by the oracle and the keeper:
//!
//! - [`acceptance`]: the escrow's rules for accepting an attestation, checked before sending;
//! - [`access_key`]: the renter's SSH public key as `open` takes it and as a host writes it;
//! - [`attestation`]: the EIP-712 `UsageAttestation` the oracle signs and the escrow verifies;
//! - [`billing`]: a mirror of the escrow's billing math (cost, fee, refund, checkpoints) and its
//!   rental quote;
//! - [`terms`]: the rental terms and the rental id derived from them;
//! - [`chain`]: decoding the escrow's events and following its logs across reorgs;
//! - [`config`]: where the escrow is deployed (`deployments/<chainId>.json`);
//! - [`deploy`]: deploying the escrow with its dispute module and committee arbitrator;
//! - [`keys`]: loading the signing key (encrypted keystore and its password, or a raw dev key);
//! - `shutdown` (feature `http-server`): the daemons' SIGINT/SIGTERM handler;
//! - [`layers`]: the daemons' settings, defaults < file < environment < flags, one merge;
//! - [`oracle_api`]: the oracle's HTTP routes, URLs, access request message and bodies;
//! - [`rental`]: one rental's life folded from its events (status, end, billed seconds), the
//!   one model the oracle, the keeper and the CLI share;
//! - [`revert`]: the contracts' custom errors, from reverts and `SettlementSkipped` reasons;
//! - `http_server` (feature `http-server`): the bounded HTTP server of the oracle's API and the
//!   keeper's metrics;
//! - [`error`]: the error types of all of the above.

pub mod acceptance;
pub mod access_key;
pub mod attestation;
pub mod billing;
pub mod bindings;
pub mod chain;
pub mod config;
pub mod deploy;
pub mod error;
#[cfg(feature = "http-server")]
pub mod http_server;
pub mod keys;
pub mod layers;
pub mod oracle_api;
pub mod rental;
pub mod revert;
#[cfg(feature = "http-server")]
pub mod shutdown;
pub mod terms;

pub use attestation::{domain, gpu_model_hash, gpu_uuids_hash, SignedAttestation, Usage, UsageAttestation};
pub use billing::{Payment, Quote, Settlement};
pub use chain::{fetch_events, fetch_events_of, ChainError, EscrowEvent, FollowBatch, LogFollower, LoggedEvent};
pub use config::Deployment;
pub use error::{
    AcceptanceError, AccessKeyError, AttestationError, BillingError, ConfigError, DeployError, KeyError, LayerError,
    OracleApiError, RentalError,
};
pub use rental::{Rental, RentalStatus};
pub use revert::{ContractError, EscrowError, SkippedSettlement};
pub use terms::{rental_id, RentalTerms};
