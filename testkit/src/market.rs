//! A market on a local chain, as the tests need it: the stack deployed by `protocol::deploy`
//! (escrow, dispute module, a committee arbitrator of one member), a 6-decimal mock USDC and any
//! other token, a provider registered with its oracle endpoint, bonded and offering one H100, and
//! the moves every test makes on it: opening rentals, attesting them, disputing them, reading
//! balances and events.
//!
//! The anvil accounts have fixed roles, the same in every crate's tests: [`DEPLOYER`] (owner),
//! [`TREASURY`], [`PROVIDER`] (also its payout address), [`ATTESTER`] (the oracle's key),
//! [`RENTER`], [`KEEPER`] and [`ARBITER`] (the committee's only member).

use std::{
    collections::{BTreeMap, HashMap},
    sync::atomic::{AtomicU64, Ordering},
};

use alloy::{
    primitives::{aliases::U96, Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider},
    rpc::types::{Filter, Log, TransactionReceipt},
    signers::local::PrivateKeySigner,
    sol_types::{Eip712Domain, SolEvent},
};
use protocol::{
    billing,
    bindings::{
        CommitteeArbitrator::{self, CommitteeArbitratorInstance},
        DisputeModule::{self, DisputeModuleInstance},
        GpuEscrow::{self, GpuEscrowInstance},
        MockERC20::{self, MockERC20Instance},
    },
    deploy::{deploy_stack, StackParams},
    gpu_model_hash, gpu_uuids_hash, rental_id,
    terms::terms_from_opened,
    EscrowEvent, LoggedEvent, RentalTerms, SignedAttestation, UsageAttestation,
};

use crate::{
    anvil::{mined, Chain, ChainBuilder},
    fake_oracle::{FakeOracle, OracleChain},
    process::TempDir,
};

/// Account 0: deploys and owns the contracts.
pub const DEPLOYER: usize = 0;
/// Account 1: receives the fees and the treasury's share of slashes.
pub const TREASURY: usize = 1;
/// Account 2: the provider, also its payout address.
pub const PROVIDER: usize = 2;
/// Account 3: the provider's attester (the oracle's signing key).
pub const ATTESTER: usize = 3;
/// Account 4: the renter.
pub const RENTER: usize = 4;
/// Account 5: a keeper, or any third party.
pub const KEEPER: usize = 5;
/// Account 6: the committee arbitrator's only member.
pub const ARBITER: usize = 6;

/// The offer's GPU, as NVML names it.
pub const GPU_MODEL: &str = "NVIDIA H100 80GB HBM3";
/// The first mock GPU's UUID (`gpu-oracle --mock-gpus`), which attestations name.
pub const MOCK_GPU: &str = "GPU-00000000-0000-4000-8000-000000000000";
/// The renter's SSH public key.
pub const RENTER_SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK renter@example";
/// Where a market without an oracle registers its provider: nothing listens there.
pub const NO_ORACLE: &str = "http://127.0.0.1:9";

/// Salts from here on are [`Market::unique_salt`]'s, out of the way of a test's own small ones.
const UNIQUE_SALTS: u64 = 1 << 32;

/// The renter's SSH public key in the wire format `open` takes.
pub fn renter_access_key() -> Bytes {
    protocol::access_key::to_wire(RENTER_SSH_KEY)
        .expect("the renter's key is an SSH key")
        .into()
}

/// A rental's salt from a small number (its last bytes).
pub fn salt(n: u64) -> B256 {
    B256::from(U256::from(n))
}

/// A token the market allows besides USDC.
#[derive(Debug, Clone)]
pub struct Token {
    name: String,
    symbol: String,
    /// `None`: the chain's native coin.
    decimals: Option<u8>,
    min_bond: U256,
    dispute_bond: U256,
}

impl Token {
    /// A mock ERC-20 (with `permit`) deployed for the market.
    pub fn erc20(name: &str, symbol: &str, decimals: u8) -> Self {
        Self {
            name: name.to_owned(),
            symbol: symbol.to_owned(),
            decimals: Some(decimals),
            min_bond: U256::ZERO,
            dispute_bond: U256::ZERO,
        }
    }

