//! Error types of the keeper, one enum per concern.

use std::path::PathBuf;

use alloy::{
    primitives::{Address, B256, U256},
    transports::TransportError,
};

/// The SQLite index failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// SQLite itself failed (disk full, file locked by another process, corrupt file).
    #[error("index database error: {0}; if the file is corrupt, delete it and run `gpu-keeper reindex`")]
    Sqlite(#[from] rusqlite::Error),

    /// The index was built for another escrow or chain.
    #[error("the index at {path} belongs to escrow {found} on chain {found_chain}, not {expected} on chain {expected_chain}; use another --index path or run `gpu-keeper reindex`")]
    OtherEscrow {
        /// Index file.
        path: PathBuf,
        /// Escrow configured now.
        expected: Address,
        /// Chain configured now.
        expected_chain: u64,
        /// Escrow the index was built for.
        found: Address,
        /// Chain the index was built for.
        found_chain: u64,
    },

    /// A stored value does not parse back (written by another version?).
    #[error("index holds an unreadable {what}: {value}; run `gpu-keeper reindex`")]
    Corrupt {
        /// What was read.
        what: &'static str,
        /// The stored text.
        value: String,
    },
}

/// Why an attestation fetched from a provider's oracle was not used.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The provider registered no endpoint, or one that is not an http(s) URL.
    #[error(transparent)]
    Endpoint(#[from] protocol::OracleApiError),
    /// Connection refused, timeout, TLS error.
    #[error("request to {url} failed: {source}")]
    Http {
        /// URL asked.
        url: String,
        /// The client's error.
        source: reqwest::Error,
    },
    /// Not asked: the endpoint did not answer another request of this round.
    #[error("not asked: the oracle at {endpoint} did not answer another request this round; asked again next round")]
    Unresponsive {
        /// The endpoint.
        endpoint: String,
    },
    /// The oracle answered with an error status.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// URL asked.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// The body exceeded the configured size limit.
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// URL asked.
        url: String,
        /// Limit in bytes.
        limit: usize,
    },
    /// The body is not a signed attestation.
    #[error("{url} sent something that is not a signed attestation: {source}")]
    Garbage {
        /// URL asked.
        url: String,
        /// JSON error.
        source: serde_json::Error,
    },
}

/// A transaction could not be sent or was not mined.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The node refused the call or the transaction.
    #[error("RPC `{method}` failed: {source}")]
    Rpc {
        /// Method called.
        method: &'static str,
        /// Transport error.
        source: TransportError,
    },
    /// The simulation reverted; `reason` is the contract's error when it decodes.
    #[error("simulation reverted: {reason}")]
    Reverted {
        /// Decoded contract error (`GpuEscrow_...(..)`) or the raw message.
        reason: String,
        /// The contract's error, when it decodes.
        error: Option<Box<protocol::ContractError>>,
    },
    /// The transaction was mined but reverted (e.g. lost a race after the simulation).
    #[error("transaction {hash} reverted on chain (gas used {gas_used})")]
    MinedReverted {
        /// Transaction hash.
        hash: B256,
        /// Gas used.
        gas_used: u64,
    },
    /// No receipt within the configured time, even after fee bumps.
    #[error("transaction with nonce {nonce} not mined after {waited_blocks} blocks (max fee reached: {capped}); the nonce is resynced from the chain")]
    NotMined {
        /// Nonce used.
        nonce: u64,
        /// Blocks waited.
        waited_blocks: u64,
        /// Whether the fee cap stopped the bumps.
        capped: bool,
    },
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// Configuration that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file cannot be read, or a layer does not parse or has a value of the wrong type.
    #[error(transparent)]
    Layers(#[from] protocol::LayerError),
    /// A setting is out of its bounds.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// The `[metrics]` limits are out of range.
    #[error("invalid configuration: [metrics] {0}")]
    Metrics(#[from] protocol::error::HttpServerError),
    /// The deployment file is missing or wrong.
    #[error(transparent)]
    Deployment(#[from] protocol::ConfigError),
    /// The keystore, its password file or the raw key does not load.
    #[error(transparent)]
    Key(#[from] protocol::KeyError),
    /// The node is on another chain than configured.
    #[error(
        "the RPC URL serves chain {actual}, but the configuration says chain {configured}; fix `chain_id` or `rpc_url`"
    )]
    WrongChain {
        /// Configured chain id.
        configured: u64,
        /// Chain id the node reports.
        actual: u64,
    },
    /// No contract at the escrow address.
    #[error("no contract code at the escrow address {escrow} on chain {chain_id}; check `escrow` / the deployments file and the RPC URL")]
    NoCode {
        /// Escrow address.
        escrow: Address,
        /// Chain id.
        chain_id: u64,
    },
    /// The keeper's account cannot pay for gas.
    #[error("the keeper account {address} holds {balance} wei, less than the required {required} wei; fund it before starting")]
    NoFunds {
        /// Keeper address.
        address: Address,
        /// Balance.
        balance: U256,
        /// Required minimum.
        required: U256,
    },
    /// No signer was configured.
    #[error("no signer: set `keystore` (with `keystore_password_file` or GPU_KEEPER_KEYSTORE_PASSWORD), or pass --private-key for local development")]
    NoSigner,
    /// The keystore or key does not decrypt / parse.
    #[error("cannot load the signer: {0}")]
    Signer(String),
    /// The node could not be asked.
    #[error("cannot reach the node at {url}: {source}")]
    Rpc {
        /// RPC URL.
        url: String,
        /// Transport error.
        source: TransportError,
    },
}

/// Anything that stops the keeper's work.
#[derive(Debug, thiserror::Error)]
pub enum KeeperError {
    /// Following the chain failed.
    #[error(transparent)]
    Chain(#[from] protocol::ChainError),
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A transaction failed.
    #[error(transparent)]
    Tx(#[from] TxError),
    /// Configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A read from the node failed.
    #[error("RPC `{method}` failed: {source}")]
    Rpc {
        /// Method called.
        method: &'static str,
        /// Transport error.
        source: TransportError,
    },
    /// A contract read failed.
    #[error("reading {what} failed: {source}")]
    Call {
        /// What was read.
        what: &'static str,
        /// The contract call's error.
        source: Box<alloy::contract::Error>,
    },
    /// The metrics server could not start.
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics {
        /// Address.
        addr: String,
        /// I/O error.
        source: std::io::Error,
    },
}
