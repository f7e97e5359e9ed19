//! Configuration: a TOML file (see `oracle/oracle.example.toml`), overridden by `GPU_ORACLE_*`
//! environment variables, overridden by flags. [`Settings::resolve`] merges the layers and
//! validates everything that can be checked offline; [`check_gpus`] checks the GPUs against what
//! the source sees, and `startup` the chain.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::primitives::Address;
use protocol::http_server::{ServerLimits, ServerLimitsConfig};
use serde::{Deserialize, Serialize};

use crate::{access::AccessHooks, error::ConfigError, gpu::Inventory};

/// Most seconds between two attestations: the escrow's `stopAndSettle` takes an attestation at
/// most 10 minutes old, so a renter must always find a fresher one.
pub const MAX_ATTEST_INTERVAL_SECS: u64 = 600;

/// One served offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferConfig {
    /// The on-chain offer id.
    pub id: u64,
    /// UUIDs of the GPUs that serve it (`gpu-oracle gpus` lists them).
    pub gpus: Vec<String>,
}

/// The `[access]` section: the provider's provisioning and teardown hooks (SPEC 5.1). Without
/// `provision` the oracle delivers no access and counts uptime from the open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessFileConfig {
    /// Program and arguments of the provisioning hook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provision: Option<Vec<String>>,
    /// Program and arguments of the teardown hook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teardown: Option<Vec<String>>,
    /// Seconds a hook may run before it is killed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Seconds before the first retry of a failed hook (doubling per failure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_initial_secs: Option<u64>,
    /// Most seconds between two retries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_max_secs: Option<u64>,
    /// Extra environment variables for the hooks.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
}

/// Default seconds a hook may run.
pub const DEFAULT_HOOK_TIMEOUT_SECS: u64 = 60;
/// Default first retry delay of a failed hook, seconds.
pub const DEFAULT_HOOK_RETRY_INITIAL_SECS: u64 = 5;
/// Default longest retry delay, seconds.
pub const DEFAULT_HOOK_RETRY_MAX_SECS: u64 = 300;

impl AccessFileConfig {
    /// Validates the section; `None` when no hook is configured.
    pub fn resolve(self) -> Result<Option<AccessHooks>, ConfigError> {
        let (provision, teardown) = match (self.provision, self.teardown) {
            (None, None) => return Ok(None),
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    field: "access.teardown",
                    reason: "a provisioning hook needs a teardown hook to remove the access when the rental ends (it may be the same script: it reads GPU_ESCROW_ACTION)".into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    field: "access.provision",
                    reason: "a teardown hook is set without a provisioning hook".into(),
                })
            }
            (Some(p), Some(t)) => (p, t),
        };
        for (field, argv) in [("access.provision", &provision), ("access.teardown", &teardown)] {
            if argv.first().is_none_or(|p| p.trim().is_empty()) {
                return Err(ConfigError::Invalid {
                    field,
                    reason: "expected a command as a list: [\"/path/to/hook\", \"arg\", …]".into(),
                });
            }
        }
        let timeout_secs = self.timeout_secs.unwrap_or(DEFAULT_HOOK_TIMEOUT_SECS);
        if !(1..=3_600).contains(&timeout_secs) {
            return Err(ConfigError::Invalid {
                field: "access.timeout_secs",
                reason: format!("{timeout_secs} is outside 1..=3600"),
            });
        }
        let initial = self.retry_initial_secs.unwrap_or(DEFAULT_HOOK_RETRY_INITIAL_SECS);
        if initial == 0 {
            return Err(ConfigError::Invalid {
                field: "access.retry_initial_secs",
                reason: "must be at least 1".into(),
            });
        }
        let max = self.retry_max_secs.unwrap_or(DEFAULT_HOOK_RETRY_MAX_SECS.max(initial));
        if max < initial {
            return Err(ConfigError::Invalid {
                field: "access.retry_max_secs",
                reason: format!("{max} is below retry_initial_secs ({initial})"),
            });
        }
        for name in self.env.keys() {
            let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid || name.starts_with("GPU_ESCROW_") {
                return Err(ConfigError::Invalid {
                    field: "access.env",
                    reason: format!(
                        "{name:?} is not a usable variable name (letters, digits, _; GPU_ESCROW_* is set by the oracle)"
                    ),
                });
            }
        }
        Ok(Some(AccessHooks {
            provision,
            teardown,
            timeout: Duration::from_secs(timeout_secs),
            retry_initial: Duration::from_secs(initial),
            retry_max: Duration::from_secs(max),
            env: self.env,
        }))
    }
}

