//! End to end against a real anvil: the escrow deployed from its forge artifact accepts
//! attestations signed in Rust, computes the same digest and rental id, and moves exactly the
//! amounts `protocol::billing` predicts.
//!
//! Needs the forge artifacts (`make build`) and anvil at `node_modules/.bin/anvil` (`npm ci`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use alloy::{
    primitives::{Bytes, U256},
    providers::ext::AnvilApi,
};
use protocol::{
    billing, bindings::GpuEscrow, gpu_model_hash, gpu_uuids_hash, rental_id, EscrowError, RentalTerms,
    SignedAttestation, UsageAttestation,
};
use testkit::{mined, Market, GPU_MODEL};

/// 2.5 USDC per hour, in 6-decimal base units: a price that does not divide 3600 evenly (the
/// market's default offer).
const PRICE_PER_HOUR: u64 = 2_500_000;
const HOUR: u64 = 3_600;
/// 2.5 % platform fee, set before any rental opens.
const FEE_BPS: u16 = 250;
/// EIP-170: the most runtime code a contract may have on Ethereum and its L2s.
const MAX_RUNTIME_CODE: usize = 24_576;

/// Accrued, unclaimed earnings of an offer.
struct Earned {
    net: U256,
    fees: U256,
}

/// A deployed escrow with a USDC-like token, a registered provider and one H100 offer at
/// [`PRICE_PER_HOUR`], and the fee in force.
async fn setup() -> Market {
    let m = Market::builder().fee_bps(FEE_BPS).start().await;
    assert_eq!(m.price_per_hour(), U256::from(PRICE_PER_HOUR));
    let stored = m.escrow_as(&m.renter).offer(m.offer_id).call().await.unwrap();
    assert_eq!(
        stored.gpuModelHash,
        gpu_model_hash(GPU_MODEL),
        "offer model hash is keccak of the NVML name"
    );
    m
}

/// Mints `deposit` to the renter, approves exactly that and opens a rental; returns the terms
/// taken from the `RentalOpened` log.
async fn open(m: &Market, deposit: U256, salt: u64) -> RentalTerms {
    let (terms, receipt) = m.open(deposit, salt).await;
    let opened = receipt.decoded_log::<GpuEscrow::RentalOpened>().unwrap();
    assert_eq!(opened.deposit, deposit);
    assert_eq!(terms.feeBps, FEE_BPS, "the fee in force is snapshotted into the terms");
    assert_eq!(
        rental_id(&terms),
        opened.rentalId,
        "Rust rental id = keccak256(abi.encode(terms))"
    );
    terms
}

/// What the offer has accrued and not yet paid out: the provider's net and the fees it carries.
async fn earnings(m: &Market) -> Earned {
    let account = m.escrow_as(&m.keeper).offerAccount(m.offer_id).call().await.unwrap();
    Earned {
        net: U256::from(account.net),
        fees: U256::from(account.fees),
    }
}

