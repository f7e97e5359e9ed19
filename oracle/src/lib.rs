//! `gpu-oracle`, the provider-host daemon of the GPU rental escrow (SPEC 5).
//!
//! It reads the host's GPUs once per second ([`gpu`]), learns the rentals of the offers it
//! serves from the escrow's events (`protocol::chain`), counts each rental's up seconds
//! ([`accounting`]) on the GPUs assigned to it ([`allocation`]), and signs EIP-712 usage
//! attestations ([`engine`]) after persisting what they commit to ([`store`]). The renter and
//! the keeper fetch them over HTTP ([`http`]); operators scrape [`metrics`].
//!
//! - [`access`]: the provider's provisioning and teardown hooks, and the renter's signed request
//!   for the connection details (SPEC 5.1);
//! - [`config`]: file + env + flags, validated; [`startup`]: the chain checks before running;
//! - [`key`]: the attester key (encrypted keystore); [`daemon`]: the tasks and the shutdown;
//! - [`clock`]: system or manual time; [`error`]: the error types.

pub mod access;
pub mod accounting;
pub mod allocation;
pub mod client;
pub mod clock;
pub mod config;
pub mod daemon;
pub mod engine;
pub mod error;
pub mod gpu;
pub mod http;
pub mod key;
pub mod metrics;
pub mod startup;
pub mod store;

pub use engine::{Engine, EngineConfig};
pub use error::{ConfigError, EngineError, GpuError, KeyError, OracleError, StoreError};
