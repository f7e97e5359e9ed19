//! Test market for the keeper: a real anvil with the escrow, its dispute module, a one-member
//! committee arbitrator and a USDC-like token deployed from the forge artifacts, a bonded,
//! registered provider whose oracle endpoint is a small axum server in the test (serving
//! attestations signed with `protocol`'s signing), and keepers configured for it.

#![allow(
    dead_code,
    clippy::large_enum_variant,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::Duration,
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
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use keeper::{Keeper, Metrics, Settings};
use protocol::{
    bindings::{CommitteeArbitrator, DisputeModule, GpuEscrow, MockERC20},
    deploy::{deploy_stack, StackParams},
    gpu_model_hash, rental_id, RentalTerms, SignedAttestation, UsageAttestation,
};

pub const GPU_MODEL: &str = "NVIDIA H100 80GB HBM3";
pub const PRICE_PER_HOUR: u64 = 2_500_000;
pub const HOUR: u64 = 3_600;
/// The provider's bond: the minimum an offer in USDC needs, 100 USDC.
pub const BOND: u64 = 100_000_000;
/// What opening a dispute costs in USDC: 5 USDC.
pub const DISPUTE_BOND: u64 = 5_000_000;
/// Anvil account of the committee's only member.
pub const ARBITER: usize = 6;
/// Anvil account of the market's provider.
const PROVIDER: usize = 2;
/// Anvil account of its attester.
const ATTESTER: usize = 3;

pub fn anvil_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
    assert!(
        path.exists(),
        "anvil not found at {}: run `npm ci` first",
        path.display()
    );
    path
}

/// What the fake oracle answers for a rental.
#[derive(Clone)]
pub enum Reply {
    Attestation(SignedAttestation),
    /// Each request gets the next one; the last one again once all were served.
    Sequence(Arc<Mutex<std::collections::VecDeque<SignedAttestation>>>),
    Garbage,
    Status(u16),
    Hang,
}

#[derive(Clone, Default)]
pub struct OracleState {
    pub replies: Arc<Mutex<HashMap<B256, Reply>>>,
    pub webhooks: Arc<Mutex<Vec<serde_json::Value>>>,
}

