//! A real anvil with the escrow, its dispute module and committee arbitrator and a USDC-like
//! token deployed from the forge artifacts, a registered provider whose attester is anvil key 3,
//! and one offer.

#![allow(dead_code, unreachable_pub)]

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
    primitives::{aliases::U96, Address, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use oracle::{client::request, gpu::mock::mock_uuid};
use protocol::{
    bindings::{DisputeModule, GpuEscrow, MockERC20},
    deploy::{deploy_stack, StackParams},
    RentalTerms, SignedAttestation,
};

pub const GPU_MODEL: &str = "NVIDIA H100 80GB HBM3";
/// 3.6 USDC per hour: 1000 base units per second.
pub const PRICE_PER_HOUR: u64 = 3_600_000;

pub fn anvil_path() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
    assert!(
        path.exists(),
        "anvil not found at {}: run `npm ci` first",
        path.display()
    );
    path
}

pub struct Market {
    pub anvil: AnvilInstance,
    pub deployer: DynProvider,
    pub escrow: Address,
    pub dispute_module: Address,
    pub usdc: Address,
    pub offer_id: u64,
    pub attester: PrivateKeySigner,
    pub renter: PrivateKeySigner,
    pub deploy_block: u64,
}

pub fn connect(anvil: &AnvilInstance, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(anvil.endpoint_url())
        .erased()
}

pub async fn mined<D: CallDecoder>(call: CallBuilder<&DynProvider, D>) -> TransactionReceipt {
    let receipt = call
        .send()
        .await
        .expect("transaction accepted")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "transaction {} reverted", receipt.transaction_hash);
    receipt
}

impl Market {
    /// Deploys everything; the offer rents `gpu_count` GPUs at a time.
    pub async fn setup(gpu_count: u16) -> Self {
        let anvil = Anvil::at(anvil_path()).try_spawn().expect("anvil starts");
        let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let deployer = connect(&anvil, &key(0));
        let owner = anvil.addresses()[0];
        let usdc = MockERC20::deploy(deployer.clone(), "USD Coin".into(), "USDC".into(), 6)
            .await
            .unwrap();
        let stack = deploy_stack(&deployer, &StackParams::new(owner, anvil.addresses()[1], vec![owner]))
            .await
            .unwrap();
        stack
            .allow_token(&deployer, *usdc.address(), U256::ZERO, U256::ZERO)
            .await
            .unwrap();
        let deploy_block = stack.deploy_block;
        let escrow = GpuEscrow::new(stack.escrow, deployer.clone());
        let (provider_key, attester, renter) = (key(2), key(3), key(4));
        let as_provider = GpuEscrow::new(*escrow.address(), connect(&anvil, &provider_key));
        mined(as_provider.registerProvider(
            provider_key.address(),
            attester.address(),
            "http://127.0.0.1:9100".into(),
        ))
        .await;
        let params = GpuEscrow::OfferParams {
            gpuModel: GPU_MODEL.into(),
            vramGiB: 80,
            gpuCount: gpu_count,
            token: *usdc.address(),
            pricePerHour: U96::from(PRICE_PER_HOUR),
            minDuration: 60,
            maxDuration: 7 * 24 * 3_600,
            spot: false,
            slaBps: 9_000,
            region: "eu-west".into(),
            capacity: 4,
        };
        let offer_id = as_provider.createOffer(params.clone()).call().await.unwrap();
        mined(as_provider.createOffer(params)).await;
        Self {
            escrow: *escrow.address(),
            dispute_module: stack.dispute_module,
            usdc: *usdc.address(),
            deployer,
            offer_id,
            attester,
            renter,
            deploy_block,
            anvil,
        }
    }

    pub fn escrow_as(&self, signer: &PrivateKeySigner) -> GpuEscrow::GpuEscrowInstance<DynProvider> {
        GpuEscrow::new(self.escrow, connect(&self.anvil, signer))
    }

    pub fn disputes_as(&self, signer: &PrivateKeySigner) -> DisputeModule::DisputeModuleInstance<DynProvider> {
        DisputeModule::new(self.dispute_module, connect(&self.anvil, signer))
    }

