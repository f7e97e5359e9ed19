//! `protocol::chain` against a real anvil: every escrow event the oracle and keeper use decodes
//! from real logs, the follower walks bounded ranges behind its confirmations, and a reorg is
//! detected and rewound.
//!
//! Needs the forge artifacts (`make build`) and anvil at `node_modules/.bin/anvil` (`npm ci`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use alloy::{
    primitives::{aliases::U96, B256, U256},
    providers::{ext::AnvilApi, Provider},
};
use protocol::{
    chain::{fetch_events, ChainError, EscrowEvent, LogFollower},
    rental_id,
};
use testkit::{mined, renter_access_key, Market};

/// Escrow + token, a registered provider with one offer at 3.60 USDC an hour.
async fn setup() -> Market {
    Market::builder()
        .offer(|o| {
            o.pricePerHour = U96::from(3_600_000u64);
            o.maxDuration = 86_400;
            o.region = "eu".into();
            o.capacity = 8;
        })
        .start()
        .await
}

/// Opens a one-hour rental (a deposit of 3.60 USDC) from the renter; returns its id.
async fn open(s: &Market, salt: u64) -> B256 {
    rental_id(&s.rent(3_600, salt).await)
}

#[tokio::test]
async fn escrow_logs_decode_into_events_with_terms_rebuilt() {
    let s = setup().await;
    let id = open(&s, 1).await;
    let as_provider = s.escrow_as(&s.provider);
    mined(as_provider.updatePrice(s.offer_id, U96::from(7_200_000u64))).await;
    mined(as_provider.setCapacity(s.offer_id, 3)).await;
    mined(as_provider.setEndpoint("https://gpu.example:8443".into())).await;
    let head = s.chain.deployer.get_block_number().await.unwrap();
    let opened = fetch_events(&s.chain.deployer, s.escrow, s.deploy_block, head)
        .await
        .unwrap();
    let terms = opened.iter().find_map(|e| match &e.event {
        EscrowEvent::RentalOpened {
            rental_id: rid,
            terms,
            deposit,
            access_key,
        } => {
            assert_eq!(*deposit, U256::from(3_600_000u64));
            assert_eq!(*access_key, renter_access_key(), "access key emitted as sent");
            assert!(protocol::access_key::to_openssh(access_key, "c")
                .unwrap()
                .starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva"));
            assert_eq!(*rid, id);
            Some(terms.clone())
        }
        _ => None,
    });
    let terms = terms.expect("RentalOpened decoded");
    assert_eq!(
        rental_id(&terms),
        id,
        "terms rebuilt from the event hash to the rental id"
    );

    // Stop it: RentalStopped follows, in chain order after the others.
    mined(s.escrow_as(&s.renter).stop(terms.clone())).await;
    let head = s.chain.deployer.get_block_number().await.unwrap();
    let events = fetch_events(&s.chain.deployer, s.escrow, s.deploy_block, head)
        .await
        .unwrap();
    let names: Vec<_> = events.iter().map(|e| e.event.name()).collect();
    assert_eq!(
        names,
        [
            "ProviderRegistered",
            "OfferCreated",
            "RentalOpened",
            "OfferPriceUpdated",
            "OfferCapacityUpdated",
            "EndpointUpdated",
            "RentalStopped"
        ],
        "TokenAllowed (governance) is skipped; the rest decode in order"
    );
    assert!(events
        .windows(2)
        .all(|w| (w[0].block_number, w[0].log_index) < (w[1].block_number, w[1].log_index)));
    assert_eq!(events.last().unwrap().event.rental_id(), Some(id));
    for e in &events {
        let again = EscrowEvent::decode(&e.event.encode_log_data()).unwrap();
        assert_eq!(
            again.as_ref(),
            Some(&e.event),
            "{} survives encode → decode",
            e.event.name()
        );
    }
    match &events[5].event {
        EscrowEvent::EndpointUpdated(e) => assert_eq!(e.endpoint, "https://gpu.example:8443"),
        other => panic!("expected EndpointUpdated, got {other:?}"),
    }
}

#[tokio::test]
async fn follower_reads_bounded_ranges_behind_confirmations() {
    let s = setup().await;
    open(&s, 1).await;
    s.chain.deployer.anvil_mine(Some(10), None).await.unwrap();
    let head = s.chain.deployer.get_block_number().await.unwrap();

    let mut follower = LogFollower::new(s.escrow, s.deploy_block, 3, 4);
    let mut events = Vec::new();
    let mut polls = 0;
    loop {
        let batch = follower.poll(&s.chain.deployer).await.unwrap();
        polls += 1;
        assert!(batch.rewound_to.is_none());
        if let Some((from, to)) = batch.range {
            assert!(to - from < 4, "range {from}..={to} exceeds the max range");
            assert!(to <= head - 3, "read past head − confirmations");
        }
        events.extend(batch.events);
        if batch.caught_up {
            break;
        }
    }
    assert!(polls >= 3);
    assert_eq!(follower.next_block(), head - 3 + 1);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e.event, EscrowEvent::RentalOpened { .. }))
            .count(),
        1
    );

    // Nothing new: caught up with no range read.
    let batch = follower.poll(&s.chain.deployer).await.unwrap();
    assert!(batch.caught_up && batch.range.is_none() && batch.events.is_empty());
}