    /// The native coin (the zero address; not listed in the deployment's tokens).
    pub fn native() -> Self {
        Self {
            name: "Ether".to_owned(),
            symbol: "ETH".to_owned(),
            decimals: None,
            min_bond: U256::ZERO,
            dispute_bond: U256::ZERO,
        }
    }

    /// The bond an offer in this token needs, and the one a dispute opener posts (base units).
    #[must_use]
    pub fn bonds(mut self, min_bond: U256, dispute_bond: U256) -> Self {
        self.min_bond = min_bond;
        self.dispute_bond = dispute_bond;
        self
    }
}

/// Where the provider's oracle is.
#[derive(Debug, Clone)]
enum Endpoint {
    Url(String),
    Fake,
}

/// How to set a market up; [`Market::builder`]'s defaults are the comments on each knob.
#[derive(Debug, Clone)]
pub struct MarketBuilder {
    name: String,
    chain: ChainBuilder,
    fee_bps: u16,
    usdc: Token,
    tokens: Vec<Token>,
    provider: bool,
    endpoint: Endpoint,
    offer: GpuEscrow::OfferParams,
    interval_mining: Option<u64>,
}

impl Default for MarketBuilder {
    fn default() -> Self {
        Self {
            name: "market".to_owned(),
            chain: ChainBuilder::default(),
            fee_bps: 0,
            usdc: Token::erc20("USD Coin", "USDC", 6),
            tokens: Vec::new(),
            provider: true,
            endpoint: Endpoint::Url(NO_ORACLE.to_owned()),
            offer: GpuEscrow::OfferParams {
                gpuModel: GPU_MODEL.into(),
                vramGiB: 80,
                gpuCount: 1,
                token: Address::ZERO,
                pricePerHour: U96::from(2_500_000u64),
                minDuration: 60,
                maxDuration: 7 * 24 * 3_600,
                spot: false,
                slaBps: 9_900,
                region: "eu-west".into(),
                capacity: 4,
            },
            interval_mining: None,
        }
    }
}

impl MarketBuilder {
    /// Names the market's temporary folder (default `market`).
    #[must_use]
    pub fn name(mut self, name: &str) -> Self {
        name.clone_into(&mut self.name);
        self
    }

    /// Starts anvil as `chain` says (default: [`Chain::start`]'s, one block per transaction).
    #[must_use]
    pub fn chain(mut self, chain: ChainBuilder) -> Self {
        self.chain = chain;
        self
    }

    /// Once set up, anvil mines a block every `seconds` instead of one per transaction, so chain
    /// time follows the clock a real oracle samples with (default: one per transaction).
    #[must_use]
    pub fn interval_mining_after_setup(mut self, seconds: u64) -> Self {
        self.interval_mining = Some(seconds);
        self
    }

    /// The platform fee, set before any rental opens (default: none).
    #[must_use]
    pub fn fee_bps(mut self, bps: u16) -> Self {
        self.fee_bps = bps;
        self
    }

    /// The bond an offer in USDC needs, which the provider posts, and the dispute bond in USDC
    /// (base units; default: none).
    #[must_use]
    pub fn bonds(mut self, min_bond: U256, dispute_bond: U256) -> Self {
        self.usdc = self.usdc.bonds(min_bond, dispute_bond);
        self
    }

    /// Allows `token` too (deployed after USDC, in the order given).
    #[must_use]
    pub fn token(mut self, token: Token) -> Self {
        self.tokens.push(token);
        self
    }

    /// No provider, no offer: the test registers one itself (default: a provider with one offer).
    #[must_use]
    pub fn without_provider(mut self) -> Self {
        self.provider = false;
        self
    }

    /// The provider registers `url` as its oracle's endpoint (default: [`NO_ORACLE`]).
    #[must_use]
    pub fn endpoint(mut self, url: &str) -> Self {
        self.endpoint = Endpoint::Url(url.to_owned());
        self
    }

    /// Starts a [`FakeOracle`] on the market's chain ([`Market::fake`]) and registers it as the
    /// provider's endpoint.
    #[must_use]
    pub fn fake_oracle(mut self) -> Self {
        self.endpoint = Endpoint::Fake;
        self
    }