/// Checks that each hook's program is an executable file (a bare name is looked up in `PATH`).
pub fn check_hooks(hooks: &AccessHooks) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    for (field, argv) in [
        ("access.provision", &hooks.provision),
        ("access.teardown", &hooks.teardown),
    ] {
        let Some(program) = argv.first() else { continue };
        let candidates: Vec<PathBuf> = if program.contains('/') {
            vec![PathBuf::from(program)]
        } else {
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).map(|d| d.join(program)).collect())
                .unwrap_or_default()
        };
        let executable = candidates
            .iter()
            .any(|c| std::fs::metadata(c).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0));
        if !executable {
            return Err(ConfigError::Invalid {
                field,
                reason: format!("{program} is not an executable file (install the hook and chmod +x it)"),
            });
        }
    }
    Ok(())
}

/// The config file, every field optional (the other layers may set it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// JSON-RPC endpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rpc_url: Option<String>,
    /// `deployments/<chainId>.json` of the escrow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<PathBuf>,
    /// Escrow address, overriding the deployment file's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escrow: Option<Address>,
    /// Durable state directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<PathBuf>,
    /// HTTP listen address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Encrypted JSON keystore of the attester key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keystore: Option<PathBuf>,
    /// File holding the keystore password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// Blocks to stay behind the head.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmations: Option<u64>,
    /// Most blocks per `eth_getLogs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_block_range: Option<u64>,
    /// Milliseconds between chain polls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<u64>,
    /// Seconds between periodic attestations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attest_interval_secs: Option<u64>,
    /// Seconds after a rental's end before its GPUs are reused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release_after_secs: Option<u64>,
    /// Served offers (flags replace the file's list).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<OfferConfig>,
    /// Access delivery hooks.
    #[serde(default)]
    pub access: AccessFileConfig,
    /// Connection cap and timeouts of the HTTP API.
    #[serde(default)]
    pub http: ServerLimitsConfig,
}

impl FileConfig {
    /// The config file (if any) with `overrides` (the flags and their `GPU_ORACLE_*` variables)
    /// over it: `protocol::layers`, the oracle's and the keeper's one layering.
    pub fn load(file: Option<&Path>, overrides: &FileConfig) -> Result<Self, ConfigError> {
        Ok(protocol::layers::load(file, overrides)?)
    }
}

/// Validated settings of the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// Deployment file.
    pub deployment: PathBuf,
    /// Escrow override.
    pub escrow: Option<Address>,
    /// State directory.
    pub state_dir: PathBuf,
    /// HTTP listen address.
    pub listen: SocketAddr,
    /// Keystore (absent: a dev key must be given).
    pub keystore: Option<PathBuf>,
    /// Password file.
    pub password_file: Option<PathBuf>,
    /// Confirmations.
    pub confirmations: u64,
    /// Max blocks per `eth_getLogs`.
    pub max_block_range: u64,
    /// Chain poll interval.
    pub poll_interval: Duration,
    /// Seconds between periodic attestations.
    pub attest_interval_secs: u64,
    /// Seconds after the end before GPUs are reused.
    pub release_after_secs: u64,
    /// Served offers, by id.
    pub offers: BTreeMap<u64, Vec<String>>,
    /// Access delivery hooks (`None`: no access delivery, uptime counts from the open).
    pub access: Option<AccessHooks>,
    /// Connection cap and timeouts of the HTTP API.
    pub http: ServerLimits,
}

