//! The keeper against a real anvil and the real escrow, with a fake oracle serving attestations
//! signed by `protocol`. Chain time moves with evm_increaseTime/evm_mine, never by sleeping.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use alloy::{network::TransactionBuilder, primitives::U256, providers::Provider, rpc::types::TransactionRequest};
use common::{KeeperMarket, HOUR, PRICE_PER_HOUR};
use keeper::{Due, Keeper, Metrics, TickReport};
use protocol::{billing, rental_id, RentalStatus};
use testkit::{connect, Reply};

fn price() -> U256 {
    U256::from(PRICE_PER_HOUR)
}

#[tokio::test]
async fn settles_an_ended_rental_after_the_challenge_window_as_billing_predicts() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    let signed = m.serve_final(&terms, HOUR, 17);
    let mut keeper = m.keeper("a.sqlite", 5).await;

    // Ended, but the challenge window is still open: nothing is sent.
    m.chain.advance(HOUR + 10).await;
    assert_eq!(keeper.tick().await.unwrap(), TickReport::default());
    let status = keeper.status().await.unwrap();
    assert!(
        matches!(status[0].due, Due::ChallengeWindow { .. }),
        "{}",
        status[0].due
    );

    m.chain.advance(u64::from(terms.challengeWindow)).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.settled, report.txs, report.failures), (1, 1, 0), "{report:?}");

    let deposit = billing::deposit_for(price(), HOUR);
    let uptime = signed.attestation.uptimeSeconds;
    let expected = billing::settle(price(), terms.feeBps, terms.slaBps, deposit, 0, (uptime, HOUR)).unwrap();
    assert_eq!(
        m.balance(m.renter.address()).await,
        expected.refund,
        "renter refund = deposit − cost"
    );
    let account = m.escrow_as(&m.renter).offerAccount(m.offer_id).call().await.unwrap();
    assert_eq!(U256::from(account.net), expected.provider_net);
    assert_eq!(U256::from(account.fees), expected.fee);

    // Done is done: the next round sends nothing.
    assert_eq!(keeper.tick().await.unwrap(), TickReport::default());
    assert_eq!(keeper.index().open_rentals().unwrap().len(), 0);
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_transactions_total{kind=\"settle\",result=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("gpu_keeper_rentals{state=\"settled\"} 1"), "{metrics}");
}

#[tokio::test]
async fn several_due_rentals_are_settled_with_settle_batch() {
    let m = common::market().await;
    let rentals = m.open_many(5, HOUR, 1).await;
    for t in &rentals {
        m.serve_final(t, HOUR, 0);
    }
    let mut settings = m.settings("a.sqlite");
    settings.batch_size = 3;
    let mut keeper = Keeper::connect(settings, m.key(5), Metrics::new()).await.unwrap();
    m.chain.advance(2 * HOUR + 10).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!(
        (report.settled, report.txs),
        (5, 2),
        "5 rentals in batches of 3 → 2 txs: {report:?}"
    );
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_transactions_total{kind=\"settleBatch\",result=\"ok\"} 2"),
        "{metrics}"
    );
    assert!(m.settled_counts().await.values().all(|n| *n == 1));
}

#[tokio::test]
async fn a_batch_settles_the_others_when_one_rental_was_frozen_and_one_closed_first() {
    let m = common::market().await;
    let rentals = m.open_many(3, HOUR, 1).await;
    let finals: Vec<_> = rentals.iter().map(|t| m.serve_final(t, HOUR, 0)).collect();
    // A keeper four blocks behind the head: it cannot have seen what happens just before it acts.
    let mut settings = m.settings("a.sqlite");
    settings.confirmations = 4;
    let mut keeper = Keeper::connect(settings, m.key(5), Metrics::new()).await.unwrap();

    // All three ended; inside the challenge window the renter disputes the first (freezing it) and settles the
    // second itself. Then the window closes.
    let window = u64::from(rentals[0].challengeWindow);
    let first_end = rentals[0].startedAt.to::<u64>() + HOUR;
    m.chain.advance(first_end + window - 20 - m.chain.now().await).await;
    m.open_dispute(&rentals[0], "ipfs://evidence").await;
    let (usage, signature) = finals[1].onchain_usage();
    testkit::mined(m.escrow_as(&m.renter).settle(rentals[1].clone(), usage, signature)).await;
    m.chain.advance(30).await;

    // The keeper's batch holds all three: the escrow settles the third and skips the other two with their reasons.
    let report = keeper.tick().await.unwrap();
    assert_eq!(
        (
            report.txs,
            report.settled,
            report.skipped,
            report.already_closed,
            report.failures
        ),
        (1, 1, 2, 2, 0),
        "{report:?}"
    );
    let counts = m.settled_counts().await;
    assert_eq!(
        counts.get(&rental_id(&rentals[2])),
        Some(&1),
        "the third settled by the keeper"
    );
    assert_eq!(
        counts.get(&rental_id(&rentals[1])),
        Some(&1),
        "the second only by the renter"
    );
    assert!(
        !counts.contains_key(&rental_id(&rentals[0])),
        "the frozen one waits for its dispute"
    );
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_settlements_skipped_total{reason=\"GpuEscrow_RentalNotActive\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("gpu_keeper_transactions_total{kind=\"settleBatch\",result=\"ok\"} 1"),
        "{metrics}"
    );

    // Once the index catches up, nothing is left to settle: the frozen rental belongs to its dispute.
    for _ in 0..4 {
        m.chain.advance(1).await;
    }
    let report = keeper.tick().await.unwrap();
    assert_eq!(report, TickReport::default());
    let frozen = keeper.index().rental(rental_id(&rentals[0])).unwrap().unwrap();
    assert_eq!(frozen.status(), RentalStatus::Frozen);
}

