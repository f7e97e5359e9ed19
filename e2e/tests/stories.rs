//! The end-to-end stories besides `make demo`'s (which `make test` runs too): the keeper, not the renter, settles
//! after the challenge window; and a GPU fault on the provider's host lowers the bill and, below the offer's SLA,
//! earns the renter an SLA credit. Real anvil, real escrow, the
//! real `gpu-oracle` (mock GPU) and `gpu-keeper` binaries; every amount is checked on-chain against the billing
//! rules (`protocol::billing`).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::time::Duration;

use alloy::{primitives::U256, providers::Provider};
use common::{mined, Market, FEE_BPS, PRICE_PER_HOUR};
use protocol::{billing, rental_id, RentalTerms};

/// What each party holds, to compare before and after.
struct Books {
    renter: U256,
    escrow: U256,
    net: U256,
    fees: U256,
}

async fn books(m: &Market) -> Books {
    let account = m.escrow_as(&m.renter()).offerAccount(m.offer_id).call().await.unwrap();
    Books {
        renter: m.balance(m.renter().address()).await,
        escrow: m.balance(m.escrow).await,
        net: U256::from(account.net),
        fees: U256::from(account.fees),
    }
}

/// The books just before the renter opens: `Market::open` mints the deposit first, so the renter holds it then.
async fn before_open(m: &Market, deposit: U256) -> Books {
    let books = books(m).await;
    Books {
        renter: books.renter + deposit,
        ..books
    }
}

/// Checks the settlement of `terms` (`billed` of `wall` seconds) against the billing rules, the SLA credit and
/// everyone's balances; returns the split.
async fn check_settlement(
    m: &Market,
    terms: &RentalTerms,
    deposit: U256,
    before: &Books,
    (billed, wall): (u64, u64),
    settled: &protocol::bindings::GpuEscrow::RentalSettled,
) -> billing::Settlement {
    let price = U256::from(PRICE_PER_HOUR);
    let split = billing::settle(price, FEE_BPS, deposit, 0, billed)
        .unwrap()
        .with_sla_credit(billed, wall, terms.slaBps);
    assert_eq!(
        (settled.billedSeconds, settled.cost, settled.refund, settled.slaCredit),
        (billed, split.cost, split.refund, split.sla_credit),
        "RentalSettled as billing predicts"
    );
    let after = books(m).await;
    // The deposit was pulled at open and the refund pushed at settlement: the renter is out the cost less the SLA
    // credit.
    assert_eq!(
        after.renter,
        before.renter - split.cost + split.sla_credit,
        "renter paid exactly cost(billed) − SLA credit"
    );
    assert_eq!(
        after.escrow,
        before.escrow + split.cost - split.sla_credit,
        "escrow holds the cost for provider and treasury"
    );
    assert_eq!(after.net - before.net, split.provider_net, "provider earned cost - fee");
    assert_eq!(after.fees - before.fees, split.fee, "treasury's fee");
    assert_eq!(
        split.provider_net + split.fee + split.refund,
        deposit,
        "nothing lost, nothing created"
    );
    let state = m
        .escrow_as(&m.renter())
        .rentalState(rental_id(terms))
        .call()
        .await
        .unwrap();
    assert_eq!(state.status, 0, "rental closed, its slot deleted");
    split
}

/// A renter's browser on another origin (the dApp) may read the oracle and send the signed access request.
async fn check_cors(m: &Market, id: alloy::primitives::B256) {
    let client = reqwest::Client::new();
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/v1/rentals/{id}/access", m.oracle_url),
        )
        .header("Origin", "https://dapp.example")
        .header("Access-Control-Request-Method", "GET")
        .header(
            "Access-Control-Request-Headers",
            "x-access-timestamp,x-access-signature",
        )
        .send()
        .await
        .unwrap();
    assert!(
        preflight.status().is_success(),
        "preflight answered {}",
        preflight.status()
    );
    let headers = preflight.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("x-access-signature") && allowed.contains("x-access-timestamp"),
        "{allowed}"
    );
    let usage = client
        .get(format!("{}/v1/rentals/{id}/usage", m.oracle_url))
        .header("Origin", "https://dapp.example")
        .send()
        .await
        .unwrap();
    assert_eq!(usage.headers()["access-control-allow-origin"], "*");
}

