//! Configuration, layered: defaults < TOML file < `GPU_KEEPER_*` environment < command-line flags,
//! then validated. Secrets (keystore password, raw key) never come from the file.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use protocol::{
    http_server::{ServerLimits, ServerLimitsConfig},
    keys::{self, Password},
    layers::{self, EnvNames},
};
use serde::Deserialize;

use crate::{attestations::FetchSettings, error::ConfigError, tx::TxSettings};

/// Prefix of the environment variables that override the file.
pub const ENV_PREFIX: &str = "GPU_KEEPER_";
/// Environment variable holding the keystore password (when no password file is set).
pub const PASSWORD_ENV: &str = "GPU_KEEPER_KEYSTORE_PASSWORD";
/// The config table holding the metrics server's limits.
pub const METRICS_SECTION: &str = "metrics";

/// The keeper's settings. Every field has a default except `rpc_url`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// JSON-RPC endpoint of the chain.
    pub rpc_url: String,
    /// Chain the keeper must run on; checked against the node (and the deployments file).
    pub chain_id: Option<u64>,
    /// Folder with `deployments/<chainId>.json`, read when `escrow` is not set.
    pub deployments_dir: PathBuf,
    /// The escrow address; overrides the deployments file.
    pub escrow: Option<Address>,
    /// First block to index; defaults to the deployment block (or 0).
    pub start_block: Option<u64>,
    /// SQLite index file.
    pub index_path: PathBuf,
    /// Blocks behind the head that the index stays.
    pub confirmations: u64,
    /// Most blocks per `eth_getLogs`.
    pub max_log_range: u64,
    /// Pause between work rounds, in milliseconds.
    pub poll_interval_ms: u64,
    /// Most rentals per `settleBatch`.
    pub batch_size: usize,
    /// Checkpoint running rentals whose unpaid time exceeds this many seconds; 0 = never.
    pub checkpoint_interval_secs: u64,
    /// Alert for running rentals with less than this many seconds left; 0 = never.
    pub low_balance_alert_secs: u64,
    /// Optional webhook that receives a JSON POST per low-balance alert.
    pub webhook_url: Option<String>,
    /// Address of the Prometheus `/metrics` server; none = no server.
    pub metrics_addr: Option<SocketAddr>,
    /// The `[metrics]` section: connection cap and timeouts of the metrics server
    /// (`GPU_KEEPER_METRICS_<KEY>`, `--metrics-<key>`), checked by [`Settings::metrics_limits`].
    pub metrics: ServerLimitsConfig,
    /// Timeout of one request to an oracle, in milliseconds.
    pub http_timeout_ms: u64,
    /// Retries of a failed oracle request.
    pub http_retries: u32,
    /// First backoff between retries, in milliseconds (doubles).
    pub http_backoff_ms: u64,
    /// Largest attestation response accepted, in bytes.
    pub max_response_bytes: usize,
    /// Most requests at once to one oracle endpoint (a slow oracle holds up only these).
    pub http_max_per_oracle: usize,
    /// Most requests at once to all oracles together.
    pub http_max_in_flight: usize,
    /// Seconds to wait before asking an oracle again about a rental that failed.
    pub retry_after_secs: u64,
    /// Blocks a receipt must have (1 = mined).
    pub receipt_confirmations: u64,
    /// Blocks without a receipt before the fee is bumped.
    pub stuck_blocks: u64,
    /// Fee bump in per mille (at least 125).
    pub fee_bump_per_mille: u64,
    /// Highest max fee per gas, in gwei.
    pub max_fee_gwei: u64,
    /// Blocks after which an unmined transaction is given up.
    pub give_up_blocks: u64,
    /// The least balance (wei) the keeper account must hold to start.
    pub min_balance_wei: u64,
    /// Encrypted JSON keystore of the keeper's key.
    pub keystore: Option<PathBuf>,
    /// File holding the keystore password (else GPU_KEEPER_KEYSTORE_PASSWORD).
    pub keystore_password_file: Option<PathBuf>,
    /// Raw private key, for local development only (never read from the file).
    #[serde(skip)]
    pub private_key: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            rpc_url: String::new(),
            chain_id: None,
            deployments_dir: PathBuf::from("deployments"),
            escrow: None,
            start_block: None,
            index_path: PathBuf::from("gpu-keeper.sqlite"),
            confirmations: 2,
            max_log_range: 2_000,
            poll_interval_ms: 4_000,
            batch_size: 50,
            checkpoint_interval_secs: 0,
            low_balance_alert_secs: 1_800,
            webhook_url: None,
            metrics_addr: None,
            metrics: ServerLimitsConfig::default(),
            http_timeout_ms: 5_000,
            http_retries: 2,
            http_backoff_ms: 250,
            max_response_bytes: 64 * 1024,
            http_max_per_oracle: 4,
            http_max_in_flight: 64,
            retry_after_secs: 60,
            receipt_confirmations: 1,
            stuck_blocks: 3,
            fee_bump_per_mille: 125,
            max_fee_gwei: 500,
            give_up_blocks: 50,
            min_balance_wei: 1_000_000_000_000_000,
            keystore: None,
            keystore_password_file: None,
            private_key: None,
        }
    }
}

