//! `protocol::chain` against a real anvil: every escrow event the oracle and keeper use decodes
//! from real logs, the follower walks bounded ranges behind its confirmations, and a reorg is
//! detected and rewound.
//!
//! Needs the forge artifacts (`make build`) and anvil at `node_modules/.bin/anvil` (`npm ci`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{aliases::U96, Address, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use protocol::{
    bindings::{GpuEscrow, MockERC20},
    chain::{fetch_events, ChainError, EscrowEvent, LogFollower},
    deploy::{deploy_stack, StackParams},
    rental_id,
};

fn anvil_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
    assert!(
        path.exists(),
        "anvil not found at {}: run `npm ci` first",
        path.display()
    );
    path
}

fn connect(anvil: &AnvilInstance, i: usize) -> DynProvider {
    let signer = PrivateKeySigner::from(anvil.keys()[i].clone());
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url())
        .erased()
}

async fn mined<D: CallDecoder>(call: CallBuilder<&DynProvider, D>) -> TransactionReceipt {
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status(), "transaction {} reverted", receipt.transaction_hash);
    receipt
}

struct Setup {
    anvil: AnvilInstance,
    owner: DynProvider,
    provider: DynProvider,
    renter: DynProvider,
    escrow: Address,
    usdc: Address,
    offer_id: u64,
    deploy_block: u64,
}

/// Escrow + token, a registered provider with one offer.
async fn setup() -> Setup {
    let anvil = Anvil::at(anvil_path()).try_spawn().unwrap();
    let owner = connect(&anvil, 0);
    let provider = connect(&anvil, 2);
    let renter = connect(&anvil, 4);
    let usdc = MockERC20::deploy(owner.clone(), "USD Coin".into(), "USDC".into(), 6)
        .await
        .unwrap();
    let stack = deploy_stack(
        &owner,
        &StackParams::new(anvil.addresses()[0], anvil.addresses()[1], vec![anvil.addresses()[0]]),
    )
    .await
    .unwrap();
    stack
        .allow_token(&owner, *usdc.address(), U256::ZERO, U256::ZERO)
        .await
        .unwrap();
    let deploy_block = stack.deploy_block;
    let as_provider = GpuEscrow::new(stack.escrow, provider.clone());
    mined(as_provider.registerProvider(anvil.addresses()[2], anvil.addresses()[3], "http://127.0.0.1:9".into())).await;
    let params = GpuEscrow::OfferParams {
        gpuModel: "NVIDIA H100 80GB HBM3".into(),
        vramGiB: 80,
        gpuCount: 1,
        token: *usdc.address(),
        pricePerHour: U96::from(3_600_000u64),
        minDuration: 60,
        maxDuration: 86_400,
        spot: false,
        slaBps: 9_900,
        region: "eu".into(),
        capacity: 8,
    };
    let offer_id = as_provider.createOffer(params.clone()).call().await.unwrap();
    mined(as_provider.createOffer(params)).await;
    Setup {
        escrow: stack.escrow,
        usdc: *usdc.address(),
        anvil,
        owner,
        provider,
        renter,
        offer_id,
        deploy_block,
    }
}

impl Setup {
    /// Opens a one-hour rental from the renter; returns its id. A fresh provider each time: a
    /// reverted snapshot invalidates a cached nonce.
    async fn open(&self, salt: u8) -> B256 {
        let deposit = U256::from(3_600_000u64);
        let renter = connect(&self.anvil, 4);
        let usdc = MockERC20::new(self.usdc, renter.clone());
        mined(usdc.mint(self.anvil.addresses()[4], deposit)).await;
        mined(usdc.approve(self.escrow, deposit)).await;
        let escrow = GpuEscrow::new(self.escrow, renter);
        let receipt = mined(escrow.open(
            GpuEscrow::OpenParams {
                offerId: self.offer_id,
                deposit: U96::from(deposit),
                salt: B256::with_last_byte(salt),
            },
            renter_access_key(),
        ))
        .await;
        receipt.decoded_log::<GpuEscrow::RentalOpened>().unwrap().rentalId
    }
}