#[tokio::test(flavor = "multi_thread")]
async fn keeper_settles_after_the_challenge_window() {
    let mut m = Market::start("keeper-settles", None).await;
    m.start_keeper();
    let deposit = billing::deposit_for(U256::from(PRICE_PER_HOUR), 3_600);
    let before = before_open(&m, deposit).await;
    let (terms, _) = m.open(deposit).await;
    let id = rental_id(&terms);

    // The GPU runs a few seconds, then the renter stops and walks away without settling.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let stop = mined(m.escrow_as(&m.renter()).stop(terms.clone())).await;
    let stopped_at = m
        .chain
        .get_block_by_number(stop.block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;

    // The oracle sees the stop and signs a final attestation covering it.
    let mut final_attestation = None;
    for _ in 0..100 {
        if let Some(a) = m.attestation(id, false).await {
            if a.attestation.periodEnd >= stopped_at {
                final_attestation = Some(a);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let final_attestation = final_attestation.expect("the oracle signs a final attestation after the stop");
    let wall = stopped_at - terms.startedAt.to::<u64>();
    let uptime = final_attestation.attestation.uptimeSeconds;
    assert!(
        uptime <= wall && uptime + 3 >= wall,
        "a healthy GPU is up (almost) all {wall} s: {uptime}"
    );

    // Nobody else settles: an hour later (the challenge window) the keeper does, with that attestation.
    m.advance(u64::from(terms.challengeWindow) + 5).await;
    let (settled, receipt) = m.settled(id, Duration::from_secs(90)).await;
    assert_eq!(
        receipt.from,
        m.keeper_key().address(),
        "settled by the keeper, not the renter"
    );
    assert_eq!(settled.billedSeconds, uptime, "billed the attested uptime");
    check_settlement(&m, &terms, deposit, &before, (uptime, wall), &settled).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gpu_fault_lowers_the_bill() {
    // The mock GPU stops answering 8 s after the oracle starts, for 6 s: inside the rental opened just after start.
    let plan = "[[faults]]\ngpu = 0\nat = 8\nkind = \"unresponsive\"\nduration = 6\n";
    let m = Market::start("gpu-fault", Some(plan)).await;
    let deposit = billing::deposit_for(U256::from(PRICE_PER_HOUR), 3_600);
    let before = before_open(&m, deposit).await;
    let (terms, _) = m.open(deposit).await;
    let id = rental_id(&terms);

    tokio::time::sleep(Duration::from_secs(20)).await;
    check_cors(&m, id).await;
    let usage = m.usage(id).await;
    let up = usage["uptimeSeconds"].as_u64().unwrap();
    let elapsed = usage["elapsedSeconds"].as_u64().unwrap();
    assert!(
        elapsed >= up + 5,
        "the oracle counts the fault as downtime: up {up} s of {elapsed} s"
    );

    // The renter's normal way out: a fresh attestation, then stop and settle in one transaction.
    let fresh = m.attestation(id, true).await.expect("fresh attestation");
    let usage = fresh.attestation.usage();
    let receipt = mined(
        m.escrow_as(&m.renter())
            .stopAndSettle(terms.clone(), usage, fresh.signature_65().into()),
    )
    .await;
    let settled = receipt
        .decoded_log::<protocol::bindings::GpuEscrow::RentalSettled>()
        .expect("RentalSettled")
        .data;
    let stopped_at = m
        .chain
        .get_block_by_number(receipt.block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let wall = stopped_at - terms.startedAt.to::<u64>();
    let billed = fresh.attestation.uptimeSeconds;
    assert_eq!(settled.billedSeconds, billed);
    assert!(
        billed + 5 <= wall,
        "billed {billed} s of {wall} s wall clock: the fault seconds are not paid"
    );
    let cost = billing::cost(U256::from(PRICE_PER_HOUR), billed);
    assert!(
        cost < billing::cost(U256::from(PRICE_PER_HOUR), wall),
        "the fault lowered the bill"
    );
    assert_eq!(settled.cost, cost);
    // Far below the offer's 99 % SLA: the renter also gets the SLA credit back, here its 50 % cap.
    let split = check_settlement(&m, &terms, deposit, &before, (billed, wall), &settled).await;
    assert!(split.sla_credit > U256::ZERO, "an SLA breach earns a credit");
    assert_eq!(split.sla_credit, cost / U256::from(2), "the 50 % cap");
}
