//! The keeper's dispute work against a real anvil, the real escrow, dispute module and committee
//! arbitrator: it proves equivocation and wrong GPUs from attestations its (fake) oracle served,
//! and executes dispute outcomes once ruled or past their deadline. Chain time moves with
//! evm_increaseTime/evm_mine.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use alloy::primitives::U256;
use common::{KeeperMarket, BOND, HOUR, PRICE_PER_HOUR};
use keeper::{Keeper, Metrics};
use protocol::{billing, gpu_model_hash, rental_id, RentalStatus, UsageAttestation};
use testkit::{Market, Reply, ARBITER, KEEPER};

fn deposit(seconds: u64) -> U256 {
    billing::deposit_for(U256::from(PRICE_PER_HOUR), seconds)
}

/// `bps` of `amount`, rounded down as the module does.
fn bps(amount: U256, bps: U256) -> U256 {
    amount * bps / U256::from(10_000)
}

#[tokio::test]
async fn two_contradicting_attestations_get_the_bond_slashed_and_the_renter_refunded() {
    let m = common::market().await;
    let terms = m.open_many(1, 10 * HOUR, 1).await.remove(0);
    let started: u64 = terms.startedAt.to();
    let mut settings = m.settings("a.sqlite");
    settings.checkpoint_interval_secs = 600;
    let mut keeper = Keeper::connect(settings, m.key(KEEPER), Metrics::new()).await.unwrap();

    // The oracle answers the same seq twice with different uptimes.
    let now = m.chain.advance(HOUR).await;
    let first = m.attest(&terms, (1, now, now - started));
    let second = m.attest(&terms, (1, now, now - started - 120));
    m.fake().queue(&terms, vec![first, second]);
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.proven, 0, "one attestation contradicts nothing: {report:?}");
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.proven, report.failures), (1, 0), "{report:?}");

    let module = m.disputes_as(&m.renter);
    let renter_bps = module.SLASH_RENTER_BPS().call().await.unwrap();
    let bounty_bps = module.SLASH_BOUNTY_BPS().call().await.unwrap();
    assert_eq!(m.bond().await.0, U256::ZERO, "equivocation slashes the whole bond");
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
    assert_eq!(rental.status(), RentalStatus::Resolved);
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
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    let started: u64 = terms.startedAt.to();
    let wrong = m.sign(&UsageAttestation {
        gpuModelHash: gpu_model_hash("NVIDIA A100-SXM4-40GB"),
        ..m.usage_attestation(&terms, (1, started + HOUR, HOUR))
    });
    m.fake().reply(rental_id(&terms), Reply::Attestation(wrong));
    let mut keeper = m.keeper("a.sqlite", KEEPER).await;
    m.chain.advance(HOUR + u64::from(terms.challengeWindow) + 1).await;

    let report = keeper.tick().await.unwrap();
    assert_eq!((report.proven, report.settled), (1, 0), "{report:?}");
    let module = m.disputes_as(&m.renter);
    let slashed = bps(U256::from(BOND), module.WRONG_GPU_SLASH_BPS().call().await.unwrap());
    let renter_share = bps(slashed, module.SLASH_RENTER_BPS().call().await.unwrap());
    assert_eq!(m.bond().await.0, U256::from(BOND) - slashed);
    assert_eq!(m.balance(m.renter.address()).await, deposit(HOUR) + renter_share);
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_disputes_total{kind=\"wrong_gpu\",outcome=\"proven\"} 1"),
        "{metrics}"
    );
    assert_eq!(
        keeper.index().rental(rental_id(&terms)).unwrap().unwrap().status(),
        RentalStatus::Resolved
    );
}

/// When the dispute opened on `terms` froze it: the freeze stops a running rental's clock.
async fn frozen_at(m: &Market, terms: &protocol::RentalTerms) -> u64 {
    let state = m.rental_state(terms).await;
    assert_eq!(state.status, 2, "frozen");
    state.stoppedAt.to()
}