#[tokio::test]
async fn refunds_after_the_grace_period_when_the_oracle_never_answers() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.fake().reply(rental_id(&terms), Reply::Hang);
    let mut keeper = m.keeper("a.sqlite", 5).await;

    m.chain.advance(2 * HOUR + 10).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.txs, report.failures), (0, 1), "{report:?}");

    m.chain.advance(u64::from(terms.gracePeriod)).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.refunded, report.txs), (1, 1), "{report:?}");
    assert_eq!(
        m.balance(m.renter.address()).await,
        billing::deposit_for(price(), HOUR),
        "the renter gets the whole deposit back"
    );
    let metrics = keeper.metrics().render();
    assert!(
        metrics.contains("gpu_keeper_attestation_fetch_failures_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn forged_stale_or_garbage_attestations_are_never_submitted() {
    let m = common::market().await;
    let rentals = m.open_many(4, HOUR, 1).await;
    let started: u64 = rentals[0].startedAt.to();
    // Signed by the renter, not the attester.
    let forged = m.sign_as(&m.renter, &m.usage_attestation(&rentals[0], (1, started + HOUR, HOUR)));
    m.fake().reply(rental_id(&rentals[0]), Reply::Attestation(forged));
    // Another rental's attestation.
    let other = m.attest(&rentals[2], (1, started + HOUR, HOUR));
    m.fake().reply(rental_id(&rentals[1]), Reply::Attestation(other));
    m.fake().reply(rental_id(&rentals[2]), Reply::Garbage);
    m.fake().reply(rental_id(&rentals[3]), Reply::Status(500));

    let mut keeper = m.keeper("a.sqlite", 5).await;
    m.chain.advance(2 * HOUR + 10).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.txs, report.settled, report.failures), (0, 0, 4), "{report:?}");
    assert!(
        keeper.index().tx_counts().unwrap().is_empty(),
        "no transaction was even sent"
    );

    // Once the oracle serves the real one, it settles.
    m.serve_final(&rentals[0], HOUR, 0);
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.settled, 1, "{report:?}");
}

#[tokio::test]
async fn two_keepers_racing_pay_nothing_twice_and_report_no_errors() {
    let m = common::market().await;
    let rentals = m.open_many(6, HOUR, 1).await;
    for t in &rentals {
        m.serve_final(t, HOUR, 5);
    }
    let mut a = m.keeper("a.sqlite", 5).await;
    let mut b = m.keeper("b.sqlite", 6).await;
    m.chain.advance(2 * HOUR + 10).await;
    let (ra, rb) = tokio::join!(a.tick(), b.tick());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.settled + rb.settled, 6, "{ra:?} {rb:?}");
    assert_eq!(ra.failures + rb.failures, 0, "{ra:?} {rb:?}");
    let counts = m.settled_counts().await;
    assert_eq!(counts.len(), 6);
    assert!(counts.values().all(|n| *n == 1), "each rental settled exactly once");
    // Both indexes agree that everything is closed.
    assert!(a.tick().await.unwrap() == TickReport::default());
    assert!(b.tick().await.unwrap() == TickReport::default());
}