    /// Changes the offer (default: one H100 80 GiB, 2.50 USDC an hour, 1 minute to 7 days,
    /// on-demand, a 99 % SLA, eu-west, 4 rentals at a time). Its token is always USDC.
    #[must_use]
    pub fn offer(mut self, edit: impl FnOnce(&mut GpuEscrow::OfferParams)) -> Self {
        edit(&mut self.offer);
        self
    }

    /// Deploys and sets up everything, in this order: anvil, USDC, the other tokens, the stack
    /// (committee: [`ARBITER`]), the tokens allowed with their bonds, the fee, the fake oracle;
    /// then the provider bonds the USDC minimum (if any), registers and creates its offer.
    pub async fn start(self) -> Market {
        let chain = self.chain.spawn();
        let deployer = chain.deployer.clone();
        let mut tokens = BTreeMap::new();
        let mut allowed = Vec::new();
        for token in std::iter::once(&self.usdc).chain(&self.tokens) {
            let address = match token.decimals {
                Some(decimals) => {
                    let deployed =
                        MockERC20::deploy(deployer.clone(), token.name.clone(), token.symbol.clone(), decimals)
                            .await
                            .unwrap_or_else(|e| panic!("{} deploys (run `make build` first?): {e}", token.symbol));
                    tokens.insert(token.symbol.clone(), *deployed.address());
                    *deployed.address()
                }
                None => Address::ZERO,
            };
            allowed.push((address, token));
        }
        let usdc = tokens["USDC"];
        let stack = deploy_stack(
            &deployer,
            &StackParams::new(
                chain.address(DEPLOYER),
                chain.address(TREASURY),
                vec![chain.address(ARBITER)],
            ),
        )
        .await
        .expect("the stack deploys (CreateContractSizeLimit? see protocol's onchain tests)");
        for (address, token) in allowed {
            stack
                .allow_token(&deployer, address, token.min_bond, token.dispute_bond)
                .await
                .unwrap_or_else(|e| panic!("{} is allowed: {e}", token.symbol));
        }
        if self.fee_bps > 0 {
            mined(GpuEscrow::new(stack.escrow, deployer.clone()).setFee(self.fee_bps)).await;
        }

        let fake = match self.endpoint {
            Endpoint::Fake => Some(
                FakeOracle::start_on(OracleChain {
                    provider: deployer.clone(),
                    chain_id: chain.chain_id(),
                    escrow: stack.escrow,
                    attester: chain.key(ATTESTER),
                })
                .await,
            ),
            Endpoint::Url(_) => None,
        };
        let endpoint = match (&self.endpoint, &fake) {
            (_, Some(fake)) => fake.url().to_owned(),
            (Endpoint::Url(url), None) => url.clone(),
            (Endpoint::Fake, None) => unreachable!("a fake endpoint has its fake"),
        };
        let offer = GpuEscrow::OfferParams {
            token: usdc,
            ..self.offer
        };
        let market = Market {
            dir: TempDir::new(&self.name),
            escrow: stack.escrow,
            dispute_module: stack.dispute_module,
            arbitrator: stack.arbitrator,
            deploy_block: stack.deploy_block,
            usdc,
            tokens,
            min_bond: self.usdc.min_bond,
            dispute_bond: self.usdc.dispute_bond,
            offer_id: 0,
            offer,
            endpoint,
            fake,
            provider: chain.key(PROVIDER),
            attester: chain.key(ATTESTER),
            renter: chain.key(RENTER),
            keeper: chain.key(KEEPER),
            salts: AtomicU64::new(UNIQUE_SALTS),
            chain,
        };
        let market = if self.provider {
            market.with_provider().await
        } else {
            market
        };
        if let Some(seconds) = self.interval_mining {
            market.chain.interval_mining(seconds).await;
        }
        market
    }
}

