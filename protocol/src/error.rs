//! Error types of the protocol crate, one enum per concern.

use std::path::PathBuf;

use alloy::primitives::{Address, SignatureError, B256, U256};

/// Why a usage attestation could not be signed or did not verify.
#[derive(Debug, thiserror::Error)]
pub enum AttestationError {
    /// The signer failed to produce a signature (key store, hardware or remote signer error).
    #[error("signing the attestation failed: {0}")]
    Signing(#[from] alloy::signers::Error),

    /// No public key could be recovered from the signature and digest.
    #[error("cannot recover the signer from the signature: {0}")]
    Recovery(#[from] SignatureError),

    /// The signature's `s` lies in the upper half of the curve order. The escrow (OpenZeppelin
    /// `ECDSA`) rejects such malleable signatures, so they are refused here too.
    #[error("signature has a high `s` value (malleable); the escrow rejects it")]
    MalleableSignature,

    /// The key that signed is not the one the attestation claims as its signer.
    #[error("signature was made by {recovered}, but the attestation names {claimed} as signer")]
    SignerMismatch {
        /// Signer named in the signed attestation.
        claimed: Address,
        /// Signer recovered from the signature.
        recovered: Address,
    },

    /// The attestation was validly signed, but not by the attester the caller expects
    /// (e.g. the provider's registered attester).
    #[error("attestation signed by {actual}, expected the registered attester {expected}")]
    UnexpectedSigner {
        /// The attester the caller expects.
        expected: Address,
        /// The key that actually signed.
        actual: Address,
    },
}

/// Inputs to a settlement that the escrow would also refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// Fewer seconds are billed than were already paid by checkpoints; billing is cumulative and
    /// never goes backwards.
    #[error("billed seconds {billed} are fewer than the {paid} seconds already paid")]
    BilledBelowPaid {
        /// Seconds already paid through checkpoints.
        paid: u64,
        /// Seconds billed at settlement.
        billed: u64,
    },

    /// The cost of the billed seconds exceeds the deposit; billing must stop when the deposit
    /// runs out (see [`crate::billing::covered_seconds`]).
    #[error("cost {cost} of the billed seconds exceeds the deposit {deposit}")]
    CostExceedsDeposit {
        /// Cost of the billed seconds.
        cost: U256,
        /// Deposit held for the rental.
        deposit: U256,
    },

    /// More seconds billed than the wall clock between start and end; billing never exceeds it.
    #[error("billed seconds {billed} exceed the {wall} wall-clock seconds")]
    BilledAboveWall {
        /// Seconds billed at settlement.
        billed: u64,
        /// Wall-clock seconds from start to end.
        wall: u64,
    },

    /// The fee and the most SLA credit together exceed 100 % of the cost (the escrow caps the
    /// fee at 15 % and the credit at 50 %).
    #[error("a fee of {fee_bps} bps and the SLA credit of an {sla_bps} bps SLA exceed 10000 bps")]
    FeeAboveMax {
        /// The fee in basis points.
        fee_bps: u16,
        /// The SLA in basis points.
        sla_bps: u16,
    },
}

/// Why a deployment file could not be loaded or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read deployment file {path}: {source}")]
    Read {
        /// File that was read.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },

    /// The file (or its folder) could not be written.
    #[error("cannot write deployment file {path}: {source}")]
    Write {
        /// File that was written.
        path: PathBuf,
        /// Underlying I/O error.
        source: std::io::Error,
    },

    /// The file is not valid JSON for a deployment.
    #[error("invalid deployment file {path}: {source}")]
    Parse {
        /// File that was parsed.
        path: PathBuf,
        /// Underlying JSON error, with line and column.
        source: serde_json::Error,
    },

    /// The file holds a deployment for another chain than the one asked for.
    #[error("deployment file {path} is for chain {found}, expected chain {expected}")]
    ChainIdMismatch {
        /// File that was read.
        path: PathBuf,
        /// Chain asked for.
        expected: u64,
        /// Chain in the file.
        found: u64,
    },

    /// A required address is the zero address, which is never a deployed contract.
    #[error("deployment file {path}: `{field}` is the zero address")]
    ZeroAddress {
        /// File that was read.
        path: PathBuf,
        /// JSON field holding the zero address.
        field: String,
    },

    /// A token entry has an empty symbol.
    #[error("deployment file {path}: a token has an empty symbol")]
    EmptyTokenSymbol {
        /// File that was read.
        path: PathBuf,
    },
}

/// Why an access key (the renter's SSH public key) was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessKeyError {
    /// Not an SSH public key (OpenSSH line or wire format).
    #[error("not a valid SSH public key: {0}; pass the contents of a .pub file such as ~/.ssh/id_ed25519.pub")]
    Parse(String),
    /// Empty or longer than the escrow accepts.
    #[error("the SSH public key is {len} bytes in wire format; the escrow accepts 1 to {max}")]
    Length {
        /// Length in wire format.
        len: usize,
        /// `MAX_ACCESS_KEY_LENGTH`.
        max: usize,
    },
}

