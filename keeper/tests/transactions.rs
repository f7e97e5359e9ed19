//! The keeper's own transactions against a real anvil: a reorg that drops one (the nonce is
//! resynced and the rental settled again at once), and the record of each one from the moment it
//! is sent (a crash leaves it `pending`; a restart reconciles it with the chain).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use alloy::{
    primitives::Address,
    providers::{ext::AnvilApi, Provider},
    rpc::types::anvil::ReorgOptions,
};
use common::{KeeperMarket, HOUR};
use keeper::{
    index::{Index, TxResult},
    Keeper, TickReport,
};
use protocol::{rental_id, RentalTerms};
use testkit::Market;

/// The account's nonce in the latest block.
async fn mined_nonce(m: &Market, who: Address) -> u64 {
    m.chain.deployer.get_transaction_count(who).await.unwrap()
}

/// Waits until a transaction of `who` with nonce `nonce` is in the pool.
async fn wait_for_pool(m: &Market, who: Address, nonce: u64) {
    for _ in 0..500 {
        if m.chain.deployer.get_transaction_count(who).pending().await.unwrap() > nonce {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no transaction with nonce {nonce} from {who} reached the pool");
}

/// The keeper runs a round on another task, which is killed (the future dropped, as by kill -9)
/// once its first transaction is in the pool, unmined: automining is off.
async fn crash_after_sending(m: &Market, mut keeper: Keeper) {
    let from = keeper.address();
    let nonce = mined_nonce(m, from).await;
    m.chain.deployer.anvil_set_auto_mine(false).await.unwrap();
    let task = tokio::spawn(async move { keeper.tick().await });
    wait_for_pool(m, from, nonce).await;
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
}

/// The index file of a keeper, opened beside it (as `gpu-keeper status` would).
fn index_of(m: &Market, name: &str) -> Index {
    Index::open(m.dir.join(name)).unwrap()
}

/// A market with one hour-long rental that is over and due, its final attestation served, and a keeper
/// (index `a.sqlite`, key 5) that has not run a round yet, with its nonce in the latest block.
async fn due_rental_and_keeper() -> (Market, RentalTerms, Keeper, u64) {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.serve_final(&terms, HOUR, 0);
    let keeper = m.keeper("a.sqlite", 5).await;
    m.chain.advance(2 * HOUR + 10).await;
    let nonce = mined_nonce(&m, keeper.address()).await;
    (m, terms, keeper, nonce)
}

/// Mines `n` blocks, each a second after the previous one.
async fn mine(m: &Market, n: u64) {
    for _ in 0..n {
        m.chain.advance(1).await;
    }
}

#[tokio::test]
async fn a_reorg_that_drops_the_keepers_settlement_has_it_settled_again_at_once_with_the_chains_nonce() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.serve_final(&terms, HOUR, 0);
    let mut keeper = m.keeper("a.sqlite", 5).await;
    m.chain.advance(2 * HOUR + 10).await;
    let from = keeper.address();
    let nonce = mined_nonce(&m, from).await;

    let report = keeper.tick().await.unwrap();
    assert_eq!((report.settled, report.txs), (1, 1), "{report:?}");
    mine(&m, 2).await;
    keeper.sync().await.unwrap();

    // The three blocks from the settlement on are replaced by three others without it.
    m.chain
        .deployer
        .anvil_reorg(ReorgOptions {
            depth: 3,
            tx_block_pairs: vec![],
        })
        .await
        .unwrap();
    assert_eq!(
        mined_nonce(&m, from).await,
        nonce,
        "the settlement is gone with its block"
    );
    assert!(m.settled_counts().await.is_empty());

    // The keeper notices the reorg and settles again with the nonce the chain gives back: the same
    // round, no blocks waited for on a nonce the chain cannot mine.
    let (head, started) = (m.chain.deployer.get_block_number().await.unwrap(), Instant::now());
    let report = tokio::time::timeout(Duration::from_secs(30), keeper.tick())
        .await
        .expect("the round does not wait on an unminable nonce")
        .unwrap();
    let blocks = m.chain.deployer.get_block_number().await.unwrap() - head;
    eprintln!(
        "settled again {blocks} block(s) and {:.2} s after the reorg",
        started.elapsed().as_secs_f64()
    );
    assert_eq!((report.settled, report.txs, report.failures), (1, 1, 0), "{report:?}");
    assert_eq!(blocks, 1, "the new settlement's own block");
    assert_eq!(
        mined_nonce(&m, from).await,
        nonce + 1,
        "the freed nonce is used, none skipped"
    );
    assert_eq!(m.settled_counts().await.get(&rental_id(&terms)), Some(&1));
    assert_eq!(
        keeper.index().tx_counts().unwrap(),
        [
            ("settle".to_owned(), "dropped".to_owned(), 1),
            ("settle".to_owned(), "ok".to_owned(), 1)
        ],
        "the reorged-out settlement is recorded dropped, its replacement mined"
    );
}

#[tokio::test]
async fn a_settlement_reorged_out_while_its_confirmations_are_awaited_counts_as_not_mined() {
    let m = common::market().await;
    let terms = m.open_many(1, HOUR, 1).await.remove(0);
    m.serve_final(&terms, HOUR, 0);
    let mut settings = m.settings("a.sqlite");
    settings.receipt_confirmations = 3;
    let mut keeper = Keeper::connect(settings, m.key(5), keeper::Metrics::new())
        .await
        .unwrap();
    m.chain.advance(2 * HOUR + 10).await;
    keeper.sync().await.unwrap();
    let from = keeper.address();
    let nonce = mined_nonce(&m, from).await;

    m.chain.deployer.anvil_set_auto_mine(false).await.unwrap();
    let task = tokio::spawn(async move {
        let report = keeper.tick().await;
        (keeper, report)
    });
    wait_for_pool(&m, from, nonce).await;
    // Mined, then, while the keeper waits for its confirmations, its block is replaced.
    mine(&m, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    m.chain
        .deployer
        .anvil_reorg(ReorgOptions {
            depth: 1,
            tx_block_pairs: vec![],
        })
        .await
        .unwrap();
    assert_eq!(
        mined_nonce(&m, from).await,
        nonce,
        "the settlement is gone with its block"
    );
    // Blocks go by until the keeper is done.
    while !task.is_finished() {
        mine(&m, 1).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (keeper, report) = task.await.unwrap();
    let report = report.unwrap();
    m.chain.deployer.anvil_set_auto_mine(true).await.unwrap();

    assert_eq!((report.settled, report.failures), (1, 0), "{report:?}");
    assert_eq!(mined_nonce(&m, from).await, nonce + 1, "one nonce used");
    assert_eq!(m.settled_counts().await.get(&rental_id(&terms)), Some(&1));
    assert_eq!(
        keeper.index().tx_counts().unwrap(),
        [
            ("settle".to_owned(), "ok".to_owned(), 1),
            ("settle".to_owned(), "replaced".to_owned(), 1)
        ],
        "the reorged-out transaction was sent again with a higher fee and the same nonce"
    );
}

#[tokio::test]
async fn a_transaction_is_recorded_pending_when_sent_and_a_restarted_keeper_finds_it_mined() {
    let (m, terms, keeper, nonce) = due_rental_and_keeper().await;
    let from = keeper.address();

    crash_after_sending(&m, keeper).await;
    let pending = index_of(&m, "a.sqlite").txs_with(TxResult::Pending).unwrap();
    assert_eq!(
        pending.len(),
        1,
        "the transaction is on record before its receipt: {pending:?}"
    );
    assert_eq!(
        (
            pending[0].kind.as_str(),
            pending[0].nonce,
            pending[0].rentals.as_slice()
        ),
        ("settle", nonce, [rental_id(&terms)].as_slice())
    );

    // Restarted while it is still in the pool: it stays pending and its rental is left alone.
    let mut keeper = m.keeper("a.sqlite", 5).await;
    let report = tokio::time::timeout(Duration::from_secs(10), keeper.tick())
        .await
        .expect("nothing is sent for a rental whose transaction is in the pool")
        .unwrap();
    assert_eq!(report, TickReport::default());
    assert_eq!(keeper.index().txs_with(TxResult::Pending).unwrap(), pending);

    // Mined: the next round records its result from the receipt.
    mine(&m, 1).await;
    m.chain.deployer.anvil_set_auto_mine(true).await.unwrap();
    assert_eq!(keeper.tick().await.unwrap(), TickReport::default());
    let mined = keeper.index().txs_with(TxResult::Ok).unwrap();
    assert_eq!(mined.len(), 1, "{mined:?}");
    assert_eq!(mined[0].hash, pending[0].hash);
    assert!(mined[0].gas_used.is_some_and(|g| g > 21_000) && mined[0].block_number.is_some());
    assert_eq!(mined_nonce(&m, from).await, nonce + 1);
    assert_eq!(m.settled_counts().await.get(&rental_id(&terms)), Some(&1));
}

#[tokio::test]
async fn a_restarted_keeper_marks_a_pending_transaction_dropped_when_the_node_forgot_it() {
    let (m, _, keeper, nonce) = due_rental_and_keeper().await;
    let from = keeper.address();

    crash_after_sending(&m, keeper).await;
    m.chain.deployer.anvil_drop_all_transactions().await.unwrap();
    m.chain.deployer.anvil_set_auto_mine(true).await.unwrap();

    let mut keeper = m.keeper("a.sqlite", 5).await;
    assert_eq!(
        keeper.index().tx_counts().unwrap(),
        [("settle".to_owned(), "dropped".to_owned(), 1)],
        "reconciled on start"
    );
    let report = keeper.tick().await.unwrap();
    assert_eq!(report.settled, 1, "the rental is settled anew: {report:?}");
    assert_eq!(
        mined_nonce(&m, from).await,
        nonce + 1,
        "with the nonce the dropped one left free"
    );
}

#[tokio::test]
async fn a_restarted_keeper_marks_a_pending_transaction_replaced_when_its_nonce_was_used() {
    let (m, _, keeper, nonce) = due_rental_and_keeper().await;

    crash_after_sending(&m, keeper).await;
    // The pool forgets it, and the same key sends something else with that nonce.
    m.chain.deployer.anvil_drop_all_transactions().await.unwrap();
    m.chain.deployer.anvil_set_auto_mine(true).await.unwrap();
    let same_key = testkit::connect(&m.chain.anvil, &m.key(5));
    let other = alloy::rpc::types::TransactionRequest::default()
        .to(Address::repeat_byte(0x42))
        .nonce(nonce);
    let receipt = same_key
        .send_transaction(other)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());

    let keeper = m.keeper("a.sqlite", 5).await;
    assert_eq!(
        keeper.index().tx_counts().unwrap(),
        [("settle".to_owned(), "replaced".to_owned(), 1)],
        "reconciled on start"
    );
}