/// An attestation of the rental signed by the provider's attester key, checked off-chain and
/// against the contract's own digest.
async fn attest(m: &Market, terms: &RentalTerms, seq: u64, period_end: u64, uptime: u64) -> SignedAttestation {
    let attestation = UsageAttestation {
        gpuUuidsHash: gpu_uuids_hash(&["GPU-3c4d5e6f-0001-4a7b-9c8d-7e6f5a4b3c2d".to_owned()]),
        avgUtilBps: 9_100,
        ..m.usage_attestation(terms, (seq, period_end, uptime))
    };
    let signed = m.sign(&attestation);
    signed.verify(&m.domain(), m.attester.address()).unwrap();
    let on_chain_digest = m
        .escrow_as(&m.keeper)
        .attestationDigest(terms.clone(), signed.attestation.usage())
        .call()
        .await
        .unwrap();
    assert_eq!(
        on_chain_digest,
        signed.attestation.digest(&m.domain()),
        "contract and Rust digests agree"
    );
    signed
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
    let m = setup().await;
    let deposit = billing::deposit_for(price(), 4 * HOUR);
    let quoted = m
        .escrow_as(&m.renter)
        .quoteDeposit(m.offer_id, 4 * 3_600)
        .call()
        .await
        .unwrap();
    assert_eq!(quoted, deposit, "quoteDeposit = billing::deposit_for");

    let terms = open(&m, deposit, 1).await;
    let started_at: u64 = terms.startedAt.to();
    assert_eq!(m.balance(m.renter.address()).await, U256::ZERO);

    // 1 h 2 min 3 s later the renter stops; the GPU was down for 17 s of it.
    let now = m.chain.advance(HOUR + 123).await;
    let uptime = now - started_at - 17;
    let signed = attest(&m, &terms, 1, now, uptime).await;
    let (usage, signature) = signed.onchain_usage();
    assert_eq!(signature.len(), 64, "EIP-2098 compact signature");
    // The renter stops half a minute after that attestation: those seconds are billed as delivered.
    m.chain.deployer.anvil_increase_time(30).await.unwrap();

    let receipt = mined(m.escrow_as(&m.renter).stopAndSettle(terms.clone(), usage, signature)).await;

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
        m.balance(m.renter.address()).await,
        expected.refund,
        "renter got deposit − cost back"
    );
    let earned = earnings(&m).await;
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
    let m = setup().await;
    let deposit = billing::deposit_for(price(), 10 * HOUR) + U256::from(12_345);
    let terms = open(&m, deposit, 2).await;
    let started_at: u64 = terms.startedAt.to();
    let window = u64::from(terms.challengeWindow);
    let keeper = m.escrow_as(&m.keeper);

    // Checkpoint with an attestation whose challenge window has passed; 65-byte signature.
    let t1 = m.chain.advance(2 * HOUR + 7).await;
    let uptime1 = t1 - started_at - 5;
    let first = attest(&m, &terms, 1, t1, uptime1).await;
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
    let receipt = mined(m.escrow_as(&m.renter).stop(terms.clone())).await;
    let stopped_at: u64 = receipt
        .decoded_log::<GpuEscrow::RentalStopped>()
        .unwrap()
        .stoppedAt
        .to();
    let uptime2 = uptime1 + (stopped_at - t1) - 9;
    let last = attest(&m, &terms, 2, stopped_at, uptime2).await;

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

    let earned = earnings(&m).await;
    assert_eq!(earned.net, paid.provider_net + expected.newly_provider_net);
    assert_eq!(earned.net, expected.provider_net, "checkpoints never change the totals");
    assert_eq!(earned.fees, expected.fee);
    assert_eq!(m.balance(m.renter.address()).await, expected.refund);
}

#[tokio::test]
async fn attestation_from_another_key_is_rejected_on_chain() {
    let m = setup().await;
    let deposit = billing::deposit_for(price(), HOUR);
    let terms = open(&m, deposit, 3).await;
    let now = m.chain.advance(600).await;
    let forged = UsageAttestation {
        rentalId: rental_id(&terms),
        seq: 1,
        periodEnd: now,
        uptimeSeconds: 600,
        gpuModelHash: gpu_model_hash(GPU_MODEL),
        ..Default::default()
    }
    .sign(&m.renter, &m.domain())
    .unwrap();
    assert!(
        forged.verify(&m.domain(), m.attester.address()).is_err(),
        "off-chain check refuses it too"
    );

    let (usage, signature) = forged.onchain_usage();
    let Err(err) = m
        .escrow_as(&m.renter)
        .stopAndSettle(terms, usage, signature)
        .call()
        .await
    else {
        panic!("the escrow accepted an attestation signed by the renter");
    };
    match err.as_decoded_interface_error::<EscrowError>() {
        Some(EscrowError::GpuEscrow_InvalidAttestationSignature(e)) => {
            assert_eq!(e.attester, m.attester.address());
        }
        other => panic!("expected GpuEscrow_InvalidAttestationSignature, got {other:?} ({err})"),
    }
}
