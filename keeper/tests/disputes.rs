//! The keeper's dispute work against a real anvil, the real escrow, dispute module and committee
//! arbitrator: it proves equivocation and wrong GPUs from attestations its (fake) oracle served,
//! and executes dispute outcomes once ruled or past their deadline. Chain time moves with
//! evm_increaseTime/evm_mine.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use alloy::primitives::U256;
use common::{Market, Reply, ARBITER, BOND, HOUR, PRICE_PER_HOUR};
use keeper::{Keeper, Metrics};
use protocol::{billing, rental_id};

const KEEPER: usize = 5;

fn deposit(seconds: u64) -> U256 {
    billing::deposit_for(U256::from(PRICE_PER_HOUR), seconds)
}

/// `bps` of `amount`, rounded down as the module does.
fn bps(amount: U256, bps: U256) -> U256 {
    amount * bps / U256::from(10_000)
}

#[tokio::test]
async fn two_contradicting_attestations_get_the_bond_slashed_and_the_renter_refunded() {
    let m = Market::setup().await;
    let terms = m.open_many(1, 10 * HOUR, 1).await.remove(0);
    let started: u64 = terms.startedAt.to();
    let mut settings = m.settings("a.sqlite");
    settings.checkpoint_interval_secs = 600;
    let mut keeper = Keeper::connect(settings, m.key(KEEPER), Metrics::new()).await.unwrap();

    // The oracle answers the same seq twice with different uptimes.
    let now = m.advance(HOUR).await;
    let first = m.attest_with(&m.attester, &terms, 1, now, now - started);
    let second = m.attest_with(&m.attester, &terms, 1, now, now - started - 120);
    m.reply(
        &terms,
        Reply::Sequence(Arc::new(Mutex::new(VecDeque::from([first, second])))),
    );
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.proven, 0, "one attestation contradicts nothing: {report:?}");
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.proven, report.failures), (1, 0), "{report:?}");

    let module = m.disputes_as(&m.renter);
    let renter_bps = module.SLASH_RENTER_BPS().call().await.unwrap();
    let bounty_bps = module.SLASH_BOUNTY_BPS().call().await.unwrap();
    assert_eq!(m.bond().await, U256::ZERO, "equivocation slashes the whole bond");
    assert_eq!(
        m.balance(m.renter.address()).await,
        deposit(10 * HOUR) + bps(U256::from(BOND), renter_bps),
        "the renter gets the whole unpaid deposit back and its share of the slash"
    );
    assert_eq!(
        m.balance(m.key(KEEPER).address()).await,
        bps(U256::from(BOND), bounty_bps),
        "the keeper earns the bounty"
    );
    let rental = keeper.index().rental(rental_id(&terms)).unwrap().unwrap();
    assert_eq!(rental.status, keeper::index::RESOLVED);
    assert!(keeper.index().open_rentals().unwrap().is_empty());
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_disputes_total{kind=\"equivocation\",outcome=\"proven\"} 1"),
        "{metrics}"
    );
    // Closed: nothing more to do.
    assert_eq!(keeper.tick().await.unwrap().txs, 0);
}

#[tokio::test]
async fn an_attestation_of_another_gpu_model_is_proven_instead_of_settled() {
    let m = Market::setup().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    let started: u64 = terms.startedAt.to();
    let wrong = m.attest_model(&m.attester, &terms, "NVIDIA A100-SXM4-40GB", (1, started + HOUR, HOUR));
    m.reply(&terms, Reply::Attestation(wrong));
    let mut keeper = m.keeper("a.sqlite", KEEPER).await;
    m.advance(HOUR + u64::from(terms.challengeWindow) + 1).await;

    let report = keeper.tick().await.unwrap();
    assert_eq!((report.proven, report.settled), (1, 0), "{report:?}");
    let module = m.disputes_as(&m.renter);
    let slashed = bps(U256::from(BOND), module.WRONG_GPU_SLASH_BPS().call().await.unwrap());
    let renter_share = bps(slashed, module.SLASH_RENTER_BPS().call().await.unwrap());
    assert_eq!(m.bond().await, U256::from(BOND) - slashed);
    assert_eq!(m.balance(m.renter.address()).await, deposit(HOUR) + renter_share);
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_disputes_total{kind=\"wrong_gpu\",outcome=\"proven\"} 1"),
        "{metrics}"
    );
    assert_eq!(
        keeper.index().rental(rental_id(&terms)).unwrap().unwrap().status,
        keeper::index::RESOLVED
    );
}

#[tokio::test]
async fn a_frozen_rental_is_left_alone_until_its_deadline_then_the_fallback_is_executed() {
    let m = Market::setup().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    let started: u64 = terms.startedAt.to();
    m.serve_final(&terms, HOUR, 0);
    m.open_dispute(&terms).await;
    let mut keeper = m.keeper("a.sqlite", KEEPER).await;

    // Past its end, its challenge window and its grace period: frozen, so neither settled nor refunded.
    m.advance(HOUR + u64::from(terms.gracePeriod) + 1).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.txs, 0, "{report:?}");
    let rental = keeper.index().rental(rental_id(&terms)).unwrap().unwrap();
    assert_eq!(rental.status, keeper::index::FROZEN);
    let dispute = keeper.index().pending_disputes().unwrap().remove(0);
    assert_eq!(dispute.ruling, None);

    // Nobody ruled by the deadline: the keeper executes the fallback.
    let now = m.advance(dispute.deadline.saturating_sub(started + HOUR)).await;
    assert!(now >= dispute.deadline);
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.rulings_executed, report.failures), (1, 0), "{report:?}");
    let fallback_bps = m
        .disputes_as(&m.renter)
        .FALLBACK_RENTER_SHARE_BPS()
        .call()
        .await
        .unwrap();
    assert_eq!(
        m.balance(m.renter.address()).await,
        bps(deposit(HOUR), fallback_bps) + U256::from(common::DISPUTE_BOND),
        "the fallback share of the deposit, and the dispute bond back to the opener"
    );
    assert!(keeper.index().pending_disputes().unwrap().is_empty());
    assert_eq!(
        keeper.index().rental(rental_id(&terms)).unwrap().unwrap().status,
        keeper::index::RESOLVED
    );
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_disputes_total{kind=\"fallback\",outcome=\"executed\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_committee_ruling_is_executed_without_waiting_for_the_deadline() {
    let m = Market::setup().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.open_dispute(&terms).await;
    let mut keeper = m.keeper("a.sqlite", KEEPER).await;
    assert_eq!(keeper.tick().await.unwrap().txs, 0, "no ruling yet, deadline far");

    // The committee gives the renter 30 %: ruling 3001.
    let dispute = keeper.index().pending_disputes().unwrap().remove(0);
    let arbiter = m.key(ARBITER);
    common::mined(
        m.arbitrator_as(&arbiter)
            .vote(dispute.arbitrator_dispute_id, U256::from(3_001)),
    )
    .await;
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.rulings_executed, 1, "{report:?}");
    assert_eq!(
        m.balance(m.renter.address()).await,
        bps(deposit(HOUR), U256::from(3_000)),
        "the renter's share; the opener lost and its dispute bond went to the provider"
    );
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_disputes_total{kind=\"ruling\",outcome=\"executed\"} 1"),
        "{metrics}"
    );
}
