//! End to end against a real anvil: the escrow deployed from its forge artifact accepts
//! attestations signed in Rust, computes the same digest and rental id, and moves exactly the
//! amounts `protocol::billing` predicts.
//!
//! Needs the forge artifacts (`make build`) and anvil at `node_modules/.bin/anvil` (`npm ci`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{aliases::U96, Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use protocol::{
    billing,
    bindings::{
        GpuEscrow::{self, GpuEscrowInstance},
        MockERC20::{self, MockERC20Instance},
    },
    deploy::{deploy_stack, StackParams},
    gpu_model_hash, gpu_uuids_hash, rental_id, EscrowError, RentalTerms, SignedAttestation, UsageAttestation,
};

const GPU_MODEL: &str = "NVIDIA H100 80GB HBM3";
/// 2.5 USDC per hour, in 6-decimal base units: a price that does not divide 3600 evenly.
const PRICE_PER_HOUR: u64 = 2_500_000;
const HOUR: u64 = 3_600;
/// 2.5 % platform fee, set before any rental opens.
const FEE_BPS: u16 = 250;
/// EIP-170: the most runtime code a contract may have on Ethereum and its L2s.
const MAX_RUNTIME_CODE: usize = 24_576;

/// The project's anvil, from the npm platform package.
fn anvil_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
    assert!(
        path.exists(),
        "anvil not found at {}: run `npm ci` in the repository root first",
        path.display()
    );
    path
}

/// Roles, each with its own anvil key and a provider that signs with it.
struct Chain {
    anvil: AnvilInstance,
    deployer: DynProvider,
    treasury: Address,
    provider: PrivateKeySigner,
    attester: PrivateKeySigner,
    renter: PrivateKeySigner,
    keeper: PrivateKeySigner,
}

impl Chain {
    fn start() -> Self {
        let anvil = Anvil::at(anvil_path()).try_spawn().expect("anvil starts");
        let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let deployer = connect(&anvil, &key(0));
        Self {
            treasury: anvil.addresses()[1],
            provider: key(2),
            attester: key(3),
            renter: key(4),
            keeper: key(5),
            deployer,
            anvil,
        }
    }

    fn as_(&self, signer: &PrivateKeySigner) -> DynProvider {
        connect(&self.anvil, signer)
    }

    /// Moves the chain's clock forward and mines a block; returns that block's timestamp.
    async fn advance(&self, seconds: u64) -> u64 {
        self.deployer.anvil_increase_time(seconds).await.unwrap();
        self.deployer.evm_mine(None).await.unwrap();
        self.now().await
    }

    /// Timestamp of the block that mined `receipt`.
    async fn block_time(&self, receipt: &TransactionReceipt) -> u64 {
        let number = receipt.block_number.expect("mined");
        let block = self.deployer.get_block_by_number(number.into()).await.unwrap();
        block.expect("the receipt's block exists").header.timestamp
    }

    /// Timestamp of the latest block.
    async fn now(&self) -> u64 {
        let block = self
            .deployer
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .unwrap();
        block.expect("latest block exists").header.timestamp
    }
}

