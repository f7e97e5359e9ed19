//! `gpu-keeper`: follows the GPU rental escrow and does the work nobody else is paid to do on
//! time: settles ended rentals with the provider's final attestation once the challenge window is
//! over (in batches), checkpoints long rentals, refunds rentals nobody settled before the grace
//! period ended, and warns about running rentals whose deposit runs low.
//!
//! - [`config`]: settings, layered from file, environment and flags, validated;
//! - [`index`]: the SQLite index rebuilt from the chain's events (each rental folded by
//!   `protocol::rental`);
//! - [`attestations`]: fetching attestations from the oracles (checked with
//!   `protocol::acceptance` before use);
//! - [`tx`]: nonces, simulation, fee bumps, receipts, revert decoding;
//! - [`reconcile`]: the keeper's pending transactions judged by the chain (mined, replaced,
//!   dropped);
//! - [`due`]: what is due for a running rental, and why;
//! - [`keeper`]: the work loop and each kind of work (settlement, disputes, alerts, the
//!   transaction executor);
//! - [`metrics`]: Prometheus metrics;
//! - [`error`]: the error types of all of the above.

pub mod attestations;
pub mod config;
pub mod due;
pub mod error;
pub mod index;
pub mod keeper;
pub mod metrics;
pub mod reconcile;
pub mod tx;

pub use config::Settings;
pub use due::{classify, Due, DueRental};
pub use error::KeeperError;
pub use keeper::{Keeper, TickReport};
pub use metrics::Metrics;