#[tokio::test]
async fn reorg_is_detected_and_rewound_to_the_first_replaced_block() {
    let s = setup().await;
    let mut follower = LogFollower::new(s.escrow, s.deploy_block, 0, 1_000);
    while !follower.poll(&s.chain.deployer).await.unwrap().caught_up {}

    // A rental opens in blocks that a reorg then replaces by empty ones.
    let fork_point = s.chain.deployer.get_block_number().await.unwrap();
    let snapshot = s.chain.deployer.anvil_snapshot().await.unwrap();
    let dropped = open(&s, 1).await;
    let batch = follower.poll(&s.chain.deployer).await.unwrap();
    assert!(batch.events.iter().any(|e| e.event.rental_id() == Some(dropped)));

    assert!(s.chain.deployer.anvil_revert(snapshot).await.unwrap());
    s.chain.deployer.anvil_increase_time(13).await.unwrap();
    s.chain.deployer.anvil_mine(Some(5), None).await.unwrap();
    let kept = open(&s, 2).await;

    let batch = follower.poll(&s.chain.deployer).await.unwrap();
    assert_eq!(
        batch.rewound_to,
        Some(fork_point + 1),
        "rewinds to the first replaced block"
    );
    assert!(batch.events.is_empty());
    assert_eq!(follower.next_block(), fork_point + 1);

    let mut events = Vec::new();
    loop {
        let batch = follower.poll(&s.chain.deployer).await.unwrap();
        assert!(batch.rewound_to.is_none());
        events.extend(batch.events);
        if batch.caught_up {
            break;
        }
    }
    let ids: Vec<_> = events.iter().filter_map(|e| e.event.rental_id()).collect();
    assert_eq!(ids, [kept], "the replaced rental is gone, the new one is read");
}

#[tokio::test]
async fn restored_history_detects_a_reorg_that_happened_while_stopped() {
    let s = setup().await;
    let mut follower = LogFollower::new(s.escrow, s.deploy_block, 0, 1_000).with_history(1);
    while !follower.poll(&s.chain.deployer).await.unwrap().caught_up {}
    let snapshot = s.chain.deployer.anvil_snapshot().await.unwrap();
    open(&s, 1).await;
    while !follower.poll(&s.chain.deployer).await.unwrap().caught_up {}
    let saved: Vec<_> = follower.recent_blocks().collect();
    assert_eq!(saved.len(), 1, "history is bounded");

    // Restart after a reorg deeper than the one remembered block.
    assert!(s.chain.deployer.anvil_revert(snapshot).await.unwrap());
    s.chain.deployer.anvil_increase_time(7).await.unwrap();
    s.chain.deployer.anvil_mine(Some(8), None).await.unwrap();
    let mut restarted = LogFollower::new(s.escrow, follower.next_block(), 0, 1_000).with_recent_blocks(saved);
    match restarted.poll(&s.chain.deployer).await {
        Err(ChainError::ReorgBeyondHistory { .. }) => {}
        other => panic!("expected ReorgBeyondHistory, got {other:?}"),
    }
    assert!(
        ChainError::ReorgBeyondHistory { oldest: 1 }
            .to_string()
            .contains("rebuild the index"),
        "the error tells the user what to do"
    );
}
