//! Error types of the oracle library, one enum per concern. Every message says what to fix.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};

/// Reading the GPUs failed.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// NVML cannot be used on this machine (no driver, no library, no permission).
    #[error("{0}")]
    NvmlUnavailable(String),
    /// An NVML query failed.
    #[error("NVML: {0}")]
    Nvml(String),
    /// The mock fault plan could not be read.
    #[error("fault plan {path}: {reason}")]
    FaultPlan {
        /// The plan file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Reading or writing the oracle's durable state failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed.
    #[error("state file {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A state file does not parse.
    #[error("state file {path} is corrupt ({reason}); move it away only if you know the rental is closed")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
}

/// Loading the attester key failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Neither a keystore nor a dev key was given.
    #[error(
        "no attester key: set `keystore` (and `password_file` or GPU_ORACLE_KEYSTORE_PASSWORD), create one with \
         `gpu-oracle keygen`, or pass --dev-private-key for local development"
    )]
    Missing,
    /// The keystore was given without a password.
    #[error("keystore {0} needs a password: set `password_file` or GPU_ORACLE_KEYSTORE_PASSWORD")]
    NoPassword(PathBuf),
    /// The password file, the keystore or the dev key does not load.
    #[error(transparent)]
    Load(#[from] protocol::KeyError),
    /// A new keystore cannot be written.
    #[error("cannot create keystore {path}: {reason}")]
    Create {
        /// The keystore file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The configuration is incomplete or inconsistent, or the world does not match it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file cannot be read, or it or the flags do not parse.
    #[error(transparent)]
    Layers(#[from] protocol::LayerError),
    /// A required setting is missing.
    #[error("`{0}` is not set: put it in the config file, the GPU_ORACLE_* environment or a flag")]
    Missing(&'static str),
    /// A setting has a value outside its bounds.
    #[error("`{field}` is invalid: {reason}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// No offer is configured.
    #[error("no offers configured: add `[[offers]]` with `id` and `gpus` (the GPU UUIDs that serve it)")]
    NoOffers,
    /// One offer is listed twice.
    #[error("offer {0} is configured twice")]
    DuplicateOffer(u64),
    /// An offer has no GPUs.
    #[error("offer {0} has no GPUs: list its GPU UUIDs in `gpus` (see `gpu-oracle gpus`)")]
    OfferWithoutGpus(u64),
    /// One GPU is listed twice (in one offer or in two).
    #[error("GPU {0} is listed twice: a GPU may serve one offer only")]
    DuplicateGpu(String),
    /// A configured GPU is not present on this host.
    #[error("GPU {uuid} (offer {offer}) is not on this host; the GPU source sees: {seen}. Fix `gpus` (see `gpu-oracle gpus`)")]
    UnknownGpu {
        /// The offer.
        offer: u64,
        /// The configured UUID.
        uuid: String,
        /// What the source sees.
        seen: String,
    },
    /// The deployment file cannot be used.
    #[error(transparent)]
    Deployment(#[from] protocol::ConfigError),
    /// The `[http]` limits are out of range or exceed the file descriptors.
    #[error("[http] {0}")]
    Http(#[from] protocol::error::HttpServerError),
    /// The RPC endpoint does not answer.
    #[error("cannot reach the RPC at {url}: {reason}; check `rpc_url` and that the node is up")]
    RpcUnreachable {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The RPC serves another chain than the deployment file.
    #[error("the RPC at {url} is chain {rpc}, but the deployment file {path} is for chain {file}: fix `rpc_url` or `deployment`")]
    ChainMismatch {
        /// The URL.
        url: String,
        /// Chain id from the RPC.
        rpc: u64,
        /// The deployment file.
        path: PathBuf,
        /// Chain id in the file.
        file: u64,
    },
    /// No contract at the escrow address.
    #[error(
        "no contract code at the escrow address {escrow} on chain {chain_id}: fix `escrow` or the deployment file"
    )]
    NoEscrowCode {
        /// The escrow address.
        escrow: Address,
        /// The chain.
        chain_id: u64,
    },
    /// A configured offer does not exist on-chain.
    #[error("offer {offer} does not exist on the escrow {escrow}: fix `[[offers]] id`")]
    OfferNotFound {
        /// The offer.
        offer: u64,
        /// The escrow.
        escrow: Address,
    },
    /// The oracle's key is not the offer's attester.
    #[error(
        "this oracle's key {ours} is not the attester of offer {offer} (on-chain: {onchain}): call \
         setOfferAttester({offer}, {ours}) from the provider account, or configure the key of {onchain}"
    )]
    NotAttester {
        /// The offer.
        offer: u64,
        /// The oracle's address.
        ours: Address,
        /// The offer's attester on-chain.
        onchain: Address,
    },
    /// The configured GPUs are not the offer's model.
    #[error("offer {offer} is for model hash {offer_hash}, but GPU {uuid} is a \"{name}\" (hash {gpu_hash}): serve the offer with GPUs of its model")]
    WrongModel {
        /// The offer.
        offer: u64,
        /// The offer's model hash.
        offer_hash: B256,
        /// The GPU.
        uuid: String,
        /// Its NVML name.
        name: String,
        /// keccak256 of the name.
        gpu_hash: B256,
    },
    /// The offer needs more GPUs per rental than configured.
    #[error("offer {offer} rents {needed} GPUs at a time, but only {configured} are configured for it")]
    TooFewGpus {
        /// The offer.
        offer: u64,
        /// GPUs per rental on-chain.
        needed: u16,
        /// GPUs configured.
        configured: usize,
    },
    /// An on-chain read failed during the checks.
    #[error("reading {what} from the chain failed: {reason}")]
    ChainRead {
        /// What was read.
        what: String,
        /// Why.
        reason: String,
    },
}

/// An operation on a rental failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The oracle does not serve this rental.
    #[error("unknown rental {0}")]
    UnknownRental(B256),
    /// Persisting failed: nothing was signed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Signing failed.
    #[error(transparent)]
    Signing(#[from] protocol::AttestationError),
    /// A thread panicked while holding the engine: its state can no longer be trusted.
    #[error("engine state poisoned by a panic; restart the oracle")]
    Poisoned,
}

/// Why the daemon could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    /// Configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// GPUs.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// Key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// State.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Engine.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Binding the HTTP port or spawning a thread.
    #[error("{context}: {source}")]
    Io {
        /// What was attempted.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
}