#[tokio::test]
async fn an_unruled_dispute_is_settled_by_the_billing_rules_with_the_final_attestation() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    let started: u64 = terms.startedAt.to();
    m.chain.advance(600).await;
    m.open_dispute(&terms, "ipfs://evidence").await;
    let frozen = frozen_at(&m, &terms).await;
    // The provider's oracle attests the rental up to the freeze, 20 s of it down.
    let wall = frozen - started;
    let final_attestation = m.attest(&terms, (1, frozen, wall - 20));
    m.fake().reply(rental_id(&terms), Reply::Attestation(final_attestation));
    let mut keeper = m.keeper("a.sqlite", KEEPER).await;

    // Past its end, its challenge window and its grace period: frozen, so neither settled nor refunded.
    m.chain.advance(HOUR + u64::from(terms.gracePeriod) + 1).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.txs, 0, "{report:?}");
    let rental = keeper.index().rental(rental_id(&terms)).unwrap().unwrap();
    assert_eq!(rental.status(), RentalStatus::Frozen);
    assert_eq!(rental.end(), frozen, "the freeze stopped the clock");
    let dispute = keeper.index().pending_disputes().unwrap().remove(0);
    assert_eq!(dispute.ruling, None);

    // Nobody ruled by the deadline: the keeper settles it as if no dispute had been opened.
    let now = m
        .chain
        .advance(dispute.deadline.saturating_sub(m.chain.now().await))
        .await;
    assert!(now >= dispute.deadline);
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.rulings_executed, report.failures), (1, 0), "{report:?}");
    let split = billing::settle(
        U256::from(PRICE_PER_HOUR),
        terms.feeBps,
        terms.slaBps,
        deposit(HOUR),
        0,
        (wall - 20, wall),
    )
    .unwrap();
    assert!(
        split.sla_credit > U256::ZERO,
        "20 s down of {wall} is below the 99 % SLA"
    );
    assert_eq!(
        m.balance(m.renter.address()).await,
        split.refund + U256::from(common::DISPUTE_BOND),
        "the renter pays the seconds before the freeze less its SLA credit; the dispute bond back to the opener"
    );
    assert!(keeper.index().pending_disputes().unwrap().is_empty());
    assert_eq!(
        keeper.index().rental(rental_id(&terms)).unwrap().unwrap().status(),
        RentalStatus::Settled
    );
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_disputes_total{kind=\"fallback\",outcome=\"settled\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn an_unruled_dispute_without_a_final_attestation_is_refunded_after_the_grace_period() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.open_dispute(&terms, "ipfs://evidence").await;
    let mut keeper = m.keeper("a.sqlite", KEEPER).await;
    assert_eq!(keeper.tick().await.unwrap().txs, 0);
    let dispute = keeper.index().pending_disputes().unwrap().remove(0);

    // Past the deadline with no attestation: the escrow waits the grace period for one.
    m.chain
        .advance(dispute.deadline.saturating_sub(m.chain.now().await) + 1)
        .await;
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.txs, report.rulings_executed), (0, 0), "{report:?}");
    assert_eq!(keeper.index().pending_disputes().unwrap().len(), 1);

    // Then anyone closes it by the refund rules: nothing was paid, so the whole deposit goes back.
    m.chain.advance(u64::from(terms.gracePeriod) + 1).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.rulings_executed, report.failures), (1, 0), "{report:?}");
    assert_eq!(
        m.balance(m.renter.address()).await,
        deposit(HOUR) + U256::from(common::DISPUTE_BOND),
        "the deposit and the dispute bond back: nobody gains from a dispute nobody rules on"
    );
    assert_eq!(
        keeper.index().rental(rental_id(&terms)).unwrap().unwrap().status(),
        RentalStatus::Refunded
    );
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_disputes_total{kind=\"fallback\",outcome=\"executed\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_committee_ruling_is_executed_without_waiting_for_the_deadline() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.chain.advance(900).await;
    m.open_dispute(&terms, "ipfs://evidence").await;
    let at_stake = billing::cost(
        U256::from(PRICE_PER_HOUR),
        frozen_at(&m, &terms).await - terms.startedAt.to::<u64>(),
    );
    let mut keeper = m.keeper("a.sqlite", KEEPER).await;
    assert_eq!(keeper.tick().await.unwrap().txs, 0, "no ruling yet, deadline far");

    // The committee gives the renter 30 %: ruling 3001.
    let dispute = keeper.index().pending_disputes().unwrap().remove(0);
    let arbiter = m.key(ARBITER);
    testkit::mined(
        m.arbitrator_as(&arbiter)
            .vote(dispute.arbitrator_dispute_id, U256::from(3_001)),
    )
    .await;
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.rulings_executed, 1, "{report:?}");
    assert_eq!(
        m.balance(m.renter.address()).await,
        deposit(HOUR) - at_stake + bps(at_stake, U256::from(3_000)),
        "the deposit after the freeze back, and the renter's share of the seconds before it; the opener lost and its \
         dispute bond went to the provider"
    );
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_disputes_total{kind=\"ruling\",outcome=\"executed\"} 1"),
        "{metrics}"
    );
}