#[tokio::test]
async fn a_restart_from_the_persisted_index_finishes_the_work_exactly_once() {
    let m = common::market().await;
    let rentals = m.open_many(3, HOUR, 1).await;
    {
        let mut first = m.keeper("a.sqlite", 5).await;
        first.tick().await.unwrap();
        assert_eq!(first.index().open_rentals().unwrap().len(), 3);
    }
    for t in &rentals {
        m.serve_final(t, HOUR, 0);
    }
    m.chain.advance(2 * HOUR + 10).await;
    let mut second = m.keeper("a.sqlite", 5).await;
    let report = second.tick().await.unwrap();
    assert_eq!(report.settled, 3, "{report:?}");
    drop(second);
    let mut third = m.keeper("a.sqlite", 5).await;
    assert_eq!(third.tick().await.unwrap(), TickReport::default());
    assert!(m.settled_counts().await.values().all(|n| *n == 1));
}

#[tokio::test]
async fn the_nonce_is_resynced_after_an_external_transaction_from_the_same_key() {
    let m = common::market().await;
    let rentals = m.open_many(2, HOUR, 1).await;
    m.serve_final(&rentals[0], HOUR, 0);
    let mut keeper = m.keeper("a.sqlite", 5).await;
    m.chain.advance(2 * HOUR + 10).await;
    assert_eq!(keeper.tick().await.unwrap().settled, 1);

    // The operator uses the keeper's key elsewhere: the keeper's cached nonce is now stale.
    let same_key = connect(&m.chain.anvil, &m.key(5));
    let transfer = TransactionRequest::default()
        .with_to(m.renter.address())
        .with_value(U256::from(1));
    same_key
        .send_transaction(transfer)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();

    m.serve_final(&rentals[1], HOUR, 0);
    let report = keeper.tick().await.unwrap();
    assert_eq!((report.settled, report.failures), (1, 0), "{report:?}");
}

#[tokio::test]
async fn long_rentals_are_checkpointed_with_an_attestation_past_its_challenge_window() {
    let m = common::market().await;
    let terms = m.open_many(1, 10 * HOUR, 1).await.remove(0);
    let started: u64 = terms.startedAt.to();
    let mut settings = m.settings("a.sqlite");
    settings.checkpoint_interval_secs = HOUR;
    let mut keeper = Keeper::connect(settings, m.key(5), Metrics::new()).await.unwrap();

    let now = m.chain.advance(2 * HOUR).await;
    let signed = m.attest(&terms, (1, now, now - started - 3));
    m.fake().reply(rental_id(&terms), Reply::Attestation(signed.clone()));
    let report = keeper.tick().await.unwrap();
    assert_eq!(
        report.checkpointed, 0,
        "the attestation is still in its challenge window"
    );

    // The oracle is down now, but the keeper kept the attestation it saw.
    m.fake().reply(rental_id(&terms), Reply::Status(503));
    m.chain.advance(u64::from(terms.challengeWindow) + 1).await;
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.checkpointed, 1, "{report:?}");
    let rental = keeper.index().rental(rental_id(&terms)).unwrap().unwrap();
    assert_eq!(rental.paid_seconds, signed.attestation.uptimeSeconds);
    assert_eq!(rental.last_seq, 1);
}

#[tokio::test]
async fn low_balance_alerts_go_to_the_log_metric_and_webhook_once() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    let mut settings = m.settings("a.sqlite");
    settings.low_balance_alert_secs = 900;
    settings.webhook_url = Some(m.fake().webhook_url());
    let mut keeper = Keeper::connect(settings, m.key(5), Metrics::new()).await.unwrap();
    keeper.tick().await.unwrap();
    assert!(m.fake().webhooks().is_empty());

    m.chain.advance(HOUR - 600).await;
    keeper.tick().await.unwrap();
    keeper.tick().await.unwrap();
    let mut waited = 0;
    while m.fake().webhooks().is_empty() && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }
    let bodies = m.fake().webhooks();
    assert_eq!(bodies.len(), 1, "one alert per rental: {bodies:?}");
    assert_eq!(bodies[0]["rentalId"], serde_json::json!(rental_id(&terms)));
    assert!(bodies[0]["secondsLeft"].as_u64().unwrap() <= 600);
    let metrics = keeper.metrics().render();
    assert!(metrics.contains("gpu_keeper_low_balance_alerts_total 1"), "{metrics}");
    assert!(metrics.contains("gpu_keeper_low_balance_rentals 1"), "{metrics}");
}

