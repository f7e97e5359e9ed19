//! A local market for the end-to-end stories: anvil (one block a second, so chain time follows the clock the oracle
//! samples with), the escrow and a 6-decimal USDC deployed from the forge artifacts, a provider with one H100 offer,
//! and the real `gpu-oracle` and `gpu-keeper` binaries as child processes, killed when the market is dropped.

#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{aliases::U96, Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, TransactionReceipt},
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use protocol::{
    bindings::{GpuEscrow, MockERC20},
    deploy::{deploy_stack, StackParams},
    terms::terms_from_opened,
    RentalTerms, SignedAttestation,
};

pub const GPU_MODEL: &str = "NVIDIA H100 80GB HBM3";
/// The first mock GPU's UUID (`gpu-oracle --mock-gpus`).
pub const MOCK_GPU: &str = "GPU-00000000-0000-4000-8000-000000000000";
pub const PRICE_PER_HOUR: u64 = 2_500_000;
pub const FEE_BPS: u16 = 250;
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
    fn spawn(program: &Path, args: &[String], log: PathBuf) -> Self {
        let out = std::fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let child = Command::new(program)
            .args(args)
            .env("RUST_LOG", "info")
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

pub struct Market {
    pub anvil: AnvilInstance,
    pub chain: DynProvider,
    pub escrow: Address,
    pub dispute_module: Address,
    pub arbitrator: Address,
    pub usdc: Address,
    pub offer_id: u64,
    pub dir: PathBuf,
    pub oracle_url: String,
    pub oracle: Option<Proc>,
    pub keeper: Option<Proc>,
}

impl Market {
    /// Deploys everything and starts the oracle for the offer, with `fault_plan` (TOML) for its mock GPU.
    pub async fn start(name: &str, fault_plan: Option<&str>) -> Self {
        let anvil = Anvil::at(repo().join("node_modules/.bin/anvil"))
            .block_time(1)
            .try_spawn()
            .expect("anvil from node_modules: run `npm ci` first");
        let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let chain = connect(&anvil, &key(0));
        let usdc = MockERC20::deploy(chain.clone(), "USD Coin".into(), "USDC".into(), 6)
            .await
            .unwrap();
        let stack = deploy_stack(
            &chain,
            &StackParams::new(anvil.addresses()[0], anvil.addresses()[1], vec![anvil.addresses()[0]]),
        )
        .await
        .unwrap();
        stack
            .allow_token(&chain, *usdc.address(), U256::ZERO, U256::ZERO)
            .await
            .unwrap();
        let escrow = GpuEscrow::new(stack.escrow, chain.clone());
        mined(escrow.setFee(FEE_BPS)).await;

        let dir = std::env::temp_dir().join(format!("gpu-escrow-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let oracle_url = format!("http://127.0.0.1:{}", free_port());

        let provider = GpuEscrow::new(*escrow.address(), connect(&anvil, &key(2)));
        mined(provider.registerProvider(anvil.addresses()[2], anvil.addresses()[3], oracle_url.clone())).await;
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

        let mut market = Self {
            escrow: *escrow.address(),
            dispute_module: stack.dispute_module,
            arbitrator: stack.arbitrator,
            usdc: *usdc.address(),
            offer_id,
            dir,
            oracle_url,
            oracle: None,
            keeper: None,
            chain,
            anvil,
        };
        market.start_oracle(fault_plan).await;
        market
    }

    pub fn key(&self, i: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[i].clone())
    }

    pub fn renter(&self) -> PrivateKeySigner {
        self.key(4)
    }

    pub fn keeper_key(&self) -> PrivateKeySigner {
        self.key(5)
    }

    fn hex_key(&self, i: usize) -> String {
        format!("0x{}", alloy::hex::encode(self.anvil.keys()[i].to_bytes()))
    }

    async fn start_oracle(&mut self, fault_plan: Option<&str>) {
        let listen = self.oracle_url.trim_start_matches("http://").to_string();
        let deployment = self.dir.join("deployment.json");
        let json = serde_json::json!({
            "chainId": 31337, "escrow": self.escrow, "disputeModule": self.dispute_module,
            "arbitrator": self.arbitrator, "deployBlock": 0, "tokens": {"USDC": self.usdc}
        });
        std::fs::write(&deployment, json.to_string()).unwrap();
        let mut args: Vec<String> = [
            "run",
            "--rpc-url",
            &self.anvil.endpoint(),
            "--deployment",
            &deployment.display().to_string(),
            "--state-dir",
            &self.dir.join("oracle").display().to_string(),
            "--listen",
            &listen,
            "--dev-private-key",
            &self.hex_key(3),
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
        let mut oracle = Proc::spawn(&workspace_bin("gpu-oracle"), &args, self.dir.join("oracle.log"));
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

    /// Starts `gpu-keeper run` with its own key and index.
    pub fn start_keeper(&mut self) {
        let args: Vec<String> = [
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
            "--private-key",
            &self.hex_key(5),
        ]
        .map(String::from)
        .to_vec();
        self.keeper = Some(Proc::spawn(
            &workspace_bin("gpu-keeper"),
            &args,
            self.dir.join("keeper.log"),
        ));
    }

    pub fn escrow_as(&self, signer: &PrivateKeySigner) -> GpuEscrow::GpuEscrowInstance<DynProvider> {
        GpuEscrow::new(self.escrow, connect(&self.anvil, signer))
    }

    pub async fn balance(&self, who: Address) -> U256 {
        MockERC20::new(self.usdc, self.chain.clone())
            .balanceOf(who)
            .call()
            .await
            .unwrap()
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

    /// The oracle's latest signed attestation for a rental (GET), or a fresh one (POST).
    pub async fn attestation(&self, id: B256, fresh: bool) -> Option<SignedAttestation> {
        let url = format!("{}/v1/rentals/{id}/attestation", self.oracle_url);
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
    pub async fn usage(&self, id: B256) -> serde_json::Value {
        reqwest::get(format!("{}/v1/rentals/{id}/usage", self.oracle_url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until the escrow emits `RentalSettled` for `id`; returns the event and its transaction's receipt.
    pub async fn settled(&self, id: B256, within: Duration) -> (GpuEscrow::RentalSettled, TransactionReceipt) {
        let deadline = Instant::now() + within;
        let filter = Filter::new()
            .address(self.escrow)
            .event_signature(GpuEscrow::RentalSettled::SIGNATURE_HASH)
            .topic1(id)
            .from_block(0);
        loop {
            if let Some(log) = self.chain.get_logs(&filter).await.unwrap().first() {
                let event = GpuEscrow::RentalSettled::decode_log_data(log.data()).unwrap();
                let tx = log.transaction_hash.unwrap();
                let receipt = self.chain.get_transaction_receipt(tx).await.unwrap().unwrap();
                return (event, receipt);
            }
            assert!(
                Instant::now() < deadline,
                "rental {id} not settled in {within:?}\nkeeper log:\n{}\noracle log:\n{}",
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