/// A deployed market; dropping it stops anvil, the fake oracle, and removes its folder.
#[derive(Debug)]
pub struct Market {
    /// Anvil, and the deployer's provider.
    pub chain: Chain,
    /// The escrow.
    pub escrow: Address,
    /// Its dispute module.
    pub dispute_module: Address,
    /// The committee arbitrator ([`ARBITER`] alone).
    pub arbitrator: Address,
    /// Block of the escrow's deployment.
    pub deploy_block: u64,
    /// The mock USDC (6 decimals).
    pub usdc: Address,
    /// Every mock ERC-20 deployed, by symbol (USDC included).
    pub tokens: BTreeMap<String, Address>,
    /// The bond an offer in USDC needs.
    pub min_bond: U256,
    /// The bond a dispute opener posts in USDC.
    pub dispute_bond: U256,
    /// The provider's offer (0 for a market built [`MarketBuilder::without_provider`]).
    pub offer_id: u64,
    /// What the offer was created with.
    pub offer: GpuEscrow::OfferParams,
    /// The provider's registered oracle endpoint.
    pub endpoint: String,
    /// The fake oracle, for a market built with [`MarketBuilder::fake_oracle`].
    pub fake: Option<FakeOracle>,
    /// [`PROVIDER`]'s key.
    pub provider: PrivateKeySigner,
    /// [`ATTESTER`]'s key.
    pub attester: PrivateKeySigner,
    /// [`RENTER`]'s key.
    pub renter: PrivateKeySigner,
    /// [`KEEPER`]'s key.
    pub keeper: PrivateKeySigner,
    /// A folder of the market's own (deployment files, logs, state), removed on drop.
    pub dir: TempDir,
    salts: AtomicU64,
}

impl Market {
    /// How to set one up.
    pub fn builder() -> MarketBuilder {
        MarketBuilder::default()
    }

    /// The defaults: no fee, no bonds, a provider with one H100 offer and no oracle.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// The provider bonds the USDC minimum (when there is one), registers and creates the offer.
    async fn with_provider(mut self) -> Self {
        self.offer_id = self
            .add_provider(PROVIDER, ATTESTER, &self.endpoint.clone(), |_| {})
            .await;
        self
    }

    /// Anvil account `provider` bonds the USDC minimum (when there is one), registers with
    /// attester account `attester` and oracle `endpoint`, and creates the market's offer changed
    /// by `edit`; returns the offer's id.
    pub async fn add_provider(
        &self,
        provider: usize,
        attester: usize,
        endpoint: &str,
        edit: impl FnOnce(&mut GpuEscrow::OfferParams),
    ) -> u64 {
        let (provider, attester) = (self.key(provider), self.key(attester));
        let chain = self.chain.connect(&provider);
        if self.min_bond > U256::ZERO {
            let usdc = MockERC20::new(self.usdc, chain.clone());
            mined(usdc.mint(provider.address(), self.min_bond)).await;
            mined(usdc.approve(self.dispute_module, self.min_bond)).await;
            mined(DisputeModule::new(self.dispute_module, chain.clone()).bond(self.usdc, self.min_bond)).await;
        }
        let escrow = GpuEscrow::new(self.escrow, chain);
        mined(escrow.registerProvider(provider.address(), attester.address(), endpoint.to_owned())).await;
        let mut offer = self.offer.clone();
        edit(&mut offer);
        let offer_id = escrow
            .createOffer(offer.clone())
            .call()
            .await
            .expect("the offer is valid");
        mined(escrow.createOffer(offer)).await;
        offer_id
    }

    /// The key of anvil account `i`.
    pub fn key(&self, i: usize) -> PrivateKeySigner {
        self.chain.key(i)
    }

    /// The address of anvil account `i`.
    pub fn address(&self, i: usize) -> Address {
        self.chain.address(i)
    }

    /// The fake oracle; panics when the market has none.
    pub fn fake(&self) -> &FakeOracle {
        self.fake
            .as_ref()
            .expect("this market has no fake oracle: build it with `.fake_oracle()`")
    }

    /// The escrow, signing as `signer`.
    pub fn escrow_as(&self, signer: &PrivateKeySigner) -> GpuEscrowInstance<DynProvider> {
        GpuEscrow::new(self.escrow, self.chain.connect(signer))
    }

    /// The escrow's state of the rental with `terms` (`status` 0 once closed, 2 while frozen).
    pub async fn rental_state(&self, terms: &RentalTerms) -> GpuEscrow::RentalState {
        self.escrow_as(&self.renter)
            .rentalState(rental_id(terms))
            .call()
            .await
            .expect("rentalState")
    }

