//! Test market for the `gpu-escrow` binary: a real anvil with the escrow, its dispute module, a
//! one-member committee arbitrator (the `ARBITER` account) and tokens deployed from the forge
//! artifacts, a deployment file, and the provider's oracle as a small axum server in the test that
//! signs real attestations with the attester key (`protocol::attestation`) and checks access
//! requests exactly as the oracle's HTTP contract says.

#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    process::Output,
    sync::{Arc, Mutex},
};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    hex,
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, Signature, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use axum::{
    extract::{Path as UrlPath, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use protocol::{
    bindings::{GpuEscrow, MockERC20},
    gpu_model_hash,
    oracle_api::{
        access_message, AccessAnswer, ConnectionDetails, UsageView, ACCESS_ROUTE, ATTESTATION_ROUTE, USAGE_ROUTE,
    },
    EscrowEvent, RentalStatus, RentalTerms, UsageAttestation,
};
use serde_json::{json, Value};

pub const GPU_MODEL: &str = "NVIDIA H100 80GB HBM3";
pub const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK renter@example";
/// Seconds of downtime the fake oracle attests for every rental.
pub const DOWN_SECONDS: u64 = 30;

pub const DEPLOYER: usize = 0;
pub const TREASURY: usize = 1;
pub const PROVIDER: usize = 2;
pub const ATTESTER: usize = 3;
pub const RENTER: usize = 4;
pub const OTHER: usize = 5;
/// The committee arbitrator's only member (quorum 1).
pub const ARBITER: usize = 6;

/// Seconds the arbitrator has to rule on a dispute.
pub const RULING_PERIOD: u64 = 3 * 86_400;
/// Seconds between an unbond request and the withdrawal (more than 7 days + the ruling period).
pub const UNBONDING_DELAY: u64 = 14 * 86_400;
/// The bond an offer needs per token: 100 units (0.05 ETH).
pub const MIN_BOND_UNITS: u64 = 100;
/// The bond a dispute opener posts: 5 units (0.0025 ETH).
pub const DISPUTE_BOND_UNITS: u64 = 5;

pub fn anvil_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
    assert!(
        path.exists(),
        "anvil not found at {}: run `npm ci` first",
        path.display()
    );
    path
}

/// How the fake oracle answers access requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AccessMode {
    #[default]
    Ready,
    Provisioning,
    Gone,
}

#[derive(Clone)]
pub struct OracleState {
    pub chain: DynProvider,
    pub chain_id: u64,
    pub escrow: Address,
    pub attester: PrivateKeySigner,
    pub seq: Arc<Mutex<HashMap<B256, u64>>>,
    pub access_mode: Arc<Mutex<AccessMode>>,
    pub seen_signatures: Arc<Mutex<HashSet<String>>>,
    /// Addresses whose access requests verified.
    pub granted: Arc<Mutex<Vec<Address>>>,
    /// The GPU model every attestation names (the offers' model unless a test swaps the hardware).
    pub gpu_model: Arc<Mutex<String>>,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

impl OracleState {
    async fn terms(&self, id: B256) -> Option<RentalTerms> {
        let head = self.chain.get_block_number().await.unwrap();
        protocol::fetch_events(&self.chain, self.escrow, 0, head)
            .await
            .unwrap()
            .into_iter()
            .find_map(|e| match e.event {
                EscrowEvent::RentalOpened { rental_id, terms, .. } if rental_id == id => Some(terms),
                _ => None,
            })
    }