async fn attestation(State(state): State<OracleState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<B256>() else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let reply = state.replies.lock().unwrap().get(&id).cloned();
    match reply {
        Some(Reply::Attestation(signed)) => Json(signed).into_response(),
        Some(Reply::Sequence(queue)) => {
            let mut queue = queue.lock().unwrap();
            let next = if queue.len() > 1 {
                queue.pop_front()
            } else {
                queue.front().cloned()
            };
            Json(next.unwrap()).into_response()
        }
        Some(Reply::Garbage) => (StatusCode::OK, "{\"attestation\": 42, \"garbage\": true}").into_response(),
        Some(Reply::Status(code)) => StatusCode::from_u16(code).unwrap().into_response(),
        Some(Reply::Hang) => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn webhook(State(state): State<OracleState>, Json(body): Json<serde_json::Value>) -> StatusCode {
    state.webhooks.lock().unwrap().push(body);
    StatusCode::NO_CONTENT
}

/// Starts the fake oracle on a free port; returns its base URL.
pub async fn serve_oracle(state: OracleState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/v1/rentals/{id}/attestation", get(attestation))
        .route("/webhook", post(webhook))
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

pub struct Market {
    pub anvil: AnvilInstance,
    pub deployer: DynProvider,
    pub escrow: Address,
    pub dispute_module: Address,
    pub arbitrator: Address,
    pub usdc: Address,
    pub provider: PrivateKeySigner,
    pub offer_id: u64,
    pub attester: PrivateKeySigner,
    pub renter: PrivateKeySigner,
    pub oracle: OracleState,
    pub oracle_url: String,
    pub dir: PathBuf,
}

impl Market {
    pub async fn setup() -> Self {
        Self::setup_with(&[]).await
    }

    /// `extra_args` go to anvil (e.g. a larger block gas limit).
    pub async fn setup_with(extra_args: &[&str]) -> Self {
        let anvil = Anvil::at(anvil_path())
            .args(extra_args.iter().copied())
            .try_spawn()
            .unwrap();
        let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let deployer = connect(&anvil, &key(0));
        let usdc = MockERC20::deploy(deployer.clone(), "USD Coin".into(), "USDC".into(), 6)
            .await
            .unwrap();
        let stack = deploy_stack(
            &deployer,
            &StackParams::new(
                anvil.addresses()[0],
                anvil.addresses()[1],
                vec![anvil.addresses()[ARBITER]],
            ),
        )
        .await
        .unwrap();
        stack
            .allow_token(&deployer, *usdc.address(), U256::from(BOND), U256::from(DISPUTE_BOND))
            .await
            .unwrap();
        let escrow = GpuEscrow::new(stack.escrow, deployer.clone());
        mined(escrow.setFee(250)).await;

        let oracle = OracleState::default();
        let oracle_url = serve_oracle(oracle.clone()).await;
        let dir = std::env::temp_dir().join(format!("gpu-keeper-test-{}-{}", std::process::id(), anvil.port()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut market = Self {
            escrow: *escrow.address(),
            dispute_module: stack.dispute_module,
            arbitrator: stack.arbitrator,
            usdc: *usdc.address(),
            provider: key(PROVIDER),
            offer_id: 0,
            attester: key(ATTESTER),
            renter: key(4),
            deployer,
            oracle,
            oracle_url,
            dir,
            anvil,
        };
        market.offer_id = market
            .add_provider(PROVIDER, ATTESTER, &market.oracle_url.clone())
            .await;
        market
    }

    /// Anvil account `provider` bonds, registers with attester account `attester` and oracle
    /// `endpoint`, and offers the market's GPU (for as many rentals at once as an offer may
    /// hold); returns the offer's id.
    pub async fn add_provider(&self, provider: usize, attester: usize, endpoint: &str) -> u64 {
        let (provider, attester) = (self.key(provider), self.key(attester));
        let chain = connect(&self.anvil, &provider);
        let usdc = MockERC20::new(self.usdc, chain.clone());
        mined(usdc.mint(provider.address(), U256::from(BOND))).await;
        mined(usdc.approve(self.dispute_module, U256::from(BOND))).await;
        let module = DisputeModule::new(self.dispute_module, chain.clone());
        mined(module.bond(self.usdc, U256::from(BOND))).await;
        let escrow = GpuEscrow::new(self.escrow, chain);
        mined(escrow.registerProvider(provider.address(), attester.address(), endpoint.to_owned())).await;
        let offer = GpuEscrow::OfferParams {
            gpuModel: GPU_MODEL.into(),
            vramGiB: 80,
            gpuCount: 1,
            token: self.usdc,
            pricePerHour: U96::from(PRICE_PER_HOUR),
            minDuration: 60,
            maxDuration: 7 * 24 * 3_600,
            spot: false,
            slaBps: 9_900,
            region: "eu-west".into(),
            capacity: u16::MAX,
        };
        let offer_id = escrow.createOffer(offer.clone()).call().await.unwrap();
        mined(escrow.createOffer(offer)).await;
        offer_id
    }

    pub fn key(&self, i: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[i].clone())
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

    /// The provider's bond in USDC (what is left of it after slashes).
    pub async fn bond(&self) -> U256 {
        let account = self
            .disputes_as(&self.renter)
            .bondOf(self.provider.address(), self.usdc)
            .call()
            .await
            .unwrap();
        U256::from(account.amount)
    }

    /// The renter opens a subjective dispute on `terms` (bond approved, no arbitration fee: the
    /// committee is free); the rental is frozen.
    pub async fn open_dispute(&self, terms: &RentalTerms) {
        let chain = connect(&self.anvil, &self.renter);
        let usdc = MockERC20::new(self.usdc, chain.clone());
        mined(usdc.mint(self.renter.address(), U256::from(DISPUTE_BOND))).await;
        mined(usdc.approve(self.dispute_module, U256::from(DISPUTE_BOND))).await;
        let module = DisputeModule::new(self.dispute_module, chain);
        mined(module.openDispute(terms.into(), "ipfs://evidence".into())).await;
    }

    /// Settings for a keeper on this market with its own index file.
    pub fn settings(&self, index_name: &str) -> Settings {
        Settings {
            rpc_url: self.anvil.endpoint(),
            escrow: Some(self.escrow),
            start_block: Some(0),
            index_path: self.dir.join(index_name),
            confirmations: 0,
            poll_interval_ms: 50,
            http_timeout_ms: 400,
            http_retries: 1,
            http_backoff_ms: 10,
            retry_after_secs: 0,
            min_balance_wei: 0,
            stuck_blocks: 2,
            give_up_blocks: 20,
            ..Settings::default()
        }
    }

    pub async fn keeper(&self, index_name: &str, key: usize) -> Keeper {
        Keeper::connect(self.settings(index_name), self.key(key), Metrics::new())
            .await
            .unwrap()
    }

    pub async fn now(&self) -> u64 {
        self.deployer
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .unwrap()
            .unwrap()
            .header
            .timestamp
    }

    /// Moves chain time forward and mines a block.
    pub async fn advance(&self, seconds: u64) -> u64 {
        self.deployer.anvil_increase_time(seconds).await.unwrap();
        self.deployer.evm_mine(None).await.unwrap();
        self.now().await
    }

    pub async fn balance(&self, who: Address) -> U256 {
        MockERC20::new(self.usdc, self.deployer.clone())
            .balanceOf(who)
            .call()
            .await
            .unwrap()
    }

    /// Mints and approves the deposits of `n` rentals of `seconds` each; returns one deposit.
    async fn fund_renter(&self, n: usize, seconds: u64) -> U256 {
        let deposit = protocol::billing::deposit_for(U256::from(PRICE_PER_HOUR), seconds);
        let usdc = MockERC20::new(self.usdc, connect(&self.anvil, &self.renter));
        mined(usdc.mint(self.renter.address(), deposit * U256::from(n))).await;
        mined(usdc.approve(self.escrow, deposit * U256::from(n))).await;
        deposit
    }

    /// Mints, approves and opens `n` rentals of `seconds` each (all in consecutive blocks).
    pub async fn open_many(&self, n: usize, seconds: u64, first_salt: u64) -> Vec<RentalTerms> {
        let deposit = self.fund_renter(n, seconds).await;
        let escrow = self.escrow_as(&self.renter);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let receipt = mined(escrow.open(
                open_params(self.offer_id, deposit, first_salt + i as u64),
                renter_access_key(),
            ))
            .await;
            let opened = receipt.decoded_log::<GpuEscrow::RentalOpened>().unwrap();
            out.push(protocol::terms::terms_from_opened(&opened.data));
        }
        out
    }

    /// Mints, approves and opens `n` rentals of `seconds` each on `offer_id` without waiting for
    /// each: anvil's automine is paused, the renter's `open` transactions are sent with
    /// consecutive nonces (`SENDERS` at a time), then mined in as few blocks as the block gas
    /// limit allows (the rentals of one block start together). Terms in the order of the salts.
    pub async fn open_pipelined(&self, offer_id: u64, n: usize, seconds: u64, first_salt: u64) -> Vec<RentalTerms> {
        /// Sends in flight at once.
        const SENDERS: usize = 16;
        /// Above what one `open` uses (about 90k with the access key).
        const OPEN_GAS: u64 = 150_000;
        let deposit = self.fund_renter(n, seconds).await;
        let chain = connect(&self.anvil, &self.renter);
        let from = self.renter.address();
        let first_nonce = chain.get_transaction_count(from).await.unwrap();
        let fees = chain.estimate_eip1559_fees().await.unwrap();
        // Full blocks raise the base fee by up to 12.5 % each: room for the last of them.
        let max_fee = fees.max_fee_per_gas * 100;
        let first_block = chain.get_block_number().await.unwrap() + 1;
        self.deployer.anvil_set_auto_mine(false).await.unwrap();
        let mut senders = tokio::task::JoinSet::new();
        for sender in 0..SENDERS {
            let escrow = GpuEscrow::new(self.escrow, chain.clone());
            senders.spawn(async move {
                for i in (sender..n).step_by(SENDERS) {
                    // Mined below, all together: no receipt is awaited here.
                    let _pending = escrow
                        .open(
                            open_params(offer_id, deposit, first_salt + i as u64),
                            renter_access_key(),
                        )
                        .nonce(first_nonce + i as u64)
                        .gas(OPEN_GAS)
                        .max_fee_per_gas(max_fee)
                        .max_priority_fee_per_gas(fees.max_priority_fee_per_gas)
                        .send()
                        .await
                        .unwrap();
                }
            });
        }
        while let Some(sent) = senders.join_next().await {
            sent.unwrap();
        }
        let (mut next, last) = (first_nonce, first_nonce + n as u64);
        while next < last {
            self.deployer.evm_mine(None).await.unwrap();
            let mined = chain.get_transaction_count(from).await.unwrap();
            assert!(
                mined > next,
                "a block took none of the {} open transactions left from nonce {next}: the node's pool dropped them",
                last - next
            );
            next = mined;
        }
        self.deployer.anvil_set_auto_mine(true).await.unwrap();
        let last_block = chain.get_block_number().await.unwrap();
        let salts = first_salt..first_salt + n as u64;
        let mut opened: Vec<RentalTerms> = protocol::fetch_events(&self.deployer, self.escrow, first_block, last_block)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.event {
                protocol::EscrowEvent::RentalOpened { terms, .. }
                    if terms.renter == from && salts.contains(&U256::from_be_bytes(terms.salt.0).to::<u64>()) =>
                {
                    Some(terms)
                }
                _ => None,
            })
            .collect();
        opened.sort_by_key(|t| t.salt);
        assert_eq!(opened.len(), n, "every rental opened");
        opened
    }

    pub fn domain(&self) -> alloy::sol_types::Eip712Domain {
        protocol::domain(self.anvil.chain_id(), self.escrow)
    }

    /// An attestation of `terms` signed by `key`, for GPUs of `model`.
    pub fn attest_model(
        &self,
        key: &PrivateKeySigner,
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
            gpuUuidsHash: B256::repeat_byte(0x11),
            energyJoules: uptime * 650,
            avgUtilBps: 9_000,
        }
        .sign(key, &self.domain())
        .unwrap()
    }

    /// An attestation of `terms` signed by `key`.
    pub fn attest_with(
        &self,
        key: &PrivateKeySigner,
        terms: &RentalTerms,
        seq: u64,
        period_end: u64,
        uptime: u64,
    ) -> SignedAttestation {
        self.attest_model(key, terms, GPU_MODEL, (seq, period_end, uptime))
    }

    /// The oracle serves the final attestation of a rental that ran its full deposit, with
    /// `down` seconds of downtime.
    pub fn serve_final(&self, terms: &RentalTerms, seconds: u64, down: u64) -> SignedAttestation {
        let started: u64 = terms.startedAt.to();
        let signed = self.attest_with(&self.attester, terms, 1, started + seconds, seconds - down);
        self.reply(terms, Reply::Attestation(signed.clone()));
        signed
    }

    pub fn reply(&self, terms: &RentalTerms, reply: Reply) {
        self.oracle.replies.lock().unwrap().insert(rental_id(terms), reply);
    }

    /// How many times each rental was settled, from the chain's logs.
    pub async fn settled_counts(&self) -> HashMap<B256, usize> {
        let head = self.deployer.get_block_number().await.unwrap();
        let events = protocol::fetch_events(&self.deployer, self.escrow, 0, head)
            .await
            .unwrap();
        let mut counts = HashMap::new();
        for e in events {
            if let protocol::EscrowEvent::RentalSettled(s) = e.event {
                *counts.entry(s.rentalId).or_insert(0) += 1;
            }
        }
        counts
    }
}

impl Drop for Market {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// A TCP proxy in front of anvil's RPC that can be cut (open connections are shut down, new ones
/// are accepted and closed at once) and restored. Plain threads, so it runs whatever the test's
/// runtime is doing.
pub struct Proxy {
    addr: std::net::SocketAddr,
    up: Arc<std::sync::atomic::AtomicBool>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    refused: Arc<std::sync::atomic::AtomicUsize>,
    open: Arc<Mutex<Vec<std::net::TcpStream>>>,
}

impl Proxy {
    pub fn start(target_port: u16) -> Self {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = Self {
            addr: listener.local_addr().unwrap(),
            up: Arc::new(AtomicBool::new(true)),
            stop: Arc::new(AtomicBool::new(false)),
            refused: Arc::new(AtomicUsize::new(0)),
            open: Arc::new(Mutex::new(Vec::new())),
        };
        let (up, stop, refused, open) = (
            proxy.up.clone(),
            proxy.stop.clone(),
            proxy.refused.clone(),
            proxy.open.clone(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if !up.load(Ordering::SeqCst) {
                    refused.fetch_add(1, Ordering::SeqCst);
                    client.shutdown(std::net::Shutdown::Both).ok();
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", target_port)) else {
                    continue;
                };
                {
                    let mut open = open.lock().unwrap();
                    open.push(client.try_clone().unwrap());
                    open.push(server.try_clone().unwrap());
                }
                let pipe = |mut from: std::net::TcpStream, mut to: std::net::TcpStream| {
                    std::thread::spawn(move || {
                        std::io::copy(&mut from, &mut to).ok();
                        to.shutdown(std::net::Shutdown::Write).ok();
                    });
                };
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        proxy
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts every open connection and refuses new ones until `restore`.
    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            s.shutdown(std::net::Shutdown::Both).ok();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Connections refused while cut.
    pub fn refused(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.cut();
        // Wakes the accept loop so that it sees `stop`.
        std::net::TcpStream::connect(self.addr).ok();
    }
}

/// `open`'s parameters for one rental of `deposit` on `offer_id`.
fn open_params(offer_id: u64, deposit: U256, salt: u64) -> GpuEscrow::OpenParams {
    GpuEscrow::OpenParams {
        offerId: offer_id,
        deposit: U96::from(deposit),
        salt: B256::from(U256::from(salt)),
    }
}

/// An oracle endpoint that accepts connections and never answers: each is held open, unread,
/// until the test's runtime ends.
pub struct HungOracle {
    pub url: String,
    connections: Arc<std::sync::atomic::AtomicUsize>,
}

impl HungOracle {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(socket);
            }
        });
        Self { url, connections }
    }

    /// Connections accepted so far: one per request (none is ever answered, so none is reused).
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The renter's SSH public key in the wire format `open` takes.
fn renter_access_key() -> alloy::primitives::Bytes {
    protocol::access_key::to_wire(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK renter@example",
    )
    .expect("valid key")
    .into()
}