    /// The dispute module, signing as `signer`.
    pub fn disputes_as(&self, signer: &PrivateKeySigner) -> DisputeModuleInstance<DynProvider> {
        DisputeModule::new(self.dispute_module, self.chain.connect(signer))
    }

    /// The committee arbitrator, signing as `signer`.
    pub fn arbitrator_as(&self, signer: &PrivateKeySigner) -> CommitteeArbitratorInstance<DynProvider> {
        CommitteeArbitrator::new(self.arbitrator, self.chain.connect(signer))
    }

    /// The USDC, signing as `signer`.
    pub fn usdc_as(&self, signer: &PrivateKeySigner) -> MockERC20Instance<DynProvider> {
        MockERC20::new(self.usdc, self.chain.connect(signer))
    }

    /// `who`'s USDC balance.
    pub async fn balance(&self, who: Address) -> U256 {
        self.balance_of(self.usdc, who).await
    }

    /// `who`'s balance of the ERC-20 `token`.
    pub async fn balance_of(&self, token: Address, who: Address) -> U256 {
        MockERC20::new(token, self.chain.deployer.clone())
            .balanceOf(who)
            .call()
            .await
            .expect("balanceOf")
    }

    /// Mints `amount` USDC to `who`.
    pub async fn mint(&self, who: Address, amount: U256) {
        self.mint_token(self.usdc, who, amount).await;
    }

    /// Mints `amount` of the mock ERC-20 `token` to `who`.
    pub async fn mint_token(&self, token: Address, who: Address, amount: U256) {
        mined(MockERC20::new(token, self.chain.deployer.clone()).mint(who, amount)).await;
    }

    /// What is left of the provider's USDC bond, and the disputes open against it.
    pub async fn bond(&self) -> (U256, u32) {
        let account = DisputeModule::new(self.dispute_module, self.chain.deployer.clone())
            .bondOf(self.provider.address(), self.usdc)
            .call()
            .await
            .expect("bondOf");
        (U256::from(account.amount), account.openDisputes)
    }

    /// The offer's price, base units of USDC an hour.
    pub fn price_per_hour(&self) -> U256 {
        U256::from(self.offer.pricePerHour)
    }

    /// The deposit that pays for `seconds` of the offer.
    pub fn deposit_for(&self, seconds: u64) -> U256 {
        billing::deposit_for(self.price_per_hour(), seconds)
    }

    /// A salt no other call on this market returns.
    pub fn unique_salt(&self) -> u64 {
        self.salts.fetch_add(1, Ordering::Relaxed)
    }

    /// The renter mints `deposit` USDC, approves exactly that and opens a rental of the offer with
    /// its SSH key and `salt` ([`salt`]); returns its terms and the receipt. Three transactions,
    /// each from a fresh provider (a reverted snapshot leaves no stale nonce behind).
    pub async fn open(&self, deposit: U256, salt: u64) -> (RentalTerms, TransactionReceipt) {
        let usdc = self.usdc_as(&self.renter);
        mined(usdc.mint(self.renter.address(), deposit)).await;
        mined(usdc.approve(self.escrow, deposit)).await;
        self.open_approved(deposit, salt).await
    }

    /// As [`Self::open`], with the deposit for `seconds`; returns the terms.
    pub async fn rent(&self, seconds: u64, salt: u64) -> RentalTerms {
        self.open(self.deposit_for(seconds), salt).await.0
    }

    /// Mints and approves `n` deposits for `seconds` each, then opens `n` rentals (in consecutive
    /// blocks), salted from `first_salt` on.
    pub async fn open_many(&self, n: u64, seconds: u64, first_salt: u64) -> Vec<RentalTerms> {
        let deposit = self.fund_renter(n, seconds).await;
        let mut opened = Vec::new();
        for i in 0..n {
            opened.push(self.open_approved(deposit, first_salt + i).await.0);
        }
        opened
    }