/// Why deploying the escrow's contracts failed (see [`crate::deploy`]).
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A deployment or call was refused before it was mined (revert in simulation, nonce, funds).
    #[error("{step} failed: {source}; check that the signing account owns the contracts and has funds")]
    Send {
        /// What was being done.
        step: &'static str,
        /// The contract call's error (decodes the revert when there is one).
        source: alloy::contract::Error,
    },
    /// The transaction was sent but its receipt never came.
    #[error("{step}: no receipt: {source}; check that the node is mining")]
    Receipt {
        /// What was being done.
        step: &'static str,
        /// The pending transaction's error.
        source: alloy::providers::PendingTransactionError,
    },
    /// The transaction was mined but reverted (or a deployment created no contract).
    #[error("{step} reverted on-chain")]
    Reverted {
        /// What was being done.
        step: &'static str,
    },
    /// The committee takes its ruling period as a `uint32` number of seconds.
    #[error("ruling period of {0} seconds does not fit the arbitrator's uint32")]
    RulingPeriodTooLong(u64),
}

/// Why the HTTP server's limits are refused (`http-server` feature).
#[cfg(feature = "http-server")]
#[derive(Debug, thiserror::Error)]
pub enum HttpServerError {
    /// A limit is out of its range.
    #[error("{field}: {reason}")]
    Invalid {
        /// The setting.
        field: &'static str,
        /// Why.
        reason: String,
    },

    /// The connection cap would leave too few file descriptors to the rest of the process.
    #[error(
        "max_connections = {max_connections} needs {needed} file descriptors with the reserve, but RLIMIT_NOFILE is {soft} \
         (hard limit {hard}): raise it (systemd: LimitNOFILE=65536) or lower max_connections"
    )]
    Descriptors {
        /// The configured cap.
        max_connections: usize,
        /// The cap plus the reserve.
        needed: u64,
        /// The soft limit, after raising it as far as the hard limit allows.
        soft: u64,
        /// The hard limit.
        hard: u64,
    },

    /// `RLIMIT_NOFILE` could not be read or raised.
    #[error("reading or raising RLIMIT_NOFILE: {0}")]
    Rlimit(std::io::Error),
}

/// A rental's stored form that does not read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RentalError {
    /// A status name that is none of [`crate::rental::RentalStatus::ALL`].
    #[error("unknown rental status {0:?} (expected running, frozen, settled, refunded or resolved)")]
    UnknownStatus(String),
}

/// Why the escrow would refuse an attestation (`AttestationVerifier`'s rules, checked off-chain).
#[derive(Debug, thiserror::Error)]
pub enum AcceptanceError {
    /// Signature invalid or not by the rental's attester.
    #[error("bad signature: {0}")]
    Signature(#[from] AttestationError),
    /// The attestation is about another rental.
    #[error("attestation is for rental {found}, not {expected}")]
    WrongRental {
        /// Rental asked for.
        expected: B256,
        /// Rental in the attestation.
        found: B256,
    },
    /// The attested GPU model is not the one rented.
    #[error("attested GPU model hash {found} is not the rented {expected}")]
    WrongGpuModel {
        /// Rented model hash.
        expected: B256,
        /// Attested model hash.
        found: B256,
    },
    /// `seq` is not above the last accepted one.
    #[error("stale seq {seq}: the escrow already accepted seq {last_seq}")]
    StaleSeq {
        /// Attested seq.
        seq: u64,
        /// Last accepted seq.
        last_seq: u64,
    },
    /// The period ends after the latest block.
    #[error("period ends at {period_end}, after the latest block ({now})")]
    FromFuture {
        /// Attested period end.
        period_end: u64,
        /// Latest block timestamp.
        now: u64,
    },
    /// The period ends before the rental started.
    #[error("period ends at {period_end}, before the rental started ({started_at})")]
    BeforeStart {
        /// Attested period end.
        period_end: u64,
        /// Rental start.
        started_at: u64,
    },
    /// A settlement needs an attestation covering the end.
    #[error("not final: period ends at {period_end}, the rental ended at {end}")]
    NotFinal {
        /// Attested period end.
        period_end: u64,
        /// Rental end.
        end: u64,
    },
    /// More uptime than elapsed time.
    #[error("uptime {uptime} s exceeds the {elapsed} s elapsed at the period end")]
    UptimeExceedsElapsed {
        /// Attested uptime.
        uptime: u64,
        /// Elapsed seconds.
        elapsed: u64,
    },
    /// Less uptime than already paid.
    #[error("uptime {uptime} s is below the {paid} s already paid")]
    UptimeDecreased {
        /// Attested uptime.
        uptime: u64,
        /// Seconds already paid.
        paid: u64,
    },
}

/// A provider's oracle that cannot be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OracleApiError {
    /// The provider registered no endpoint, or one that is not an http(s) URL.
    #[error("provider endpoint {0:?} is not an http(s) URL; its provider must register one with `setEndpoint`")]
    BadEndpoint(String),
}

/// Why a signing key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The password file cannot be read.
    #[error("cannot read password file {path}: {source}")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The keystore does not exist, does not parse or the password is wrong.
    #[error("cannot decrypt keystore {path}: {reason} (wrong password or not an encrypted JSON keystore?)")]
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A raw key that is not a 32-byte hex private key.
    #[error("{flag} is not a private key: expected 32 bytes as hex (0x…)")]
    BadPrivateKey {
        /// The option it was given with.
        flag: &'static str,
    },
}

/// Settings that do not load.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// The config file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file, the flags or the merged settings do not parse as the settings.
    #[error("invalid settings in {origin}: {reason}")]
    Invalid {
        /// The file (or the flags and environment).
        origin: PathBuf,
        /// What is wrong, naming the key.
        reason: String,
    },
}