#[tokio::test]
async fn reindexing_from_the_chain_rebuilds_the_same_index() {
    let m = common::market().await;
    let rentals = m.open_many(3, HOUR, 1).await;
    m.serve_final(&rentals[0], HOUR, 0);
    m.escrow_as(&m.renter)
        .stop(rentals[1].clone())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let mut keeper = m.keeper("a.sqlite", 5).await;
    m.chain.advance(2 * HOUR + 10).await;
    keeper.tick().await.unwrap();
    let before = keeper.index().snapshot().unwrap();
    assert!(before.iter().any(|l| l.contains("settled")));

    keeper.reindex().await.unwrap();
    assert_eq!(keeper.index().snapshot().unwrap(), before, "reindex in place");
    let mut fresh = m.keeper("fresh.sqlite", 6).await;
    fresh.sync().await.unwrap();
    assert_eq!(fresh.index().snapshot().unwrap(), before, "a new index from scratch");
}

#[tokio::test]
async fn configuration_mistakes_are_refused_with_clear_errors() {
    let m = common::market().await;
    let mut wrong_chain = m.settings("a.sqlite");
    wrong_chain.chain_id = Some(1);
    let err = Keeper::connect(wrong_chain, m.key(5), Metrics::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("serves chain 31337"), "{err}");

    let mut no_code = m.settings("b.sqlite");
    no_code.escrow = Some(m.renter.address());
    let err = Keeper::connect(no_code, m.key(5), Metrics::new()).await.unwrap_err();
    assert!(err.to_string().contains("no contract code"), "{err}");

    let mut poor = m.settings("c.sqlite");
    poor.min_balance_wei = 1;
    let broke = alloy::signers::local::PrivateKeySigner::random();
    let err = Keeper::connect(poor, broke, Metrics::new()).await.unwrap_err();
    assert!(err.to_string().contains("fund it"), "{err}");

    let mut wrong_file = m.settings("d.sqlite");
    wrong_file.escrow = None;
    wrong_file.deployments_dir = m.dir.path().to_path_buf();
    std::fs::write(
        m.dir.join("31337.json"),
        r#"{"chainId": 1, "deployBlock": 0, "escrow": "0x610178dA211FEF7D417bC0e6FeD39F05609AD788", "tokens": {}}"#,
    )
    .unwrap();
    let err = Keeper::connect(wrong_file, m.key(5), Metrics::new()).await.unwrap_err();
    assert!(err.to_string().contains("is for chain 1"), "{err}");
}

#[tokio::test]
async fn a_reorg_rewinds_the_index_to_the_new_chain() {
    use alloy::providers::ext::AnvilApi;
    let m = common::market().await;
    let mut keeper = m.keeper("a.sqlite", 5).await;
    keeper.sync().await.unwrap();
    let snapshot = m.chain.deployer.anvil_snapshot().await.unwrap();
    let dropped = m.open_many(1, HOUR, 1).await.remove(0);
    keeper.sync().await.unwrap();
    assert!(keeper.index().rental(rental_id(&dropped)).unwrap().is_some());

    // The blocks with that rental are replaced by others holding a different rental.
    assert!(m.chain.deployer.anvil_revert(snapshot).await.unwrap());
    m.chain.advance(30).await;
    m.chain.deployer.anvil_mine(Some(4), None).await.unwrap();
    let kept = m.open_many(1, HOUR, 99).await.remove(0);
    keeper.sync().await.unwrap();
    let ids: Vec<_> = keeper.index().all_rentals().unwrap().iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [rental_id(&kept)],
        "the replaced rental is gone, the new one indexed"
    );

    let mut fresh = m.keeper("fresh.sqlite", 6).await;
    fresh.sync().await.unwrap();
    assert_eq!(fresh.index().snapshot().unwrap(), keeper.index().snapshot().unwrap());
}