    /// Mints and approves the deposits of `n` rentals of `seconds` each; returns one deposit.
    async fn fund_renter(&self, n: u64, seconds: u64) -> U256 {
        let deposit = self.deposit_for(seconds);
        let usdc = self.usdc_as(&self.renter);
        mined(usdc.mint(self.renter.address(), deposit * U256::from(n))).await;
        mined(usdc.approve(self.escrow, deposit * U256::from(n))).await;
        deposit
    }

    /// As [`Self::open_many`] on `offer_id`, without waiting for each: automine is paused, the
    /// renter's `open` transactions are sent with consecutive nonces (16 at a time), then mined in
    /// as few blocks as the block gas limit allows (the rentals of one block start together), at a
    /// fee cap that outlasts the base fee's rise over many full blocks. Terms in the order of the
    /// salts.
    pub async fn open_pipelined(&self, offer_id: u64, n: u64, seconds: u64, first_salt: u64) -> Vec<RentalTerms> {
        /// Sends in flight at once.
        const SENDERS: usize = 16;
        /// Above what one `open` uses (about 90k with the access key).
        const OPEN_GAS: u64 = 150_000;
        let deposit = self.fund_renter(n, seconds).await;
        let chain = self.chain.connect(&self.renter);
        let from = self.renter.address();
        let first_nonce = chain.get_transaction_count(from).await.expect("the renter's nonce");
        let fees = chain.estimate_eip1559_fees().await.expect("the chain's fees");
        // Each full block raises the base fee by up to 12.5 %: room for the last of many.
        let max_fee = fees.max_fee_per_gas * 100;
        let first_block = chain.get_block_number().await.expect("the chain answers") + 1;
        self.chain
            .deployer
            .anvil_set_auto_mine(false)
            .await
            .expect("evm_setAutomine");
        let mut senders = tokio::task::JoinSet::new();
        for sender in 0..SENDERS {
            let escrow = GpuEscrow::new(self.escrow, chain.clone());
            senders.spawn(async move {
                for i in (sender as u64..n).step_by(SENDERS) {
                    let params = GpuEscrow::OpenParams {
                        offerId: offer_id,
                        deposit: U96::from(deposit),
                        salt: salt(first_salt + i),
                    };
                    // Mined below, all together: no receipt is awaited here.
                    let _pending = escrow
                        .open(params, renter_access_key())
                        .nonce(first_nonce + i)
                        .gas(OPEN_GAS)
                        .max_fee_per_gas(max_fee)
                        .max_priority_fee_per_gas(fees.max_priority_fee_per_gas)
                        .send()
                        .await
                        .expect("the node accepts the open");
                }
            });
        }
        while let Some(sent) = senders.join_next().await {
            sent.expect("a sender finished");
        }
        let (mut next, last) = (first_nonce, first_nonce + n);
        while next < last {
            self.chain.deployer.evm_mine(None).await.expect("evm_mine");
            let mined = chain.get_transaction_count(from).await.expect("the renter's nonce");
            assert!(
                mined > next,
                "a block took none of the {} open transactions left from nonce {next}: the node dropped them or the base fee outgrew their cap",
                last - next
            );
            next = mined;
        }
        self.chain
            .deployer
            .anvil_set_auto_mine(true)
            .await
            .expect("evm_setAutomine");
        let last_block = chain.get_block_number().await.expect("the chain answers");
        let salts = first_salt..first_salt + n;
        let mut opened: Vec<RentalTerms> =
            protocol::fetch_events(&self.chain.deployer, self.escrow, first_block, last_block)
                .await
                .expect("the escrow's events")
                .into_iter()
                .filter_map(|e| match e.event {
                    EscrowEvent::RentalOpened { terms, .. }
                        if terms.renter == from && salts.contains(&U256::from_be_bytes(terms.salt.0).to::<u64>()) =>
                    {
                        Some(terms)
                    }
                    _ => None,
                })
                .collect();
        opened.sort_by_key(|t| t.salt);
        assert_eq!(opened.len(), usize::try_from(n).expect("n fits"), "every rental opened");
        opened
    }