    /// Opens a rental whose deposit pays for `seconds`; returns its terms.
    pub async fn open(&self, seconds: u64, salt: u8) -> RentalTerms {
        let deposit = protocol::billing::deposit_for(U256::from(PRICE_PER_HOUR), seconds);
        let usdc = MockERC20::new(self.usdc, connect(&self.anvil, &self.renter));
        mined(usdc.mint(self.renter.address(), deposit)).await;
        mined(usdc.approve(self.escrow, deposit)).await;
        let receipt = mined(self.escrow_as(&self.renter).open(
            GpuEscrow::OpenParams {
                offerId: self.offer_id,
                deposit: U96::from(deposit),
                salt: B256::with_last_byte(salt),
            },
            renter_access_key(),
        ))
        .await;
        let opened = receipt.decoded_log::<GpuEscrow::RentalOpened>().expect("RentalOpened");
        protocol::terms::terms_from_opened(&opened.data)
    }

    /// Mines the next block at exactly `timestamp`.
    pub async fn mine_at(&self, timestamp: u64) {
        self.deployer.anvil_set_next_block_timestamp(timestamp).await.unwrap();
        self.deployer.evm_mine(None).await.unwrap();
    }

    /// Sets the timestamp of the next block (the next transaction's).
    pub async fn next_block_at(&self, timestamp: u64) {
        self.deployer.anvil_set_next_block_timestamp(timestamp).await.unwrap();
    }

    pub fn chain_id(&self) -> u64 {
        self.anvil.chain_id()
    }

    /// Writes `deployments/<chainId>.json` for this market into `dir`.
    pub fn write_deployment(&self, dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(format!("{}.json", self.chain_id()));
        let json = serde_json::json!({
            "chainId": self.chain_id(),
            "escrow": self.escrow,
            "disputeModule": self.dispute_module,
            "deployBlock": self.deploy_block,
            "tokens": {"USDC": self.usdc},
        });
        std::fs::write(&path, json.to_string()).unwrap();
        path
    }
}

/// A fresh temp directory for one test.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gpu-oracle-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The renter's SSH public key in the wire format `open` takes.
fn renter_access_key() -> alloy::primitives::Bytes {
    protocol::access_key::to_wire(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK renter@example",
    )
    .expect("valid key")
    .into()
}

/// A port free at the time of asking.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running oracle process, killed when dropped.
pub struct Oracle {
    pub child: Child,
    pub url: String,
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The arguments of `gpu-oracle run` serving `m`'s offer with 2 mock GPUs, an attestation a second.
pub fn oracle_args(m: &Market, deployment: &Path, state: &Path, port: u16, key: &str) -> Vec<String> {
    let offer = format!("{}={},{}", m.offer_id, mock_uuid(0), mock_uuid(1));
    [
        "run",
        "--rpc-url",
        m.anvil.endpoint().as_str(),
        "--deployment",
        deployment.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--dev-private-key",
        key,
        "--mock-gpus",
        "2",
        "--offer",
        &offer,
        "--confirmations",
        "0",
        "--poll-interval-ms",
        "200",
        "--attest-interval-secs",
        "1",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Starts the oracle, its log appended to `log`, and waits until it is healthy.
pub fn spawn(args: &[String], log: &Path) -> Oracle {
    let port = args
        .iter()
        .find_map(|a| a.strip_prefix("127.0.0.1:"))
        .unwrap()
        .to_owned();
    let log = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_gpu-oracle"))
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let oracle = Oracle {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if matches!(request(&oracle.url, "GET", "/healthz"), Ok((200, _))) {
            return oracle;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("oracle did not become healthy");
}

/// The latest attestation of `id`, if any.
pub fn get_attestation(url: &str, id: B256) -> Option<SignedAttestation> {
    match request(url, "GET", &format!("/v1/rentals/{id:#x}/attestation")) {
        Ok((200, body)) => Some(serde_json::from_str(&body).unwrap()),
        _ => None,
    }
}

/// The attester key of `m` as `--dev-private-key` takes it.
pub fn key_hex(m: &Market) -> String {
    format!("{:x}", m.attester.to_bytes())
}

/// A log file's text, empty if it is missing.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