#[tokio::test]
async fn a_stuck_transaction_is_replaced_with_a_higher_fee_and_the_same_nonce() {
    use alloy::providers::ext::AnvilApi;
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.serve_final(&terms, HOUR, 0);
    let mut keeper = m.keeper("a.sqlite", 5).await;
    keeper.sync().await.unwrap();
    m.chain.advance(2 * HOUR + 10).await;
    let keeper_address = m.key(5).address();
    let nonce_before = m.chain.deployer.get_transaction_count(keeper_address).await.unwrap();
    m.chain.deployer.anvil_set_auto_mine(false).await.unwrap();

    let pending = || async {
        m.chain
            .deployer
            .get_transaction_count(keeper_address)
            .pending()
            .await
            .unwrap()
    };
    let wait_for_pending = || async {
        for _ in 0..500 {
            if pending().await > nonce_before {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the keeper never sent its transaction");
    };
    let chain = async {
        // The first transaction vanishes from the pool (as if underpriced and evicted) while blocks go by.
        wait_for_pending().await;
        m.chain.deployer.anvil_drop_all_transactions().await.unwrap();
        m.chain.deployer.anvil_mine(Some(3), None).await.unwrap();
        // The keeper bumps it: same nonce, higher fee; the next block includes it.
        wait_for_pending().await;
        m.chain.deployer.anvil_mine(Some(1), None).await.unwrap();
        m.chain.deployer.anvil_set_auto_mine(true).await.unwrap();
    };
    // The keeper's future is Send: it can run on another task.
    let task = tokio::spawn(async move {
        let report = keeper.tick().await;
        (keeper, report)
    });
    chain.await;
    let (keeper, report) = task.await.unwrap();
    let report = report.unwrap();
    assert_eq!(report.settled, 1, "{report:?}");
    assert_eq!(
        m.chain.deployer.get_transaction_count(keeper_address).await.unwrap(),
        nonce_before + 1,
        "one nonce used"
    );
    assert_eq!(
        keeper.index().tx_counts().unwrap(),
        [
            ("settle".to_owned(), "ok".to_owned(), 1),
            ("settle".to_owned(), "replaced".to_owned(), 1)
        ],
        "the evicted first version and its mined replacement each have a row"
    );
}

#[tokio::test]
async fn the_rpc_going_away_and_coming_back_delays_a_settlement_but_never_doubles_it() {
    use std::time::{Duration, Instant};
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    let signed = m.serve_final(&terms, HOUR, 17);
    let proxy = testkit::Proxy::start(m.chain.anvil.port());
    let mut settings = m.settings("a.sqlite");
    settings.rpc_url = proxy.url();
    let mut keeper = Keeper::connect(settings, m.key(5), Metrics::new()).await.unwrap();
    keeper.sync().await.unwrap();
    m.chain.advance(2 * HOUR + 10).await;

    // The RPC goes away while the rental is due; the keeper runs through the outage.
    proxy.cut();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // The keeper's log, captured for this task only.
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let subscriber = {
        let log = log.clone();
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .with_writer(move || LogWriter(log.clone()))
            .finish()
    };
    let task = tokio::spawn(tracing::instrument::WithSubscriber::with_subscriber(
        async move {
            let result = keeper.run(stopped).await;
            (keeper, result)
        },
        subscriber,
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while proxy.refused() < 5 {
        assert!(Instant::now() < deadline, "the keeper stopped trying to reach the RPC");
        assert!(!task.is_finished(), "the keeper exited during the outage");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!task.is_finished(), "the keeper exited during the outage");
    assert!(
        m.settled_counts().await.is_empty(),
        "nothing can be sent without the RPC"
    );
    let logged = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(
        logged.contains("ERROR") && logged.contains("round failed"),
        "each failed round is logged as an error: {logged}"
    );

    // It comes back: the rental is settled.
    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(10);
    while m.settled_counts().await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the keeper did not settle after the RPC came back"
        );
        assert!(!task.is_finished(), "the keeper exited");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A few more rounds (50 ms apart) must send nothing more.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.send(true).unwrap();
    let (keeper, result) = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the keeper stops on request")
        .unwrap();
    result.unwrap();

    let counts = m.settled_counts().await;
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[&rental_id(&terms)], 1, "settled exactly once");
    let state = m
        .escrow_as(&m.renter)
        .rentalState(rental_id(&terms))
        .call()
        .await
        .unwrap();
    assert_eq!(state.status, 0, "the rental is closed (status None)");
    let deposit = billing::deposit_for(price(), HOUR);
    let uptime = signed.attestation.uptimeSeconds;
    let expected = billing::settle(price(), terms.feeBps, terms.slaBps, deposit, 0, (uptime, HOUR)).unwrap();
    assert_eq!(m.balance(m.renter.address()).await, expected.refund);
    let account = m.escrow_as(&m.renter).offerAccount(m.offer_id).call().await.unwrap();
    assert_eq!(U256::from(account.net), expected.provider_net);
    assert_eq!(U256::from(account.fees), expected.fee);
    assert_eq!(
        m.chain
            .deployer
            .get_transaction_count(m.key(5).address())
            .await
            .unwrap(),
        1,
        "the keeper sent exactly one transaction"
    );
    assert_eq!(
        keeper.index().tx_counts().unwrap(),
        [("settle".to_owned(), "ok".to_owned(), 1)]
    );
}

/// A `MakeWriter` target that appends to a shared buffer.
struct LogWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