    async fn open_approved(&self, deposit: U256, n: u64) -> (RentalTerms, TransactionReceipt) {
        let params = GpuEscrow::OpenParams {
            offerId: self.offer_id,
            deposit: U96::from(deposit),
            salt: salt(n),
        };
        let receipt = mined(self.escrow_as(&self.renter).open(params, renter_access_key())).await;
        let opened = receipt
            .decoded_log::<GpuEscrow::RentalOpened>()
            .unwrap_or_else(|| panic!("no RentalOpened log in {:#?}", receipt.inner.logs()));
        (terms_from_opened(&opened.data), receipt)
    }

    /// The renter posts the USDC dispute bond and opens a dispute on `terms` (no arbitration fee:
    /// the committee is free); the rental is frozen.
    pub async fn open_dispute(&self, terms: &RentalTerms, evidence: &str) -> TransactionReceipt {
        let usdc = self.usdc_as(&self.renter);
        mined(usdc.mint(self.renter.address(), self.dispute_bond)).await;
        mined(usdc.approve(self.dispute_module, self.dispute_bond)).await;
        mined(
            self.disputes_as(&self.renter)
                .openDispute(terms.into(), evidence.to_owned()),
        )
        .await
    }

    /// The EIP-712 domain attestations are signed in.
    pub fn domain(&self) -> Eip712Domain {
        protocol::domain(self.chain.chain_id(), self.escrow)
    }

    /// An attestation of `terms` for the offer's GPU model on [`MOCK_GPU`]: `uptime` seconds up
    /// by `period_end`, 650 J a second at 90 % utilization. Change a field with struct update
    /// syntax, then sign it.
    pub fn usage_attestation(
        &self,
        terms: &RentalTerms,
        (seq, period_end, uptime): (u64, u64, u64),
    ) -> UsageAttestation {
        UsageAttestation {
            rentalId: rental_id(terms),
            seq,
            periodEnd: period_end,
            uptimeSeconds: uptime,
            gpuModelHash: gpu_model_hash(&self.offer.gpuModel),
            gpuUuidsHash: gpu_uuids_hash(&[MOCK_GPU.to_owned()]),
            energyJoules: uptime * 650,
            avgUtilBps: 9_000,
        }
    }

    /// `attestation` signed with the attester key.
    pub fn sign(&self, attestation: &UsageAttestation) -> SignedAttestation {
        self.sign_as(&self.attester, attestation)
    }

    /// `attestation` signed with `key` (an attester's or anyone's).
    pub fn sign_as(&self, key: &PrivateKeySigner, attestation: &UsageAttestation) -> SignedAttestation {
        attestation
            .clone()
            .sign(key, &self.domain())
            .expect("the attestation signs")
    }

    /// [`Self::usage_attestation`] signed with the attester key.
    pub fn attest(&self, terms: &RentalTerms, usage: (u64, u64, u64)) -> SignedAttestation {
        self.sign(&self.usage_attestation(terms, usage))
    }

    /// The terms of rental `id`, from the escrow's `RentalOpened`.
    pub async fn terms(&self, id: B256) -> Option<RentalTerms> {
        self.escrow_events().await.into_iter().find_map(|e| match e.event {
            EscrowEvent::RentalOpened { rental_id, terms, .. } if rental_id == id => Some(terms),
            _ => None,
        })
    }

    /// How many times each rental was settled.
    pub async fn settled_counts(&self) -> HashMap<B256, usize> {
        let mut counts = HashMap::new();
        for logged in self.escrow_events().await {
            if let EscrowEvent::RentalSettled(settled) = logged.event {
                *counts.entry(settled.rentalId).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Every escrow event so far, in chain order.
    pub async fn escrow_events(&self) -> Vec<LoggedEvent> {
        let head = self.chain.deployer.get_block_number().await.expect("the chain answers");
        protocol::fetch_events(&self.chain.deployer, self.escrow, 0, head)
            .await
            .expect("the escrow's events")
    }

    /// The logs of event `E` that `contract` emitted about rental `id` (its first indexed field).
    pub async fn logs<E: SolEvent>(&self, contract: Address, id: B256) -> Vec<Log> {
        let filter = Filter::new()
            .address(contract)
            .event_signature(E::SIGNATURE_HASH)
            .topic1(id)
            .from_block(0);
        self.chain.deployer.get_logs(&filter).await.expect("eth_getLogs")
    }
}
