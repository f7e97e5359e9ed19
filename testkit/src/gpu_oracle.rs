//! The real `gpu-oracle run` for a market's offer, as a child process: the arguments every test
//! starts it with (the market's chain and deployment, no confirmations, a fast poll, mock GPUs, the
//! attester key), the knobs the tests turn, and a start that returns once it is healthy.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use crate::{
    market::{Market, ATTESTER},
    process::{free_port, ChildGuard},
    repo_root,
};

/// How long a starting oracle may take to answer `/healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The UUID of mock GPU `index` (`gpu-oracle --mock-gpus`, `oracle::gpu::mock::mock_uuid`).
pub fn mock_gpu_uuid(index: u32) -> String {
    format!("GPU-00000000-0000-4000-8000-{index:012}")
}

/// How to run `gpu-oracle` for a market's offer. Cloned and spawned again, it restarts on the same
/// state folder and port.
#[derive(Debug, Clone)]
pub struct GpuOracle {
    binary: PathBuf,
    offer_id: u64,
    port: u16,
    args: Vec<String>,
    mock_gpus: u32,
    key: String,
    key_in_env: bool,
    env: Vec<(String, String)>,
}

impl GpuOracle {
    /// `binary run` for `market`'s offer with `deployment` and its state in `state_dir`: on a free
    /// port, signing with the attester key, following the chain with no confirmations every 200 ms,
    /// an attestation a second, on one mock GPU that serves the offer.
    pub fn new(binary: impl Into<PathBuf>, market: &Market, deployment: &Path, state_dir: &Path) -> Self {
        let args = [
            "run",
            "--rpc-url",
            &market.chain.endpoint(),
            "--deployment",
            &deployment.display().to_string(),
            "--state-dir",
            &state_dir.display().to_string(),
            "--confirmations",
            "0",
            "--poll-interval-ms",
            "200",
        ]
        .map(str::to_owned)
        .to_vec();
        Self {
            binary: binary.into(),
            offer_id: market.offer_id,
            port: free_port(),
            args,
            mock_gpus: 1,
            key: market.chain.key_hex(ATTESTER),
            key_in_env: false,
            env: Vec::new(),
        }
    }

    /// `n` mock GPUs, all of them serving the offer.
    #[must_use]
    pub fn mock_gpus(mut self, n: u32) -> Self {
        self.mock_gpus = n;
        self
    }

    /// Listens on `port` (one the test registered as the provider's endpoint before the oracle
    /// could start) instead of a free one of its own.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Names its mock GPUs `model` (the oracle's default otherwise).
    #[must_use]
    pub fn mock_model(self, model: &str) -> Self {
        self.args(["--mock-model", model])
    }

    /// Serves offer `offer_id` instead of the market's (one the test created itself).
    #[must_use]
    pub fn offer(mut self, offer_id: u64) -> Self {
        self.offer_id = offer_id;
        self
    }

    /// Signs with `key` (hex) instead of the attester's.
    #[must_use]
    pub fn key(mut self, key: &str) -> Self {
        key.clone_into(&mut self.key);
        self
    }

    /// Passes the key in the environment (`GPU_ORACLE_DEV_PRIVATE_KEY`) rather than as a flag.
    #[must_use]
    pub fn key_in_env(mut self) -> Self {
        self.key_in_env = true;
        self
    }

    /// Adds `args` (e.g. `["--attest-interval-secs", "2"]`).
    #[must_use]
    pub fn args(mut self, args: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets `name=value` in its environment.
    #[must_use]
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Provisions access with the repository's `hooks/authorized-keys.sh` into `keys_file`; the
    /// renter is told to connect as `renter@127.0.0.1:ssh_port`.
    #[must_use]
    pub fn authorized_keys_hook(self, keys_file: &Path, ssh_port: u16) -> Self {
        let hook = repo_root().join("hooks/authorized-keys.sh").display().to_string();
        self.args(["--provision-hook", &hook, "--teardown-hook", &hook])
            .env("AUTHORIZED_KEYS_FILE", &keys_file.display().to_string())
            .env("ACCESS_HOST", "127.0.0.1")
            .env("ACCESS_PORT", &ssh_port.to_string())
            .env("ACCESS_USER", "renter")
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The whole command line after the binary.
    pub fn command_args(&self) -> Vec<String> {
        let gpus: Vec<String> = (0..self.mock_gpus).map(mock_gpu_uuid).collect();
        let mut args = self.args.clone();
        args.extend([
            "--listen".to_owned(),
            format!("127.0.0.1:{}", self.port),
            "--mock-gpus".to_owned(),
            self.mock_gpus.to_string(),
            "--offer".to_owned(),
            format!("{}={}", self.offer_id, gpus.join(",")),
        ]);
        if !self.key_in_env {
            args.extend(["--dev-private-key".to_owned(), self.key.clone()]);
        }
        args
    }

    /// The binary with `args` and this oracle's environment, logging at `info`.
    pub fn command(&self, args: &[String]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .env("RUST_LOG", "info")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        if self.key_in_env {
            command.env("GPU_ORACLE_DEV_PRIVATE_KEY", &self.key);
        }
        command
    }

    /// Starts it, its output appended to `log`, and waits until it is healthy.
    pub fn spawn(&self, log: &Path) -> RunningOracle {
        let mut process = ChildGuard::spawn(&mut self.command(&self.command_args()), log);
        let url = self.url();
        process.wait_healthy(&format!("{url}/healthz"), START_TIMEOUT);
        RunningOracle { process, url }
    }
}

/// A healthy `gpu-oracle`, killed when dropped.
#[derive(Debug)]
pub struct RunningOracle {
    /// The process.
    pub process: ChildGuard,
    /// Its base URL.
    pub url: String,
}