#[tokio::test]
async fn escrow_logs_decode_into_events_with_terms_rebuilt() {
    let s = setup().await;
    let id = s.open(1).await;
    let as_provider = GpuEscrow::new(s.escrow, s.provider.clone());
    mined(as_provider.updatePrice(s.offer_id, U96::from(7_200_000u64))).await;
    mined(as_provider.setCapacity(s.offer_id, 3)).await;
    mined(as_provider.setEndpoint("https://gpu.example:8443".into())).await;
    let head = s.owner.get_block_number().await.unwrap();
    let opened = fetch_events(&s.owner, s.escrow, s.deploy_block, head).await.unwrap();
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
    mined(GpuEscrow::new(s.escrow, s.renter.clone()).stop(terms.clone())).await;
    let head = s.owner.get_block_number().await.unwrap();
    let events = fetch_events(&s.owner, s.escrow, s.deploy_block, head).await.unwrap();
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
    s.open(1).await;
    s.owner.anvil_mine(Some(10), None).await.unwrap();
    let head = s.owner.get_block_number().await.unwrap();

    let mut follower = LogFollower::new(s.escrow, s.deploy_block, 3, 4);
    let mut events = Vec::new();
    let mut polls = 0;
    loop {
        let batch = follower.poll(&s.owner).await.unwrap();
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
    let batch = follower.poll(&s.owner).await.unwrap();
    assert!(batch.caught_up && batch.range.is_none() && batch.events.is_empty());
}

#[tokio::test]
async fn reorg_is_detected_and_rewound_to_the_first_replaced_block() {
    let s = setup().await;
    let mut follower = LogFollower::new(s.escrow, s.deploy_block, 0, 1_000);
    while !follower.poll(&s.owner).await.unwrap().caught_up {}

    // A rental opens in blocks that a reorg then replaces by empty ones.
    let fork_point = s.owner.get_block_number().await.unwrap();
    let snapshot = s.owner.anvil_snapshot().await.unwrap();
    let dropped = s.open(1).await;
    let batch = follower.poll(&s.owner).await.unwrap();
    assert!(batch.events.iter().any(|e| e.event.rental_id() == Some(dropped)));

    assert!(s.owner.anvil_revert(snapshot).await.unwrap());
    s.owner.anvil_increase_time(13).await.unwrap();
    s.owner.anvil_mine(Some(5), None).await.unwrap();
    let kept = s.open(2).await;

    let batch = follower.poll(&s.owner).await.unwrap();
    assert_eq!(
        batch.rewound_to,
        Some(fork_point + 1),
        "rewinds to the first replaced block"
    );
    assert!(batch.events.is_empty());
    assert_eq!(follower.next_block(), fork_point + 1);

    let mut events = Vec::new();
    loop {
        let batch = follower.poll(&s.owner).await.unwrap();
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
    while !follower.poll(&s.owner).await.unwrap().caught_up {}
    let snapshot = s.owner.anvil_snapshot().await.unwrap();
    s.open(1).await;
    while !follower.poll(&s.owner).await.unwrap().caught_up {}
    let saved: Vec<_> = follower.recent_blocks().collect();
    assert_eq!(saved.len(), 1, "history is bounded");

    // Restart after a reorg deeper than the one remembered block.
    assert!(s.owner.anvil_revert(snapshot).await.unwrap());
    s.owner.anvil_increase_time(7).await.unwrap();
    s.owner.anvil_mine(Some(8), None).await.unwrap();
    let mut restarted = LogFollower::new(s.escrow, follower.next_block(), 0, 1_000).with_recent_blocks(saved);
    match restarted.poll(&s.owner).await {
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

/// The renter's SSH public key in the wire format `open` takes.
fn renter_access_key() -> alloy::primitives::Bytes {
    protocol::access_key::to_wire(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK renter@example",
    )
    .expect("valid key")
    .into()
}
