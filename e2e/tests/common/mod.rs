//! A local market for the end-to-end stories: testkit's market (the escrow with its dispute module and a one-member
//! committee arbitrator, a 6-decimal USDC, a provider bonded with the 100 USDC minimum and one H100 offer, a 2.5 %
//! fee; anvil one block a second once set up, so chain time follows the clock the oracle samples with), and the
//! real `gpu-oracle`, `gpu-keeper` and `gpu-escrow` binaries as child processes, killed when the market is dropped.
//! A market may instead register testkit's fake oracle as the provider's ([`Attester::Fake`]): the real oracle
//! refuses to serve an offer of another GPU model and never signs two contradicting attestations.

#![allow(dead_code, unreachable_pub)]

use std::{
    cell::Cell,
    ops::Deref,
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use alloy::{
    primitives::{aliases::U96, B256, U256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::SolEvent,
};
use protocol::{
    bindings::GpuEscrow,
    oracle_api::{OracleEndpoint, UsageView},
    RentalStatus, SignedAttestation,
};
use testkit::{
    free_port,
    process::{workspace_bin, ChildGuard},
    wait::eventually,
    GpuOracle, RunningOracle, GPU_MODEL, KEEPER,
};

pub const PRICE_PER_HOUR: u64 = 2_500_000;
pub const FEE_BPS: u16 = 250;
pub const HOUR: u64 = 3_600;
/// The provider's bond: the minimum an offer in USDC needs here, 100 USDC.
pub const BOND: u64 = 100_000_000;
/// What opening a dispute costs in USDC: 5 USDC.
pub const DISPUTE_BOND: u64 = 5_000_000;

/// Who attests the provider's rentals.
pub enum Attester<'a> {
    /// The real `gpu-oracle` on one mock H100, with an optional fault plan (TOML) for it.
    Oracle { fault_plan: Option<&'a str> },
    /// testkit's fake oracle, signing with the provider's attester key what the story queues.
    Fake,
}

/// The market and the binaries running against it. The processes are declared first so that they stop before
/// anvil does.
pub struct Market {
    pub oracle: Option<RunningOracle>,
    pub keeper_process: Option<ChildGuard>,
    /// Base URL of the keeper's metrics server, once it runs.
    pub keeper_metrics: Option<String>,
    /// The deployment file the binaries read.
    pub deployment: PathBuf,
    kit: testkit::Market,
}

/// The stories read the market through this one: its chain, contracts, keys and fake oracle.
impl Deref for Market {
    type Target = testkit::Market;

    fn deref(&self) -> &testkit::Market {
        &self.kit
    }
}

impl Market {
    /// Deploys everything and starts the real oracle for the offer, with `fault_plan` (TOML) for its mock GPU.
    pub async fn start(name: &str, fault_plan: Option<&str>) -> Self {
        Self::start_with(name, Attester::Oracle { fault_plan }).await
    }

    /// Deploys everything: the stack with a one-member committee, USDC allowed with a 100 USDC minimum bond and a
    /// 5 USDC dispute bond, a provider that bonds the minimum and offers one H100; then starts its attester.
    pub async fn start_with(name: &str, attester: Attester<'_>) -> Self {
        // Each setup transaction is mined at once; the market then runs at one block a second.
        let builder = testkit::Market::builder()
            .name(&format!("e2e-{name}"))
            .fee_bps(FEE_BPS)
            .bonds(U256::from(BOND), U256::from(DISPUTE_BOND))
            .offer(|o| {
                o.pricePerHour = U96::from(PRICE_PER_HOUR);
                o.capacity = 1;
            })
            .interval_mining_after_setup(1);
        let oracle_port = free_port();
        let kit = match attester {
            Attester::Fake => builder.fake_oracle(),
            Attester::Oracle { .. } => builder.endpoint(&format!("http://127.0.0.1:{oracle_port}")),
        }
        .start()
        .await;
        let deployment = kit.dir.join("deployment.json");
        kit.save_deployment(&deployment);
        let mut market = Self {
            oracle: None,
            keeper_process: None,
            keeper_metrics: None,
            deployment,
            kit,
        };
        if let Attester::Oracle { fault_plan } = attester {
            market.start_oracle(oracle_port, fault_plan);
        }
        market
    }

    /// The real oracle on `port` for the offer, on one mock H100 with `fault_plan`, an attestation every 2 s;
    /// access is provisioned by the shipped hook into this market's own authorized_keys file.
    fn start_oracle(&mut self, port: u16, fault_plan: Option<&str>) {
        let mut oracle = GpuOracle::new(
            workspace_bin("gpu-oracle"),
            &self.kit,
            &self.deployment,
            &self.dir.join("oracle"),
        )
        .port(port)
        .mock_model(GPU_MODEL)
        .args(["--attest-interval-secs", "2"])
        .authorized_keys_hook(&self.authorized_keys_file(), 22);
        if let Some(plan) = fault_plan {
            let path = self.dir.join("faults.toml");
            std::fs::write(&path, plan).unwrap();
            oracle = oracle.args(["--mock-fault-plan", path.to_str().unwrap()]);
        }
        self.oracle = Some(oracle.spawn(&self.dir.join("oracle.log")));
    }

    fn oracle_log(&self) -> String {
        self.oracle.as_ref().map(|o| o.process.log_tail()).unwrap_or_default()
    }

    /// Starts `gpu-keeper run` with its own key and index (with `extra_args`, e.g. a checkpoint interval); it
    /// works a round every 250 ms, and serves its metrics on a free port.
    pub fn start_keeper(&mut self, extra_args: &[&str]) {
        let metrics = format!("127.0.0.1:{}", free_port());
        let mut keeper = Command::new(workspace_bin("gpu-keeper"));
        keeper
            .args(["run", "--rpc-url", &self.chain.endpoint(), "--chain-id", "31337"])
            .args(["--escrow", &self.escrow.to_string()])
            .args(["--index-path", self.dir.join("keeper.sqlite").to_str().unwrap()])
            .args(["--confirmations", "0", "--metrics-addr", &metrics])
            .args(["--private-key", &self.chain.key_hex(KEEPER)])
            .args(extra_args)
            .env("RUST_LOG", "info")
            .env("GPU_KEEPER_POLL_INTERVAL_MS", "250")
            .env("GPU_KEEPER_RETRY_AFTER_SECS", "1");
        self.keeper_process = Some(ChildGuard::spawn(&mut keeper, &self.dir.join("keeper.log")));
        self.keeper_metrics = Some(format!("http://{metrics}"));
    }

    /// The keeper's `/metrics` text, once its server answers.
    pub async fn keeper_metrics(&self) -> String {
        let url = &format!("{}/metrics", self.keeper_metrics.as_ref().expect("the keeper runs"));
        let text = || async move {
            let response = reqwest::get(url).await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            response.text().await.ok()
        };
        eventually(Duration::from_secs(10), text, || {
            format!("the keeper's metrics server did not answer at {url}")
        })
        .await
    }

    /// Runs the `gpu-escrow` CLI as anvil account `key` on this market with `--json`; returns its output.
    pub fn cli(&self, key: usize, args: &[&str]) -> serde_json::Value {
        let output = self.cli_output(key, args);
        assert!(
            output.status.success(),
            "gpu-escrow {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// Runs the CLI as account `key` and returns what it printed, whether it succeeded or not.
    pub fn cli_output(&self, key: usize, args: &[&str]) -> std::process::Output {
        let mut command = Command::new(workspace_bin("gpu-escrow"));
        command
            .env_clear()
            .env("HOME", self.dir.path())
            .args(["--rpc-url", &self.chain.endpoint()])
            .args(["--deployment", &self.deployment.display().to_string()])
            .args(["--private-key", &self.chain.key_hex(key), "--json"])
            .args(args)
            .stdin(Stdio::null());
        tokio::task::block_in_place(|| command.output()).unwrap()
    }

    /// The authorized_keys file the oracle's access hook writes for this market.
    pub fn authorized_keys_file(&self) -> PathBuf {
        self.dir.join("authorized_keys")
    }

    /// Waits until the access hook has granted (`granted`) or removed the renter's key for rental `id`: the
    /// hook marks each line with its rental's id.
    pub async fn wait_for_access(&self, id: B256, granted: bool) {
        let (mark, file) = (&format!("# gpu-escrow {id:#x}"), &self.authorized_keys_file());
        let keys = move || std::fs::read_to_string(file).unwrap_or_default();
        let done = || async move { (keys().contains(mark) == granted).then_some(()) };
        eventually(Duration::from_secs(30), done, || {
            format!(
                "the renter's key for {id} was not {}; authorized_keys:\n{}\noracle log:\n{}",
                if granted { "granted" } else { "removed" },
                keys(),
                self.oracle_log()
            )
        })
        .await;
    }

    fn oracle_endpoint(&self) -> OracleEndpoint {
        OracleEndpoint::parse(&self.endpoint).unwrap()
    }

    /// The oracle's latest signed attestation for a rental (GET), or a fresh one (POST).
    pub async fn attestation(&self, id: B256, fresh: bool) -> Option<SignedAttestation> {
        let url = self.oracle_endpoint().attestation_url(id);
        let client = reqwest::Client::new();
        let response = if fresh { client.post(url) } else { client.get(url) }
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.json().await.ok()
    }

    /// The oracle's live view of a rental.
    pub async fn usage(&self, id: B256) -> UsageView {
        reqwest::get(self.oracle_endpoint().usage_url(id))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until the oracle has closed rental `id` as `status` (it follows the chain behind its confirmations).
    pub async fn wait_for_oracle_status(&self, id: B256, status: RentalStatus) -> UsageView {
        let seen = &Cell::new(None);
        let closed = || async move {
            let usage = self.usage(id).await;
            seen.set(Some(usage.status));
            (usage.status == status).then_some(usage)
        };
        eventually(Duration::from_secs(30), closed, || {
            format!(
                "the oracle still shows rental {id} as {:?}, not {status}; oracle log:\n{}",
                seen.get(),
                self.oracle_log()
            )
        })
        .await
    }

    /// Waits until the escrow emits `RentalSettled` for `id`; returns the event and its transaction's receipt.
    pub async fn settled(&self, id: B256, within: Duration) -> (GpuEscrow::RentalSettled, TransactionReceipt) {
        self.event::<GpuEscrow::RentalSettled>(self.escrow, id, within).await
    }

    /// Waits until `contract` emits event `E` about rental `id`; returns the event and its transaction's receipt.
    pub async fn event<E: SolEvent>(
        &self,
        contract: alloy::primitives::Address,
        id: B256,
        within: Duration,
    ) -> (E, TransactionReceipt) {
        let emitted = || async move {
            let log = self.logs::<E>(contract, id).await.into_iter().next()?;
            let event = E::decode_log(&log.inner).unwrap().data;
            let tx = log.transaction_hash.unwrap();
            let receipt = self.chain.deployer.get_transaction_receipt(tx).await.unwrap().unwrap();
            Some((event, receipt))
        };
        eventually(within, emitted, || {
            format!(
                "no {} for rental {id}\nkeeper log:\n{}\noracle log:\n{}",
                E::SIGNATURE,
                self.keeper_process
                    .as_ref()
                    .map(ChildGuard::log_tail)
                    .unwrap_or_default(),
                self.oracle_log(),
            )
        })
        .await
    }
}