fn connect(anvil: &AnvilInstance, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// Accrued, unclaimed earnings of an offer.
struct Earned {
    net: U256,
    fees: U256,
}

/// A deployed escrow with a USDC-like token, a registered provider and one H100 offer.
struct Market {
    chain: Chain,
    escrow: Address,
    usdc: Address,
    offer_id: u64,
}

impl Market {
    async fn setup() -> Self {
        let chain = Chain::start();
        let owner = chain.anvil.addresses()[0];
        let usdc = MockERC20::deploy(chain.deployer.clone(), "USD Coin".into(), "USDC".into(), 6)
            .await
            .unwrap();
        let stack = deploy_stack(&chain.deployer, &StackParams::new(owner, chain.treasury, vec![owner]))
            .await
            .expect("the stack deploys (CreateContractSizeLimit: see escrow_runtime_code_fits_the_eip170_limit)");
        stack
            .allow_token(&chain.deployer, *usdc.address(), U256::ZERO, U256::ZERO)
            .await
            .unwrap();
        let escrow = GpuEscrow::new(stack.escrow, chain.deployer.clone());
        mined(escrow.setFee(FEE_BPS)).await;

        let as_provider = GpuEscrow::new(*escrow.address(), chain.as_(&chain.provider));
        mined(as_provider.registerProvider(
            chain.provider.address(),
            chain.attester.address(),
            "http://127.0.0.1:9100".into(),
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
            capacity: 4,
        };
        let offer_id = as_provider.createOffer(offer.clone()).call().await.unwrap();
        mined(as_provider.createOffer(offer)).await;

        let stored = escrow.offer(offer_id).call().await.unwrap();
        assert_eq!(
            stored.gpuModelHash,
            gpu_model_hash(GPU_MODEL),
            "offer model hash is keccak of the NVML name"
        );

        Self {
            escrow: *escrow.address(),
            usdc: *usdc.address(),
            offer_id,
            chain,
        }
    }

    fn escrow_as(&self, signer: &PrivateKeySigner) -> GpuEscrowInstance<DynProvider> {
        GpuEscrow::new(self.escrow, self.chain.as_(signer))
    }

    fn usdc_as(&self, signer: &PrivateKeySigner) -> MockERC20Instance<DynProvider> {
        MockERC20::new(self.usdc, self.chain.as_(signer))
    }

    async fn balance(&self, who: Address) -> U256 {
        MockERC20::new(self.usdc, self.chain.deployer.clone())
            .balanceOf(who)
            .call()
            .await
            .unwrap()
    }

    /// Mints `deposit` to the renter, approves exactly that and opens a rental; returns the terms
    /// taken from the `RentalOpened` log.
    async fn open(&self, deposit: U256, salt: B256) -> RentalTerms {
        let renter = &self.chain.renter;
        let usdc = self.usdc_as(renter);
        mined(usdc.mint(renter.address(), deposit)).await;
        mined(usdc.approve(self.escrow, deposit)).await;

        let params = GpuEscrow::OpenParams {
            offerId: self.offer_id,
            deposit: U96::from(deposit),
            salt,
        };
        let receipt = mined(self.escrow_as(renter).open(params, renter_access_key())).await;
        let opened = receipt
            .decoded_log::<GpuEscrow::RentalOpened>()
            .unwrap_or_else(|| panic!("no RentalOpened log in {:#?}", receipt.inner.logs()));
        assert_eq!(opened.deposit, deposit);
        let terms = protocol::terms::terms_from_opened(&opened.data);
        assert_eq!(terms.feeBps, FEE_BPS, "the fee in force is snapshotted into the terms");
        assert_eq!(
            rental_id(&terms),
            opened.rentalId,
            "Rust rental id = keccak256(abi.encode(terms))"
        );
        terms
    }

    /// What the offer has accrued and not yet paid out: the provider's net and the fees it carries.
    async fn earnings(&self) -> Earned {
        let account = self
            .escrow_as(&self.chain.keeper)
            .offerAccount(self.offer_id)
            .call()
            .await
            .unwrap();
        Earned {
            net: U256::from(account.net),
            fees: U256::from(account.fees),
        }
    }

    fn domain(&self) -> alloy::sol_types::Eip712Domain {
        protocol::domain(self.chain.anvil.chain_id(), self.escrow)
    }

    /// An attestation of the rental signed by the provider's attester key, checked off-chain and
    /// against the contract's own digest.
    async fn attest(&self, terms: &RentalTerms, seq: u64, period_end: u64, uptime: u64) -> SignedAttestation {
        let attestation = UsageAttestation {
            rentalId: rental_id(terms),
            seq,
            periodEnd: period_end,
            uptimeSeconds: uptime,
            gpuModelHash: gpu_model_hash(GPU_MODEL),
            gpuUuidsHash: gpu_uuids_hash(&["GPU-3c4d5e6f-0001-4a7b-9c8d-7e6f5a4b3c2d".to_owned()]),
            energyJoules: uptime * 650,
            avgUtilBps: 9_100,
        };
        let signed = attestation.sign(&self.chain.attester, &self.domain()).unwrap();
        signed.verify(&self.domain(), self.chain.attester.address()).unwrap();
        let on_chain_digest = self
            .escrow_as(&self.chain.keeper)
            .attestationDigest(terms.clone(), signed.attestation.usage())
            .call()
            .await
            .unwrap();
        assert_eq!(
            on_chain_digest,
            signed.attestation.digest(&self.domain()),
            "contract and Rust digests agree"
        );
        signed
    }
}

/// Sends a contract call, waits for its receipt and checks that it succeeded.
async fn mined<D: CallDecoder>(call: CallBuilder<&DynProvider, D>) -> TransactionReceipt {
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

fn price() -> U256 {
    U256::from(PRICE_PER_HOUR)
}

#[test]
fn escrow_runtime_code_fits_the_eip170_limit() {
    let size = GpuEscrow::DEPLOYED_BYTECODE.len();
    assert!(
        size <= MAX_RUNTIME_CODE,
        "GpuEscrow runtime code is {size} bytes, over the EIP-170 limit of {MAX_RUNTIME_CODE}: it cannot be deployed"
    );
}

#[tokio::test]
async fn renter_stops_and_settles_in_one_transaction_as_billing_predicts() {
    let m = Market::setup().await;
    let deposit = billing::deposit_for(price(), 4 * HOUR);
    let quoted = m
        .escrow_as(&m.chain.renter)
        .quoteDeposit(m.offer_id, 4 * 3_600)
        .call()
        .await
        .unwrap();
    assert_eq!(quoted, deposit, "quoteDeposit = billing::deposit_for");

    let terms = m.open(deposit, B256::with_last_byte(1)).await;
    let started_at: u64 = terms.startedAt.to();
    assert_eq!(m.balance(m.chain.renter.address()).await, U256::ZERO);

    // 1 h 2 min 3 s later the renter stops; the GPU was down for 17 s of it.
    let now = m.chain.advance(HOUR + 123).await;
    let uptime = now - started_at - 17;
    let signed = m.attest(&terms, 1, now, uptime).await;
    let (usage, signature) = signed.onchain_usage();
    assert_eq!(signature.len(), 64, "EIP-2098 compact signature");
    // The renter stops half a minute after that attestation: those seconds are billed as delivered.
    m.chain.deployer.anvil_increase_time(30).await.unwrap();

    let receipt = mined(
        m.escrow_as(&m.chain.renter)
            .stopAndSettle(terms.clone(), usage, signature),
    )
    .await;

    // Billing ends at the block of the stop: the seconds after the attestation's period end count as up.
    let stopped_at = m.chain.block_time(&receipt).await;
    assert!(stopped_at >= now + 30);
    let billed = billing::billed_seconds(uptime, now, started_at, stopped_at);
    assert_eq!(billed, uptime + (stopped_at - now));
    let wall = stopped_at - started_at;
    let expected = billing::settle(price(), terms.feeBps, terms.slaBps, deposit, 0, (billed, wall)).unwrap();
    let settled = receipt
        .decoded_log::<GpuEscrow::RentalSettled>()
        .expect("RentalSettled emitted");
    assert_eq!(settled.billedSeconds, billed);
    assert_eq!((settled.cost, settled.refund), (expected.cost, expected.refund));

    assert_eq!(
        m.balance(m.chain.renter.address()).await,
        expected.refund,
        "renter got deposit − cost back"
    );
    let earned = m.earnings().await;
    assert_eq!(earned.net, expected.provider_net);
    assert_eq!(earned.fees, expected.fee);
    assert_eq!(
        m.balance(m.escrow).await,
        expected.cost,
        "the escrow keeps exactly what it owes"
    );
}

#[tokio::test]
async fn checkpoint_then_keeper_settlement_pays_the_same_totals() {
    let m = Market::setup().await;
    let deposit = billing::deposit_for(price(), 10 * HOUR) + U256::from(12_345);
    let terms = m.open(deposit, B256::with_last_byte(2)).await;
    let started_at: u64 = terms.startedAt.to();
    let window = u64::from(terms.challengeWindow);
    let keeper = m.escrow_as(&m.chain.keeper);

    // Checkpoint with an attestation whose challenge window has passed; 65-byte signature.
    let t1 = m.chain.advance(2 * HOUR + 7).await;
    let uptime1 = t1 - started_at - 5;
    let first = m.attest(&terms, 1, t1, uptime1).await;
    m.chain.advance(window + 1).await;
    let receipt = mined(keeper.checkpoint(
        terms.clone(),
        first.attestation.usage(),
        Bytes::from(first.signature_65().to_vec()),
    ))
    .await;
    let checkpointed = receipt
        .decoded_log::<GpuEscrow::Checkpointed>()
        .expect("Checkpointed emitted");
    let paid = billing::payment_between(price(), terms.feeBps, terms.slaBps, 0, uptime1).unwrap();
    assert!(
        paid.provider_net < billing::cost(price(), uptime1) - paid.fee,
        "a checkpoint under an SLA holds back the most credit the rental can earn"
    );
    assert_eq!(u64::from(checkpointed.paidSeconds), uptime1);
    assert_eq!(
        (checkpointed.providerNet, checkpointed.fee),
        (paid.provider_net, paid.fee)
    );

    // The renter stops; the keeper settles after the challenge window with the final attestation.
    let receipt = mined(m.escrow_as(&m.chain.renter).stop(terms.clone())).await;
    let stopped_at: u64 = receipt
        .decoded_log::<GpuEscrow::RentalStopped>()
        .unwrap()
        .stoppedAt
        .to();
    let uptime2 = uptime1 + (stopped_at - t1) - 9;
    let last = m.attest(&terms, 2, stopped_at, uptime2).await;

    // Too early for anyone but the renter: the revert decodes into the contract's error.
    let (usage, signature) = last.onchain_usage();
    let Err(early) = keeper
        .settle(terms.clone(), usage.clone(), signature.clone())
        .call()
        .await
    else {
        panic!("a keeper settled inside the challenge window");
    };
    match early.as_decoded_interface_error::<EscrowError>() {
        Some(EscrowError::GpuEscrow_ChallengeWindowOpen(e)) => {
            assert_eq!(e.settleableAt, U256::from(stopped_at + window));
        }
        other => panic!("expected GpuEscrow_ChallengeWindowOpen, got {other:?} ({early})"),
    }

    m.chain.advance(window + 1).await;
    let receipt = mined(keeper.settle(terms.clone(), usage, signature)).await;

    let billed = billing::billed_seconds(uptime2, stopped_at, started_at, stopped_at);
    let wall = stopped_at - started_at;
    let expected = billing::settle(price(), terms.feeBps, terms.slaBps, deposit, uptime1, (billed, wall)).unwrap();
    let settled = receipt.decoded_log::<GpuEscrow::RentalSettled>().unwrap();
    assert_eq!(settled.billedSeconds, billed);
    assert_eq!((settled.cost, settled.refund), (expected.cost, expected.refund));

    let earned = m.earnings().await;
    assert_eq!(earned.net, paid.provider_net + expected.newly_provider_net);
    assert_eq!(earned.net, expected.provider_net, "checkpoints never change the totals");
    assert_eq!(earned.fees, expected.fee);
    assert_eq!(m.balance(m.chain.renter.address()).await, expected.refund);
}

#[tokio::test]
async fn attestation_from_another_key_is_rejected_on_chain() {
    let m = Market::setup().await;
    let deposit = billing::deposit_for(price(), HOUR);
    let terms = m.open(deposit, B256::with_last_byte(3)).await;
    let now = m.chain.advance(600).await;
    let forged = UsageAttestation {
        rentalId: rental_id(&terms),
        seq: 1,
        periodEnd: now,
        uptimeSeconds: 600,
        gpuModelHash: gpu_model_hash(GPU_MODEL),
        ..Default::default()
    }
    .sign(&m.chain.renter, &m.domain())
    .unwrap();
    assert!(
        forged.verify(&m.domain(), m.chain.attester.address()).is_err(),
        "off-chain check refuses it too"
    );

    let (usage, signature) = forged.onchain_usage();
    let Err(err) = m
        .escrow_as(&m.chain.renter)
        .stopAndSettle(terms, usage, signature)
        .call()
        .await
    else {
        panic!("the escrow accepted an attestation signed by the renter");
    };
    match err.as_decoded_interface_error::<EscrowError>() {
        Some(EscrowError::GpuEscrow_InvalidAttestationSignature(e)) => {
            assert_eq!(e.attester, m.chain.attester.address());
        }
        other => panic!("expected GpuEscrow_InvalidAttestationSignature, got {other:?} ({err})"),
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