/// How the `GPU_KEEPER_*` variables name the settings: `GPU_KEEPER_<KEY>`, and
/// `GPU_KEEPER_METRICS_<KEY>` for `<key>` of the `[metrics]` section (`GPU_KEEPER_METRICS_ADDR` is
/// the top-level `metrics_addr`); the password and the raw key are never settings read this way.
const ENV_NAMES: EnvNames<'static> = EnvNames {
    prefix: ENV_PREFIX,
    sections: &[METRICS_SECTION],
    top_level: &["METRICS_ADDR"],
    skip: &["KEYSTORE_PASSWORD", "PRIVATE_KEY"],
};

impl Settings {
    /// Layers the optional file, the `GPU_KEEPER_*` variables in `env` and the `overrides`
    /// (command-line flags, already as TOML values) over the defaults.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: toml::Table,
    ) -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = env.into_iter().collect();
        let private_key_env = format!("{ENV_PREFIX}PRIVATE_KEY");
        let mut private_key = vars.iter().find(|(k, _)| *k == private_key_env).map(|(_, v)| v.clone());
        let mut overrides = overrides;
        if let Some(toml::Value::String(key)) = overrides.remove("private_key") {
            private_key = Some(key);
        }
        let mut settings: Self = layers::load_tables(file, [ENV_NAMES.table(vars), overrides])?;
        settings.private_key = private_key;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what can be checked without the network.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.rpc_url.is_empty() {
            return invalid("`rpc_url` is required (file, GPU_KEEPER_RPC_URL or --rpc-url)");
        }
        if !(self.rpc_url.starts_with("http://") || self.rpc_url.starts_with("https://")) {
            return invalid("`rpc_url` must be an http(s) URL");
        }
        if self.max_log_range == 0 {
            return invalid("`max_log_range` must be at least 1");
        }
        if self.batch_size == 0 {
            return invalid("`batch_size` must be at least 1");
        }
        if self.fee_bump_per_mille < 125 {
            return invalid("`fee_bump_per_mille` must be at least 125 (12.5 %): nodes refuse smaller replacements");
        }
        if self.max_response_bytes < 256 {
            return invalid("`max_response_bytes` below 256 cannot hold an attestation");
        }
        if self.http_max_per_oracle == 0 || self.http_max_in_flight == 0 {
            return invalid("`http_max_per_oracle` and `http_max_in_flight` must be at least 1");
        }
        if let Some(url) = &self.webhook_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return invalid("`webhook_url` must be an http(s) URL");
            }
        }
        if self.keystore.is_some() && self.private_key.is_some() {
            return invalid("set either `keystore` or --private-key, not both");
        }
        self.metrics_limits()?;
        Ok(())
    }

    /// The metrics server's limits, defaults filled in, validated by `protocol::http_server`
    /// (as the oracle's `[http]` section is).
    pub fn metrics_limits(&self) -> Result<ServerLimits, ConfigError> {
        Ok(self.metrics.resolve()?)
    }

    /// The oracle client's settings.
    pub fn fetch(&self) -> FetchSettings {
        FetchSettings {
            timeout: Duration::from_millis(self.http_timeout_ms),
            retries: self.http_retries,
            backoff: Duration::from_millis(self.http_backoff_ms),
            max_response_bytes: self.max_response_bytes,
            max_per_oracle: self.http_max_per_oracle,
            max_in_flight: self.http_max_in_flight,
        }
    }

    /// The transaction sender's settings.
    pub fn tx(&self) -> TxSettings {
        TxSettings {
            confirmations: self.receipt_confirmations.max(1),
            stuck_blocks: self.stuck_blocks.max(1),
            bump_per_mille: self.fee_bump_per_mille,
            max_fee_per_gas: u128::from(self.max_fee_gwei) * 1_000_000_000,
            give_up_blocks: self.give_up_blocks.max(2),
            poll_interval: Duration::from_millis(self.poll_interval_ms.clamp(50, 2_000)),
            send_attempts: 3,
        }
    }

    /// The signer: the keystore (password from the file or GPU_KEEPER_KEYSTORE_PASSWORD), or the
    /// explicit development key.
    pub fn signer(&self, password_env: Option<String>) -> Result<PrivateKeySigner, ConfigError> {
        if let Some(key) = &self.private_key {
            return Ok(keys::parse_private_key(key, "--private-key")?);
        }
        let Some(keystore) = &self.keystore else {
            return Err(ConfigError::NoSigner);
        };
        let password = match (&self.keystore_password_file, password_env) {
            (Some(file), _) => Password::File(file.clone()),
            (None, Some(password)) => Password::Given(password),
            (None, None) => {
                return Err(ConfigError::Signer(format!(
                    "keystore {} needs a password: set `keystore_password_file` or {PASSWORD_ENV}",
                    keystore.display()
                )))
            }
        };
        Ok(keys::decrypt_keystore(keystore, &password)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn flags_beat_env_beat_file_beat_defaults() {
        let dir = std::env::temp_dir().join(format!("gpu-keeper-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keeper.toml");
        std::fs::write(
            &file,
            "rpc_url = \"http://file:8545\"\nbatch_size = 10\nconfirmations = 7\n",
        )
        .unwrap();
        let mut flags = toml::Table::new();
        flags.insert("batch_size".into(), toml::Value::Integer(30));
        let s = Settings::load(
            Some(&file),
            env(&[
                ("GPU_KEEPER_BATCH_SIZE", "20"),
                ("GPU_KEEPER_RPC_URL", "http://env:8545"),
                ("OTHER", "x"),
            ]),
            flags,
        )
        .unwrap();
        assert_eq!(s.batch_size, 30, "flag wins");
        assert_eq!(s.rpc_url, "http://env:8545", "env beats file");
        assert_eq!(s.confirmations, 7, "file beats default");
        assert_eq!(s.max_log_range, 2_000, "default");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn bad_values_are_explained() {
        let err = Settings::load(
            None,
            env(&[
                ("GPU_KEEPER_RPC_URL", "http://x"),
                ("GPU_KEEPER_FEE_BUMP_PER_MILLE", "50"),
            ]),
            toml::Table::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("12.5 %"), "{err}");
        let err = Settings::load(
            None,
            env(&[
                ("GPU_KEEPER_RPC_URL", "http://x"),
                ("GPU_KEEPER_HTTP_MAX_PER_ORACLE", "0"),
            ]),
            toml::Table::new(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("at least 1"), "{err}");
        let err = Settings::load(None, env(&[]), toml::Table::new()).unwrap_err();
        assert!(err.to_string().contains("rpc_url"), "{err}");
        let err = Settings::load(
            None,
            env(&[("GPU_KEEPER_RPC_URL", "http://x"), ("GPU_KEEPER_BATCH_SIZEE", "5")]),
            toml::Table::new(),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("batch_sizee"),
            "unknown keys are refused: {err}"
        );
    }

    #[test]
    fn the_metrics_limits_come_from_the_file_env_and_flags_and_are_checked() {
        let dir = std::env::temp_dir().join(format!("gpu-keeper-metrics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("keeper.toml");
        std::fs::write(
            &file,
            "rpc_url = \"http://file:8545\"\nmetrics_addr = \"127.0.0.1:9464\"\n\
             [metrics]\nmax_connections = 32\nheader_read_timeout_secs = 2\nrequest_timeout_secs = 3\n",
        )
        .unwrap();

        let defaults = Settings::load(None, env(&[("GPU_KEEPER_RPC_URL", "http://x")]), toml::Table::new()).unwrap();
        assert_eq!(defaults.metrics_limits().unwrap(), ServerLimits::default());

        let s = Settings::load(Some(&file), env(&[]), toml::Table::new()).unwrap();
        assert_eq!(s.metrics_addr, Some(SocketAddr::from(([127, 0, 0, 1], 9_464))));
        let limits = s.metrics_limits().unwrap();
        assert_eq!(limits.max_connections, 32, "file");
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2), "file");
        assert_eq!(limits.request_timeout, Duration::from_secs(3), "file");
        assert_eq!(limits.max_connection_age, Duration::from_mins(1), "default");

        let mut flags = toml::Table::new();
        let mut metrics = toml::Table::new();
        metrics.insert("request_timeout_secs".into(), toml::Value::Integer(5));
        flags.insert(METRICS_SECTION.into(), toml::Value::Table(metrics));
        let s = Settings::load(
            Some(&file),
            env(&[
                ("GPU_KEEPER_METRICS_MAX_CONNECTIONS", "64"),
                ("GPU_KEEPER_METRICS_MAX_CONNECTION_AGE_SECS", "120"),
                ("GPU_KEEPER_METRICS_REQUEST_TIMEOUT_SECS", "4"),
                ("GPU_KEEPER_METRICS_ADDR", "127.0.0.1:9500"),
            ]),
            flags,
        )
        .unwrap();
        assert_eq!(s.metrics_addr, Some(SocketAddr::from(([127, 0, 0, 1], 9_500))));
        let limits = s.metrics_limits().unwrap();
        assert_eq!(limits.max_connections, 64, "env beats file");
        assert_eq!(
            limits.header_read_timeout,
            Duration::from_secs(2),
            "file, env and flags merged key by key"
        );
        assert_eq!(limits.request_timeout, Duration::from_secs(5), "flag beats env");
        assert_eq!(limits.max_connection_age, Duration::from_mins(2), "env");

        // Validated by protocol::http_server, as the oracle's [http] section.
        let load_err = |pairs: &[(&str, &str)]| {
            let mut all = vec![("GPU_KEEPER_RPC_URL", "http://x")];
            all.extend_from_slice(pairs);
            Settings::load(None, env(&all), toml::Table::new())
                .unwrap_err()
                .to_string()
        };
        let err = load_err(&[("GPU_KEEPER_METRICS_MAX_CONNECTIONS", "0")]);
        assert!(
            err.contains("[metrics] max_connections") && err.contains("outside"),
            "{err}"
        );
        let err = load_err(&[
            ("GPU_KEEPER_METRICS_HEADER_READ_TIMEOUT_SECS", "30"),
            ("GPU_KEEPER_METRICS_MAX_CONNECTION_AGE_SECS", "10"),
        ]);
        assert!(err.contains("[metrics] max_connection_age_secs"), "{err}");
        let err = load_err(&[("GPU_KEEPER_METRICS_IDLE_SECS", "5")]);
        assert!(err.contains("idle_secs"), "unknown keys are refused: {err}");
        let err = load_err(&[("GPU_KEEPER_METRICS_MAX_CONNECTIONS", "many")]);
        assert!(err.contains("max_connections"), "typed: {err}");
        std::fs::write(&file, "rpc_url = \"http://x\"\n[metrics]\nmax_connections = -1\n").unwrap();
        let err = Settings::load(Some(&file), env(&[]), toml::Table::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_connections"), "{err}");
        std::fs::write(&file, "rpc_url = \"http://x\"\n[metrics]\naddr = \"127.0.0.1:1\"\n").unwrap();
        let err = Settings::load(Some(&file), env(&[]), toml::Table::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("addr"), "the address stays `metrics_addr`: {err}");
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn the_signer_comes_from_an_encrypted_keystore() {
        let dir = std::env::temp_dir().join(format!("gpu-keeper-keystore-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (expected, _) =
            PrivateKeySigner::new_keystore(&dir, &mut rand::thread_rng(), "s3cret", Some("key.json")).unwrap();
        std::fs::write(dir.join("password"), "s3cret\n").unwrap();
        let mut s = Settings {
            rpc_url: "http://x".into(),
            keystore: Some(dir.join("key.json")),
            keystore_password_file: Some(dir.join("password")),
            ..Settings::default()
        };
        assert_eq!(s.signer(None).unwrap().address(), expected.address());
        s.keystore_password_file = None;
        assert_eq!(s.signer(Some("s3cret".into())).unwrap().address(), expected.address());
        let err = s.signer(Some("wrong".into())).unwrap_err();
        assert!(err.to_string().contains("cannot decrypt"), "{err}");
        assert!(s.signer(None).unwrap_err().to_string().contains(PASSWORD_ENV));
        s.keystore = None;
        assert!(matches!(s.signer(None), Err(ConfigError::NoSigner)));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn the_example_file_is_valid() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("gpu-keeper.example.toml");
        let s = Settings::load(Some(&file), env(&[]), toml::Table::new()).unwrap();
        assert_eq!(s.batch_size, 50);
        assert_eq!(s.metrics_limits().unwrap(), ServerLimits::default());
    }

    #[test]
    fn the_private_key_never_comes_from_the_file() {
        let mut table = toml::Table::new();
        table.insert("rpc_url".into(), "http://x".into());
        table.insert("private_key".into(), "0x01".into());
        let parsed: Result<Settings, _> = table.try_into();
        assert!(parsed.is_err(), "private_key is not a file key");
    }
}