impl Settings {
    /// Merges nothing more: validates a fully layered config.
    pub fn resolve(config: FileConfig) -> Result<Self, ConfigError> {
        let rpc_url = config.rpc_url.ok_or(ConfigError::Missing("rpc_url"))?;
        if !(rpc_url.starts_with("http://") || rpc_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                field: "rpc_url",
                reason: format!("{rpc_url:?} is not an http(s) URL"),
            });
        }
        let attest_interval_secs = config.attest_interval_secs.unwrap_or(60);
        if !(1..=MAX_ATTEST_INTERVAL_SECS).contains(&attest_interval_secs) {
            return Err(ConfigError::Invalid {
                field: "attest_interval_secs",
                reason: format!(
                    "{attest_interval_secs} is outside 1..={MAX_ATTEST_INTERVAL_SECS} (stopAndSettle needs an attestation at most 10 minutes old)"
                ),
            });
        }
        let max_block_range = config.max_block_range.unwrap_or(1_000);
        if max_block_range == 0 {
            return Err(ConfigError::Invalid {
                field: "max_block_range",
                reason: "must be at least 1".into(),
            });
        }
        let poll_interval_ms = config.poll_interval_ms.unwrap_or(2_000);
        if poll_interval_ms == 0 {
            return Err(ConfigError::Invalid {
                field: "poll_interval_ms",
                reason: "must be at least 1".into(),
            });
        }
        if config.offers.is_empty() {
            return Err(ConfigError::NoOffers);
        }
        let mut offers = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for offer in config.offers {
            if offer.gpus.is_empty() {
                return Err(ConfigError::OfferWithoutGpus(offer.id));
            }
            for gpu in &offer.gpus {
                if !seen.insert(gpu.clone()) {
                    return Err(ConfigError::DuplicateGpu(gpu.clone()));
                }
            }
            if offers.insert(offer.id, offer.gpus).is_some() {
                return Err(ConfigError::DuplicateOffer(offer.id));
            }
        }
        Ok(Self {
            rpc_url,
            deployment: config.deployment.ok_or(ConfigError::Missing("deployment"))?,
            escrow: config.escrow,
            state_dir: config.state_dir.ok_or(ConfigError::Missing("state_dir"))?,
            listen: config.listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 9_100))),
            keystore: config.keystore,
            password_file: config.password_file,
            confirmations: config.confirmations.unwrap_or(2),
            max_block_range,
            poll_interval: Duration::from_millis(poll_interval_ms),
            attest_interval_secs,
            release_after_secs: config.release_after_secs.unwrap_or(300),
            offers,
            access: config.access.resolve()?,
            http: config.http.resolve()?,
        })
    }
}