    async fn now(&self) -> u64 {
        self.chain
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .unwrap()
            .unwrap()
            .header
            .timestamp
    }
}

/// Signs an attestation up to the chain's latest block: every second up but `DOWN_SECONDS`.
async fn attestation(State(s): State<OracleState>, UrlPath(id): UrlPath<B256>) -> Response {
    let Some(terms) = s.terms(id).await else {
        return error(StatusCode::NOT_FOUND, "unknown rental");
    };
    let now = s.now().await;
    let started: u64 = terms.startedAt.to();
    let seq = {
        let mut seqs = s.seq.lock().unwrap();
        let seq = seqs.entry(id).or_insert(0);
        *seq += 1;
        *seq
    };
    let elapsed = now.saturating_sub(started);
    let model = s.gpu_model.lock().unwrap().clone();
    let signed = UsageAttestation {
        rentalId: id,
        seq,
        periodEnd: now,
        uptimeSeconds: elapsed.saturating_sub(DOWN_SECONDS),
        gpuModelHash: gpu_model_hash(&model),
        gpuUuidsHash: B256::repeat_byte(0x11),
        energyJoules: elapsed * 650,
        avgUtilBps: 9_300,
    }
    .sign(&s.attester, &protocol::domain(s.chain_id, s.escrow))
    .unwrap();
    Json(signed).into_response()
}

async fn usage(State(s): State<OracleState>, UrlPath(id): UrlPath<B256>) -> Response {
    let Some(terms) = s.terms(id).await else {
        return error(StatusCode::NOT_FOUND, "unknown rental");
    };
    let now = s.now().await;
    let started_at: u64 = terms.startedAt.to();
    let elapsed = now.saturating_sub(started_at);
    Json(UsageView {
        rental_id: id,
        offer_id: terms.offerId,
        status: RentalStatus::Running,
        gpus: vec!["GPU-0".into()],
        started_at,
        ends_at: u64::MAX,
        ended: false,
        closed: false,
        elapsed_seconds: elapsed,
        uptime_seconds: elapsed.saturating_sub(DOWN_SECONDS),
        counted_until: now,
        avg_util_bps: 9_300,
        energy_joules: elapsed * 650,
        last_seq: 0,
        provisioned_at: None,
    })
    .into_response()
}

/// `GET /v1/rentals/{id}/access`, checked as the oracle's contract says: EIP-191 signature by the
/// renter over the exact message, timestamp within 60 s, each signature once.
async fn access(State(s): State<OracleState>, UrlPath(id): UrlPath<B256>, headers: HeaderMap) -> Response {
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (Some(ts), Some(sig)) = (header("X-Access-Timestamp"), header("X-Access-Signature")) else {
        return error(
            StatusCode::UNAUTHORIZED,
            "missing X-Access-Timestamp or X-Access-Signature",
        );
    };
    let Ok(ts) = ts.parse::<u64>() else {
        return error(StatusCode::UNAUTHORIZED, "malformed timestamp");
    };
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if wall.abs_diff(ts) > 60 {
        return error(StatusCode::UNAUTHORIZED, "stale timestamp");
    }
    let Some(bytes) = sig.strip_prefix("0x").and_then(|h| hex::decode(h).ok()) else {
        return error(StatusCode::UNAUTHORIZED, "malformed signature");
    };
    if bytes.len() != 65 || !matches!(bytes[64], 27 | 28) {
        return error(StatusCode::UNAUTHORIZED, "the signature must be 65 bytes r||s||v");
    }
    let Ok(signature) = Signature::try_from(bytes.as_slice()) else {
        return error(StatusCode::UNAUTHORIZED, "malformed signature");
    };
    let message = access_message(s.chain_id, s.escrow, id, ts);
    let Ok(signer) = signature.recover_address_from_msg(message.as_bytes()) else {
        return error(StatusCode::UNAUTHORIZED, "signature does not recover");
    };
    if !s.seen_signatures.lock().unwrap().insert(sig.to_lowercase()) {
        return error(StatusCode::UNAUTHORIZED, "replayed signature");
    }
    let Some(terms) = s.terms(id).await else {
        return error(StatusCode::NOT_FOUND, "unknown rental");
    };
    if signer != terms.renter {
        return error(StatusCode::FORBIDDEN, "the signer is not the renter of this rental");
    }
    s.granted.lock().unwrap().push(signer);
    let mode = s.access_mode.lock().unwrap().clone();
    match mode {
        AccessMode::Ready => Json(AccessAnswer::ready(
            id,
            ConnectionDetails {
                host: "127.0.0.1".into(),
                port: 2222,
                user: "renter".into(),
                notes: Some("GPU 0".into()),
            },
        ))
        .into_response(),
        AccessMode::Provisioning => (
            StatusCode::ACCEPTED,
            Json(AccessAnswer::Provisioning {
                rental_id: id,
                attempts: 3,
                last_error: Some("hook timed out".into()),
            }),
        )
            .into_response(),
        AccessMode::Gone => error(StatusCode::GONE, "rental ended: access removed"),
    }
}

pub async fn serve_oracle(state: OracleState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route(ATTESTATION_ROUTE, get(attestation).post(attestation))
        .route(USAGE_ROUTE, get(usage))
        .route(ACCESS_ROUTE, get(access))
        .with_state(state);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
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

/// What one run of the binary did.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        assert!(self.ok, "command failed: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    pub fn expect_ok(self) -> Self {
        assert!(
            self.ok,
            "command failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn expect_err(self) -> Self {
        assert!(!self.ok, "command should have failed:\nstdout: {}", self.stdout);
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub struct Market {
    pub anvil: AnvilInstance,
    pub deployer: DynProvider,
    pub escrow: Address,
    pub disputes: Address,
    pub arbitrator: Address,
    pub usdc: Address,
    pub dai: Address,
    pub oracle: OracleState,
    pub oracle_url: String,
    pub dir: PathBuf,
    pub deployment: PathBuf,
    pub ssh_key: PathBuf,
}

impl Market {
    /// Deploys the escrow with its dispute module and committee (2.5 % fee, USDC, DAI and the
    /// native coin allowed, minimum bonds of 100 units, dispute bonds of 5), writes the deployment
    /// file, starts the fake oracle.
    pub async fn setup() -> Self {
        Self::setup_with(None).await
    }

    /// With `block_time`, anvil mines a block every that many seconds, so chain time follows the
    /// clock (as a real oracle needs); without, it mines one block per transaction.
    pub async fn setup_with(block_time: Option<u64>) -> Self {
        let mut anvil = Anvil::at(anvil_path());
        if let Some(seconds) = block_time {
            anvil = anvil.block_time(seconds);
        }
        let anvil = anvil.try_spawn().unwrap();
        let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let deployer = connect(&anvil, &key(DEPLOYER));
        let usdc = MockERC20::deploy(deployer.clone(), "USD Coin".into(), "USDC".into(), 6)
            .await
            .unwrap();
        let dai = MockERC20::deploy(deployer.clone(), "Dai Stablecoin".into(), "DAI".into(), 18)
            .await
            .unwrap();
        let stack = protocol::deploy::deploy_stack(
            &deployer,
            &protocol::deploy::StackParams {
                quorum: 1,
                ruling_period: RULING_PERIOD,
                unbonding_delay: UNBONDING_DELAY,
                ..protocol::deploy::StackParams::new(
                    anvil.addresses()[DEPLOYER],
                    anvil.addresses()[TREASURY],
                    vec![anvil.addresses()[ARBITER]],
                )
            },
        )
        .await
        .unwrap();
        let escrow = GpuEscrow::new(stack.escrow, deployer.clone());
        let units = |decimals: u32| U256::from(10).pow(U256::from(decimals));
        let tokens = [
            (*usdc.address(), units(6)),
            (*dai.address(), units(18)),
            (Address::ZERO, units(18) / U256::from(2_000)),
        ];
        for (token, unit) in tokens {
            stack
                .allow_token(
                    &deployer,
                    token,
                    unit * U256::from(MIN_BOND_UNITS),
                    unit * U256::from(DISPUTE_BOND_UNITS),
                )
                .await
                .unwrap();
        }
        mined(escrow.setFee(250)).await;

        let dir = std::env::temp_dir().join(format!("gpu-escrow-cli-test-{}-{}", std::process::id(), anvil.port()));
        std::fs::create_dir_all(&dir).unwrap();
        let deployment = dir.join("deployment.json");
        std::fs::write(
            &deployment,
            json!({
                "chainId": anvil.chain_id(), "escrow": escrow.address(), "deployBlock": stack.deploy_block,
                "disputeModule": stack.dispute_module, "arbitrator": stack.arbitrator,
                "tokens": {"USDC": usdc.address(), "DAI": dai.address()},
            })
            .to_string(),
        )
        .unwrap();
        let ssh_key = dir.join("id_ed25519.pub");
        std::fs::write(&ssh_key, SSH_KEY).unwrap();

        let oracle = OracleState {
            chain: deployer.clone(),
            chain_id: anvil.chain_id(),
            escrow: *escrow.address(),
            attester: key(ATTESTER),
            seq: Arc::default(),
            access_mode: Arc::default(),
            seen_signatures: Arc::default(),
            granted: Arc::default(),
            gpu_model: Arc::new(Mutex::new(GPU_MODEL.to_owned())),
        };
        let oracle_url = serve_oracle(oracle.clone()).await;
        Self {
            escrow: *escrow.address(),
            disputes: stack.dispute_module,
            arbitrator: stack.arbitrator,
            usdc: *usdc.address(),
            dai: *dai.address(),
            deployer,
            oracle,
            oracle_url,
            dir,
            deployment,
            ssh_key,
            anvil,
        }
    }

    pub fn key(&self, i: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[i].clone())
    }

    pub fn address(&self, i: usize) -> Address {
        self.anvil.addresses()[i]
    }

    pub fn key_hex(&self, i: usize) -> String {
        hex::encode_prefixed(self.key(i).to_bytes())
    }

    /// The binary with the market's RPC and deployment, signing as account `key`, HOME in the
    /// test folder (no ~/.ssh there).
    pub fn command(&self, key: Option<usize>, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_gpu-escrow"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.dir);
        if !args.contains(&"--rpc-url") {
            cmd.args(["--rpc-url", &self.anvil.endpoint()]);
        }
        if !args.contains(&"--deployment") && !args.contains(&"--escrow") {
            cmd.args(["--deployment", self.deployment.to_str().unwrap()]);
        }
        if let Some(k) = key {
            cmd.args(["--private-key", &self.key_hex(k)]);
        }
        cmd.args(args).stdin(std::process::Stdio::null());
        cmd
    }

    pub async fn run(&self, key: Option<usize>, args: &[&str]) -> Run {
        self.command(key, args).output().await.unwrap().into()
    }

    pub fn ssh_key_arg(&self) -> String {
        self.ssh_key.display().to_string()
    }

    /// Registers the provider, bonds the minimum in USDC, DAI and ETH and creates the three offers
    /// of the tests, through the binary: 1 = H100 80 GiB 2.50 USDC/h eu-west; 2 = A100 40 GiB
    /// 1.20 DAI/h us-east spot; 3 = H100 0.001 ETH/h.
    pub async fn provide(&self) {
        self.provide_at(&self.oracle_url).await;
    }

    /// As [`Self::provide`], with the oracle endpoint `endpoint`.
    pub async fn provide_at(&self, endpoint: &str) {
        self.run(
            Some(PROVIDER),
            &[
                "register",
                "--payout",
                &self.address(PROVIDER).to_string(),
                "--attester",
                &self.address(ATTESTER).to_string(),
                "--endpoint",
                endpoint,
            ],
        )
        .await
        .expect_ok();
        self.mint_usdc(self.address(PROVIDER), MIN_BOND_UNITS * 1_000_000).await;
        let dai = MockERC20::new(self.dai, self.deployer.clone());
        mined(dai.mint(
            self.address(PROVIDER),
            U256::from(MIN_BOND_UNITS) * U256::from(10).pow(U256::from(18)),
        ))
        .await;
        for (amount, token) in [("100", "USDC"), ("100", "DAI"), ("0.05", "ETH")] {
            self.run(Some(PROVIDER), &["bond", amount, "--token", token])
                .await
                .expect_ok();
        }
        let offers: [&[&str]; 3] = [
            &[
                "--model",
                GPU_MODEL,
                "--vram",
                "80",
                "--token",
                "USDC",
                "--price",
                "2.5",
                "--region",
                "eu-west",
                "--capacity",
                "10",
            ],
            &[
                "--model",
                "NVIDIA A100-SXM4-40GB",
                "--vram",
                "40",
                "--gpus",
                "2",
                "--token",
                "DAI",
                "--price",
                "1.2",
                "--region",
                "us-east",
                "--spot",
                "--capacity",
                "5",
            ],
            &[
                "--model",
                GPU_MODEL,
                "--vram",
                "80",
                "--token",
                "ETH",
                "--price",
                "0.001",
                "--region",
                "eu-west",
                "--capacity",
                "3",
            ],
        ];
        for (i, args) in offers.iter().enumerate() {
            let mut full = vec![
                "--json",
                "offer",
                "create",
                "--min-duration",
                "1m",
                "--max-duration",
                "7d",
            ];
            full.extend_from_slice(args);
            let created = self.run(Some(PROVIDER), &full).await.json();
            assert_eq!(created["offerId"], json!(i + 1));
        }
    }

    pub async fn mint_usdc(&self, to: Address, units: u64) {
        let usdc = MockERC20::new(self.usdc, self.deployer.clone());
        mined(usdc.mint(to, U256::from(units))).await;
    }

    pub async fn usdc_balance(&self, who: Address) -> U256 {
        MockERC20::new(self.usdc, self.deployer.clone())
            .balanceOf(who)
            .call()
            .await
            .unwrap()
    }

    pub async fn advance(&self, seconds: u64) {
        self.deployer.anvil_increase_time(seconds).await.unwrap();
        self.deployer.evm_mine(None).await.unwrap();
    }

    pub async fn terms(&self, id: B256) -> RentalTerms {
        self.oracle.terms(id).await.unwrap()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Market {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// The `0x…` value of a JSON field as a `B256`.
pub fn b256(v: &Value) -> B256 {
    v.as_str().unwrap().parse().unwrap()
}

/// A decimal-string amount of a JSON field.
pub fn amount(v: &Value) -> U256 {
    v.as_str()
        .unwrap_or_else(|| panic!("not an amount: {v}"))
        .parse()
        .unwrap()
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}
