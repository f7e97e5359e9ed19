//! A local market for the end-to-end stories: anvil (one block a second once deployed, so chain time follows the
//! clock the oracle samples with), the escrow with its dispute module and a one-member committee arbitrator, and a
//! 6-decimal USDC deployed from the forge artifacts, a bonded provider with one H100 offer, and the real
//! `gpu-oracle`, `gpu-keeper` and `gpu-escrow` binaries as child processes, killed when the market is dropped. A
//! market may instead register a misbehaving attestation server ([`FakeOracle`]) as the provider's oracle: the real
//! oracle refuses to serve an offer of another GPU model and never signs two contradicting attestations.

#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

use std::{
    collections::{HashMap, VecDeque},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{aliases::U96, Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, Log, TransactionReceipt},
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use axum::{
    extract::{Path as UrlPath, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use protocol::{
    bindings::{CommitteeArbitrator, DisputeModule, GpuEscrow, MockERC20},
    deploy::{deploy_stack, StackParams},
    gpu_model_hash,
    oracle_api::{OracleEndpoint, UsageView, ATTESTATION_ROUTE},
    rental_id,
    terms::terms_from_opened,
    RentalStatus, RentalTerms, SignedAttestation, UsageAttestation,
};

pub const GPU_MODEL: &str = "NVIDIA H100 80GB HBM3";
/// The first mock GPU's UUID (`gpu-oracle --mock-gpus`).
pub const MOCK_GPU: &str = "GPU-00000000-0000-4000-8000-000000000000";
pub const PRICE_PER_HOUR: u64 = 2_500_000;
pub const FEE_BPS: u16 = 250;
pub const HOUR: u64 = 3_600;
/// The provider's bond: the minimum an offer in USDC needs here, 100 USDC.
pub const BOND: u64 = 100_000_000;
/// What opening a dispute costs in USDC: 5 USDC.
pub const DISPUTE_BOND: u64 = 5_000_000;
/// Anvil accounts: the treasury, the provider (also its payout address), its attester (the oracle's key), the
/// renter, the keeper and the committee's only member.
pub const TREASURY: usize = 1;
pub const PROVIDER: usize = 2;
pub const ATTESTER: usize = 3;
pub const RENTER: usize = 4;
pub const KEEPER: usize = 5;
pub const ARBITER: usize = 6;
const RENTER_SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK renter@example";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A workspace binary next to this test's own executable (`target/<profile>/`), built by `cargo test --workspace`.
fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} not found: build the workspace first (`cargo build --workspace`)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed (and reaped) when dropped.
pub struct Proc {
    child: Child,
    pub log: PathBuf,
}

impl Proc {
    fn spawn(program: &Path, args: &[String], env: &[(&str, &str)], log: PathBuf) -> Self {
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(program)
            .args(args)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        Self { child, log }
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<_> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A provider's attestation server that signs whatever the story queues: each request for a rental's attestation
/// gets the next one queued for it, the last one again once all were served; unknown rentals get 404.
#[derive(Clone, Default)]
pub struct FakeOracle {
    queues: Arc<Mutex<HashMap<B256, VecDeque<SignedAttestation>>>>,
}

impl FakeOracle {
    /// Serves on a free port of the test's runtime; returns the base URL.
    async fn serve(&self) -> String {
        async fn attestation(State(oracle): State<FakeOracle>, UrlPath(id): UrlPath<B256>) -> Response {
            let mut queues = oracle.queues.lock().unwrap();
            let Some(queue) = queues.get_mut(&id) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let next = if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            };
            Json(next).into_response()
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route(ATTESTATION_ROUTE, get(attestation))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    /// Serves `attestations` for the rental, in this order.
    pub fn queue(&self, terms: &RentalTerms, attestations: Vec<SignedAttestation>) {
        assert!(!attestations.is_empty());
        self.queues
            .lock()
            .unwrap()
            .insert(rental_id(terms), attestations.into());
    }
}

pub fn connect(anvil: &AnvilInstance, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(anvil.endpoint_url())
        .erased()
}

pub async fn mined<D: CallDecoder>(call: CallBuilder<&DynProvider, D>) -> TransactionReceipt {
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "transaction {} reverted", receipt.transaction_hash);
    receipt
}

/// Who attests the provider's rentals.
pub enum Attester<'a> {
    /// The real `gpu-oracle` on one mock H100, with an optional fault plan (TOML) for it.
    Oracle { fault_plan: Option<&'a str> },
    /// A [`FakeOracle`] signing with the provider's attester key.
    Fake,
}

pub struct Market {
    pub anvil: AnvilInstance,
    pub chain: DynProvider,
    pub escrow: Address,
    pub dispute_module: Address,
    pub arbitrator: Address,
    pub usdc: Address,
    pub offer_id: u64,
    pub dir: PathBuf,
    pub deployment: PathBuf,
    pub oracle_url: String,
    pub oracle: Option<Proc>,
    pub fake: Option<FakeOracle>,
    pub keeper: Option<Proc>,
    /// Base URL of the keeper's metrics server, once it runs.
    pub keeper_metrics: Option<String>,
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
        let anvil = Anvil::at(repo().join("node_modules/.bin/anvil"))
            .try_spawn()
            .expect("anvil from node_modules: run `npm ci` first");
        let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let chain = connect(&anvil, &key(0));
        let usdc = MockERC20::deploy(chain.clone(), "USD Coin".into(), "USDC".into(), 6)
            .await
            .unwrap();
        let stack = deploy_stack(
            &chain,
            &StackParams::new(
                anvil.addresses()[0],
                anvil.addresses()[TREASURY],
                vec![anvil.addresses()[ARBITER]],
            ),
        )
        .await
        .unwrap();
        stack
            .allow_token(&chain, *usdc.address(), U256::from(BOND), U256::from(DISPUTE_BOND))
            .await
            .unwrap();
        let escrow = GpuEscrow::new(stack.escrow, chain.clone());
        mined(escrow.setFee(FEE_BPS)).await;

        let dir = std::env::temp_dir().join(format!("gpu-escrow-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let deployment = dir.join("deployment.json");
        let json = serde_json::json!({
            "chainId": 31337, "escrow": stack.escrow, "disputeModule": stack.dispute_module,
            "arbitrator": stack.arbitrator, "deployBlock": 0, "tokens": {"USDC": usdc.address()}
        });
        std::fs::write(&deployment, json.to_string()).unwrap();
        let fake = matches!(attester, Attester::Fake).then(FakeOracle::default);
        let oracle_url = match &fake {
            Some(fake) => fake.serve().await,
            None => format!("http://127.0.0.1:{}", free_port()),
        };

        let provider_chain = connect(&anvil, &key(PROVIDER));
        let provider_usdc = MockERC20::new(*usdc.address(), provider_chain.clone());
        mined(provider_usdc.mint(anvil.addresses()[PROVIDER], U256::from(BOND))).await;
        mined(provider_usdc.approve(stack.dispute_module, U256::from(BOND))).await;
        mined(DisputeModule::new(stack.dispute_module, provider_chain.clone()).bond(*usdc.address(), U256::from(BOND)))
            .await;
        let provider = GpuEscrow::new(*escrow.address(), provider_chain);
        mined(provider.registerProvider(
            anvil.addresses()[PROVIDER],
            anvil.addresses()[ATTESTER],
            oracle_url.clone(),
        ))
        .await;
        let offer = GpuEscrow::OfferParams {
            gpuModel: GPU_MODEL.into(),
            vramGiB: 80,
            gpuCount: 1,
            token: *usdc.address(),
            pricePerHour: U96::from(PRICE_PER_HOUR),
            minDuration: 60,
            maxDuration: 7 * 24 * 3_600,
            spot: false,
            slaBps: 9_900,
            region: "eu-west".into(),
            capacity: 1,
        };
        let offer_id = provider.createOffer(offer.clone()).call().await.unwrap();
        mined(provider.createOffer(offer)).await;

        chain.anvil_set_interval_mining(1).await.unwrap();
        let mut market = Self {
            escrow: *escrow.address(),
            dispute_module: stack.dispute_module,
            arbitrator: stack.arbitrator,
            usdc: *usdc.address(),
            offer_id,
            dir,
            deployment,
            oracle_url,
            oracle: None,
            fake,
            keeper: None,
            keeper_metrics: None,
            chain,
            anvil,
        };
        if let Attester::Oracle { fault_plan } = attester {
            market.start_oracle(fault_plan).await;
        }
        market
    }

    pub fn key(&self, i: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[i].clone())
    }

    pub fn address(&self, i: usize) -> Address {
        self.anvil.addresses()[i]
    }

    pub fn renter(&self) -> PrivateKeySigner {
        self.key(RENTER)
    }

    pub fn keeper_key(&self) -> PrivateKeySigner {
        self.key(KEEPER)
    }

    fn hex_key(&self, i: usize) -> String {
        format!("0x{}", alloy::hex::encode(self.anvil.keys()[i].to_bytes()))
    }

    async fn start_oracle(&mut self, fault_plan: Option<&str>) {
        let listen = self.oracle_url.trim_start_matches("http://").to_string();
        let mut args: Vec<String> = [
            "run",
            "--rpc-url",
            &self.anvil.endpoint(),
            "--deployment",
            &self.deployment.display().to_string(),
            "--state-dir",
            &self.dir.join("oracle").display().to_string(),
            "--listen",
            &listen,
            "--dev-private-key",
            &self.hex_key(ATTESTER),
            "--confirmations",
            "0",
            "--poll-interval-ms",
            "200",
            "--attest-interval-secs",
            "2",
            "--offer",
            &format!("{}={MOCK_GPU}", self.offer_id),
            "--mock-gpus",
            "1",
            "--mock-model",
            GPU_MODEL,
        ]
        .map(String::from)
        .to_vec();
        if let Some(plan) = fault_plan {
            let path = self.dir.join("faults.toml");
            std::fs::write(&path, plan).unwrap();
            args.extend(["--mock-fault-plan".into(), path.display().to_string()]);
        }
        // Access is provisioned by the shipped hook into this market's own authorized_keys file.
        let hook = repo().join("hooks/authorized-keys.sh").display().to_string();
        args.extend(["--provision-hook".into(), hook.clone(), "--teardown-hook".into(), hook]);
        let keys_file = self.authorized_keys_file().display().to_string();
        let env = [
            ("AUTHORIZED_KEYS_FILE", keys_file.as_str()),
            ("ACCESS_HOST", "127.0.0.1"),
            ("ACCESS_PORT", "22"),
            ("ACCESS_USER", "renter"),
        ];
        let mut oracle = Proc::spawn(&workspace_bin("gpu-oracle"), &args, &env, self.dir.join("oracle.log"));
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if client
                .get(format!("{}/healthz", self.oracle_url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            let exited = oracle.child.try_wait().unwrap().is_some();
            assert!(
                !exited && Instant::now() < deadline,
                "gpu-oracle did not answer:\n{}",
                oracle.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.oracle = Some(oracle);
    }

    /// Starts `gpu-keeper run` with its own key and index (with `extra_args`, e.g. a checkpoint interval); it
    /// works a round every 250 ms, and serves its metrics on a free port.
    pub fn start_keeper(&mut self, extra_args: &[&str]) {
        let metrics = format!("127.0.0.1:{}", free_port());
        let mut args: Vec<String> = [
            "run",
            "--rpc-url",
            &self.anvil.endpoint(),
            "--chain-id",
            "31337",
            "--escrow",
            &self.escrow.to_string(),
            "--index-path",
            &self.dir.join("keeper.sqlite").display().to_string(),
            "--confirmations",
            "0",
            "--metrics-addr",
            &metrics,
            "--private-key",
            &self.hex_key(KEEPER),
        ]
        .map(String::from)
        .to_vec();
        args.extend(extra_args.iter().map(|a| (*a).to_owned()));
        let env = [
            ("GPU_KEEPER_POLL_INTERVAL_MS", "250"),
            ("GPU_KEEPER_RETRY_AFTER_SECS", "1"),
        ];
        self.keeper = Some(Proc::spawn(
            &workspace_bin("gpu-keeper"),
            &args,
            &env,
            self.dir.join("keeper.log"),
        ));
        self.keeper_metrics = Some(format!("http://{metrics}"));
    }

    /// The keeper's `/metrics` text, once its server answers.
    pub async fn keeper_metrics(&self) -> String {
        let url = format!("{}/metrics", self.keeper_metrics.as_ref().expect("the keeper runs"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(response) = reqwest::get(&url).await {
                if response.status().is_success() {
                    return response.text().await.unwrap();
                }
            }
            assert!(
                Instant::now() < deadline,
                "the keeper's metrics server did not answer at {url}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
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
            .env("HOME", &self.dir)
            .args(["--rpc-url", &self.anvil.endpoint()])
            .args(["--deployment", &self.deployment.display().to_string()])
            .args(["--private-key", &self.hex_key(key), "--json"])
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
        let mark = format!("# gpu-escrow {id:#x}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let keys = std::fs::read_to_string(self.authorized_keys_file()).unwrap_or_default();
            if keys.contains(&mark) == granted {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the renter's key for {id} was not {} within 30 s; authorized_keys:\n{keys}\noracle log:\n{}",
                if granted { "granted" } else { "removed" },
                self.oracle.as_ref().map(Proc::log_tail).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn escrow_as(&self, signer: &PrivateKeySigner) -> GpuEscrow::GpuEscrowInstance<DynProvider> {
        GpuEscrow::new(self.escrow, connect(&self.anvil, signer))
    }

    pub fn disputes_as(&self, signer: &PrivateKeySigner) -> DisputeModule::DisputeModuleInstance<DynProvider> {
        DisputeModule::new(self.dispute_module, connect(&self.anvil, signer))
    }

    pub fn arbitrator_as(
        &self,
        signer: &PrivateKeySigner,
    ) -> CommitteeArbitrator::CommitteeArbitratorInstance<DynProvider> {
        CommitteeArbitrator::new(self.arbitrator, connect(&self.anvil, signer))
    }

    pub async fn balance(&self, who: Address) -> U256 {
        MockERC20::new(self.usdc, self.chain.clone())
            .balanceOf(who)
            .call()
            .await
            .unwrap()
    }

    /// Mints `amount` USDC to `who`.
    pub async fn mint(&self, who: Address, amount: U256) {
        mined(MockERC20::new(self.usdc, self.chain.clone()).mint(who, amount)).await;
    }

    /// What is left of the provider's bond in USDC, and its open disputes.
    pub async fn bond(&self) -> (U256, u32) {
        let account = self
            .disputes_as(&self.renter())
            .bondOf(self.address(PROVIDER), self.usdc)
            .call()
            .await
            .unwrap();
        (U256::from(account.amount), account.openDisputes)
    }

    pub async fn now(&self) -> u64 {
        self.chain
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .unwrap()
            .unwrap()
            .header
            .timestamp
    }

    /// Moves chain time forward and mines a block.
    pub async fn advance(&self, seconds: u64) {
        self.chain.anvil_increase_time(seconds).await.unwrap();
        self.chain.evm_mine(None).await.unwrap();
    }

    /// The renter mints `deposit`, approves exactly that and opens a rental with its SSH key.
    pub async fn open(&self, deposit: U256) -> (RentalTerms, TransactionReceipt) {
        let renter = self.renter();
        let usdc = MockERC20::new(self.usdc, connect(&self.anvil, &renter));
        mined(usdc.mint(renter.address(), deposit)).await;
        mined(usdc.approve(self.escrow, deposit)).await;
        let key: Bytes = protocol::access_key::to_wire(RENTER_SSH_KEY).unwrap().into();
        let params = GpuEscrow::OpenParams {
            offerId: self.offer_id,
            deposit: U96::from(deposit),
            salt: B256::from(U256::from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos(),
            )),
        };
        let receipt = mined(self.escrow_as(&renter).open(params, key)).await;
        let opened = receipt.decoded_log::<GpuEscrow::RentalOpened>().expect("RentalOpened");
        (terms_from_opened(&opened.data), receipt)
    }

    /// An attestation of `terms` for GPUs of `model`, signed with the provider's attester key.
    pub fn attest(
        &self,
        terms: &RentalTerms,
        model: &str,
        (seq, period_end, uptime): (u64, u64, u64),
    ) -> SignedAttestation {
        UsageAttestation {
            rentalId: rental_id(terms),
            seq,
            periodEnd: period_end,
            uptimeSeconds: uptime,
            gpuModelHash: gpu_model_hash(model),
            gpuUuidsHash: protocol::gpu_uuids_hash(&[MOCK_GPU.to_owned()]),
            energyJoules: uptime * 650,
            avgUtilBps: 9_000,
        }
        .sign(
            &self.key(ATTESTER),
            &protocol::domain(self.anvil.chain_id(), self.escrow),
        )
        .unwrap()
    }

    fn oracle(&self) -> OracleEndpoint {
        OracleEndpoint::parse(&self.oracle_url).unwrap()
    }

    /// The oracle's latest signed attestation for a rental (GET), or a fresh one (POST).
    pub async fn attestation(&self, id: B256, fresh: bool) -> Option<SignedAttestation> {
        let url = self.oracle().attestation_url(id);
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
        reqwest::get(self.oracle().usage_url(id))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until the oracle has closed rental `id` as `status` (it follows the chain behind its confirmations).
    pub async fn wait_for_oracle_status(&self, id: B256, status: RentalStatus) -> UsageView {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let usage = self.usage(id).await;
            if usage.status == status {
                return usage;
            }
            assert!(
                Instant::now() < deadline,
                "the oracle still shows rental {id} as {} after 30 s, not {status}; oracle log:\n{}",
                usage.status,
                self.oracle.as_ref().map(Proc::log_tail).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the escrow emits `RentalSettled` for `id`; returns the event and its transaction's receipt.
    pub async fn settled(&self, id: B256, within: Duration) -> (GpuEscrow::RentalSettled, TransactionReceipt) {
        self.event::<GpuEscrow::RentalSettled>(self.escrow, id, within).await
    }

    /// The logs of event `E` that `contract` emitted about rental `id` (its first indexed field).
    pub async fn logs<E: SolEvent>(&self, contract: Address, id: B256) -> Vec<Log> {
        let filter = Filter::new()
            .address(contract)
            .event_signature(E::SIGNATURE_HASH)
            .topic1(id)
            .from_block(0);
        self.chain.get_logs(&filter).await.unwrap()
    }

    /// Waits until `contract` emits event `E` about rental `id`; returns the event and its transaction's receipt.
    pub async fn event<E: SolEvent>(&self, contract: Address, id: B256, within: Duration) -> (E, TransactionReceipt) {
        let deadline = Instant::now() + within;
        loop {
            if let Some(log) = self.logs::<E>(contract, id).await.first() {
                let event = E::decode_log(&log.inner).unwrap().data;
                let tx = log.transaction_hash.unwrap();
                let receipt = self.chain.get_transaction_receipt(tx).await.unwrap().unwrap();
                return (event, receipt);
            }
            assert!(
                Instant::now() < deadline,
                "no {} for rental {id} in {within:?}\nkeeper log:\n{}\noracle log:\n{}",
                E::SIGNATURE,
                self.keeper.as_ref().map(Proc::log_tail).unwrap_or_default(),
                self.oracle.as_ref().map(Proc::log_tail).unwrap_or_default(),
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for Market {
    fn drop(&mut self) {
        self.keeper.take();
        self.oracle.take();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