/// Checks that every configured GPU is one the source sees.
pub fn check_gpus(offers: &BTreeMap<u64, Vec<String>>, inventory: &Inventory) -> Result<(), ConfigError> {
    for (offer, gpus) in offers {
        for uuid in gpus {
            if !inventory.gpus.iter().any(|g| &g.uuid == uuid) {
                let seen = if inventory.gpus.is_empty() {
                    "no GPUs".to_owned()
                } else {
                    inventory
                        .gpus
                        .iter()
                        .map(|g| g.uuid.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(ConfigError::UnknownGpu {
                    offer: *offer,
                    uuid: uuid.clone(),
                    seen,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::{mock::mock_uuid, GpuInfo};

    const GOOD: &str = r#"
rpc_url = "http://127.0.0.1:8545"
deployment = "deployments/31337.json"
state_dir = "/tmp/state"
attest_interval_secs = 30

[[offers]]
id = 1
gpus = ["GPU-00000000-0000-4000-8000-000000000000", "GPU-00000000-0000-4000-8000-000000000001"]

[[offers]]
id = 2
gpus = ["GPU-00000000-0000-4000-8000-000000000002"]
"#;

    /// `text` as the config file, with `over` as the flags.
    fn layered(text: &str, over: &FileConfig) -> Result<FileConfig, ConfigError> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "gpu-oracle-config-{}-{}.toml",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, text).unwrap();
        let loaded = FileConfig::load(Some(&path), over);
        std::fs::remove_file(&path).unwrap();
        loaded
    }

    fn parse(text: &str) -> FileConfig {
        layered(text, &FileConfig::default()).unwrap()
    }

    fn resolve_err(text: &str) -> String {
        Settings::resolve(parse(text)).unwrap_err().to_string()
    }

    #[test]
    fn a_complete_file_resolves_with_defaults() {
        let s = Settings::resolve(parse(GOOD)).unwrap();
        assert_eq!(s.attest_interval_secs, 30);
        assert_eq!(s.confirmations, 2);
        assert_eq!(s.listen.port(), 9_100);
        assert_eq!(s.offers.len(), 2);
    }

    #[test]
    fn the_example_config_parses_and_resolves() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle.example.toml");
        let file = FileConfig::load(Some(&path), &FileConfig::default()).unwrap();
        let s = Settings::resolve(file).unwrap();
        let hooks = s.access.expect("the example configures access delivery");
        assert!(hooks.provision[0].ends_with("hooks/authorized-keys.sh"));
        assert_eq!(hooks.env["ACCESS_USER"], "gpu-renter");
    }

    #[test]
    fn env_and_flags_override_the_file() {
        let over = FileConfig {
            rpc_url: Some("https://rpc.example".into()),
            confirmations: Some(12),
            ..FileConfig::default()
        };
        let s = Settings::resolve(layered(GOOD, &over).unwrap()).unwrap();
        assert_eq!(s.rpc_url, "https://rpc.example");
        assert_eq!(s.confirmations, 12);
        assert_eq!(s.attest_interval_secs, 30, "unset override keeps the file's value");
    }

    #[test]
    fn missing_settings_are_named() {
        let err = resolve_err(&GOOD.replace("rpc_url = \"http://127.0.0.1:8545\"", ""));
        assert!(err.contains("`rpc_url` is not set"), "{err}");
        let err = resolve_err(&GOOD.replace("state_dir = \"/tmp/state\"", ""));
        assert!(err.contains("`state_dir` is not set"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let err = layered("rpc_ur = \"x\"", &FileConfig::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("rpc_ur") && err.contains(".toml"), "{err}");
    }

    #[test]
    fn the_http_limits_have_defaults_and_are_checked() {
        let s = Settings::resolve(parse(GOOD)).unwrap();
        assert_eq!(s.http, ServerLimits::default());
        assert_eq!(s.http.max_connections, 512);
        let s = Settings::resolve(parse(&format!(
            "{GOOD}\n[http]\nmax_connections = 32\nheader_read_timeout_secs = 1\n"
        )))
        .unwrap();
        assert_eq!(s.http.max_connections, 32);
        assert_eq!(s.http.header_read_timeout, Duration::from_secs(1));
        let err = resolve_err(&format!("{GOOD}\n[http]\nmax_connections = 0\n"));
        assert!(err.contains("[http] max_connections"), "{err}");
        let err = layered("[http]\nidle = 1", &FileConfig::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("idle"), "unknown keys are refused: {err}");
    }

    #[test]
    fn an_attest_interval_above_ten_minutes_is_refused() {
        let err = resolve_err(&GOOD.replace("attest_interval_secs = 30", "attest_interval_secs = 601"));
        assert!(
            err.contains("attest_interval_secs") && err.contains("10 minutes"),
            "{err}"
        );
    }

    #[test]
    fn a_gpu_may_serve_one_offer_only() {
        let err = resolve_err(&GOOD.replace("000000000002", "000000000001"));
        assert!(err.contains("listed twice"), "{err}");
    }

    #[test]
    fn offers_must_exist_once_and_have_gpus() {
        let err = resolve_err(&GOOD.replace("id = 2", "id = 1"));
        assert!(err.contains("offer 1 is configured twice"), "{err}");
        let err = resolve_err(&GOOD.replace(r#"gpus = ["GPU-00000000-0000-4000-8000-000000000002"]"#, "gpus = []"));
        assert!(err.contains("offer 2 has no GPUs"), "{err}");
        let no_offers = GOOD.split("[[offers]]").next().unwrap();
        assert!(resolve_err(no_offers).contains("no offers configured"));
    }

    #[test]
    fn access_hooks_resolve_with_defaults_and_flags_override_them() {
        let text = format!(
            "{GOOD}\n[access]\nprovision = [\"/opt/hooks/ak.sh\", \"--verbose\"]\nteardown = [\"/opt/hooks/ak.sh\"]\n\
             [access.env]\nAUTHORIZED_KEYS_FILE = \"/home/renter/.ssh/authorized_keys\"\n"
        );
        let s = Settings::resolve(parse(&text)).unwrap();
        let hooks = s.access.unwrap();
        assert_eq!(hooks.provision, vec!["/opt/hooks/ak.sh", "--verbose"]);
        assert_eq!(hooks.timeout, Duration::from_secs(DEFAULT_HOOK_TIMEOUT_SECS));
        assert_eq!(
            hooks.retry_initial,
            Duration::from_secs(DEFAULT_HOOK_RETRY_INITIAL_SECS)
        );
        assert_eq!(hooks.retry_max, Duration::from_secs(DEFAULT_HOOK_RETRY_MAX_SECS));
        assert_eq!(hooks.env["AUTHORIZED_KEYS_FILE"], "/home/renter/.ssh/authorized_keys");

        let over = FileConfig {
            access: AccessFileConfig {
                provision: Some(vec!["/other".into()]),
                timeout_secs: Some(5),
                ..AccessFileConfig::default()
            },
            ..FileConfig::default()
        };
        let hooks = Settings::resolve(layered(&text, &over).unwrap())
            .unwrap()
            .access
            .unwrap();
        assert_eq!(hooks.provision, vec!["/other"]);
        assert_eq!(
            hooks.teardown,
            vec!["/opt/hooks/ak.sh"],
            "unset override keeps the file's"
        );
        assert_eq!(hooks.timeout, Duration::from_secs(5));
        assert_eq!(
            Settings::resolve(parse(GOOD)).unwrap().access,
            None,
            "no hook: no access delivery"
        );
    }

    #[test]
    fn inconsistent_access_settings_are_named() {
        let with = |section: &str| resolve_err(&format!("{GOOD}\n[access]\n{section}\n"));
        let err = with("provision = [\"/h\"]");
        assert!(
            err.contains("access.teardown") && err.contains("GPU_ESCROW_ACTION"),
            "{err}"
        );
        assert!(with("teardown = [\"/h\"]").contains("access.provision"));
        assert!(with("provision = []\nteardown = [\"/h\"]").contains("expected a command as a list"));
        let err = with("provision = [\"/h\"]\nteardown = [\"/h\"]\ntimeout_secs = 0");
        assert!(err.contains("access.timeout_secs"), "{err}");
        let err = with("provision = [\"/h\"]\nteardown = [\"/h\"]\nretry_initial_secs = 10\nretry_max_secs = 5");
        assert!(err.contains("access.retry_max_secs") && err.contains("below"), "{err}");
        let err = with("provision = [\"/h\"]\nteardown = [\"/h\"]\n[access.env]\nGPU_ESCROW_ACTION = \"x\"");
        assert!(err.contains("access.env"), "{err}");
        let err = layered("[access]\nprovison = [\"/h\"]", &FileConfig::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("provison"), "{err}");
    }

    #[test]
    fn a_hook_that_is_not_an_executable_file_is_named() {
        let hooks = AccessFileConfig {
            provision: Some(vec!["/nonexistent/hook.sh".into()]),
            teardown: Some(vec!["sh".into()]),
            ..AccessFileConfig::default()
        }
        .resolve()
        .unwrap()
        .unwrap();
        let err = check_hooks(&hooks).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/hook.sh is not an executable file"), "{err}");
        let ok = AccessHooks {
            provision: vec!["sh".into()],
            ..hooks
        };
        check_hooks(&ok).unwrap();
    }

    #[test]
    fn a_non_http_rpc_url_is_refused() {
        let err = resolve_err(&GOOD.replace("http://127.0.0.1:8545", "127.0.0.1:8545"));
        assert!(err.contains("rpc_url") && err.contains("not an http(s) URL"), "{err}");
    }

    #[test]
    fn a_configured_gpu_the_source_does_not_see_is_named() {
        let s = Settings::resolve(parse(GOOD)).unwrap();
        let inventory = Inventory {
            driver_version: "mock".into(),
            gpus: (0..2)
                .map(|i| GpuInfo {
                    index: i,
                    uuid: mock_uuid(i),
                    name: "NVIDIA H100 80GB HBM3".into(),
                    memory_total_bytes: 0,
                })
                .collect(),
        };
        let err = check_gpus(&s.offers, &inventory).unwrap_err().to_string();
        assert!(
            err.contains("GPU-00000000-0000-4000-8000-000000000002 (offer 2) is not on this host"),
            "{err}"
        );
        assert!(err.contains(&mock_uuid(1)), "lists what it sees: {err}");
    }
}
