//! The `gpu-escrow` binary with the dispute module, against a real anvil: a renter disputes a
//! rental, the provider adds evidence and the committee rules, a renter rates its provider once,
//! a provider unbonds and withdraws after the delay, and an attestation of the wrong GPU is
//! refused at settlement and proven instead.

// Each test is one story from start to end, so some run past 100 lines.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    missing_docs
)]

mod common;

use alloy::primitives::U256;
use common::{amount, b256, Market, DISPUTE_BOND_UNITS, DOWN_SECONDS, OTHER, RULING_PERIOD, UNBONDING_DELAY, USDC};
use protocol::bindings::DisputeModule;
use serde_json::json;
use testkit::{mined, ARBITER, GPU_MODEL, PROVIDER, RENTER};

#[tokio::test]
async fn a_dispute_freezes_the_rental_until_the_committees_ruling_is_executed() {
    let m = Market::setup().await;
    m.provide().await;
    let renter = m.address(RENTER);
    m.mint_usdc(renter, 30 * USDC).await;
    let id = m.rent_an_hour(1).await;
    m.chain.advance(600).await;

    // Only the renter or the provider may open one.
    let err = m
        .run(Some(OTHER), &["dispute", &id, "--evidence", "https://example.com/x"])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("only the renter"), "{err}");

    // Open: the exact dispute bond is approved and pulled, the rental frozen, the deadline shown.
    let before = m.balance(renter).await;
    let opened = m
        .run(
            Some(RENTER),
            &["--json", "dispute", &id, "--evidence", "https://example.com/case.json"],
        )
        .await
        .json();
    let bond = U256::from(DISPUTE_BOND_UNITS * USDC);
    assert_eq!(amount(&opened["bond"]), bond);
    assert_eq!(opened["arbitrationFee"], "0");
    assert_eq!(opened["evidenceURI"], "https://example.com/case.json");
    assert_eq!(before - m.balance(renter).await, bond);
    let usdc = protocol::bindings::MockERC20::new(m.usdc, m.chain.deployer.clone());
    assert_eq!(
        usdc.allowance(renter, m.dispute_module).call().await.unwrap(),
        U256::ZERO,
        "the approval was exactly the bond"
    );
    let status = m.run(None, &["--json", "status", &id]).await.json();
    assert_eq!(status["status"], "frozen");
    assert_eq!(status["dispute"]["state"], "open");
    assert_eq!(
        status["dispute"]["deadline"].as_u64().unwrap(),
        opened["deadline"].as_u64().unwrap()
    );
    assert!(opened["deadline"].as_u64().unwrap() >= status["chainTime"].as_u64().unwrap() + RULING_PERIOD - 5);
    let text = m.run(None, &["status", &id]).await.expect_ok().stdout;
    assert!(
        text.contains("frozen") && text.contains("the arbitrator rules before"),
        "{text}"
    );

    // Either party adds evidence while the dispute is open; anyone else is refused.
    let err = m
        .run(Some(OTHER), &["evidence", &id, "--evidence", "https://example.com/x"])
        .await
        .expect_err()
        .stderr;
    assert!(
        err.contains("only the renter") && err.contains("submit evidence"),
        "{err}"
    );
    let added = m
        .run(
            Some(PROVIDER),
            &["--json", "evidence", &id, "--evidence", "ipfs://bafy-provider-logs"],
        )
        .await
        .json();
    assert_eq!(added["party"], json!(m.address(PROVIDER)));
    assert_eq!(added["evidenceURI"], "ipfs://bafy-provider-logs");
    let module = DisputeModule::new(m.dispute_module, m.chain.deployer.clone());
    let logs = module.EvidenceSubmitted_filter().from_block(0).query().await.unwrap();
    let (submitted, log) = logs.last().unwrap();
    assert_eq!(submitted.rentalId, b256(&json!(id)));
    assert_eq!(submitted.party, m.address(PROVIDER));
    assert_eq!(submitted.evidenceURI, "ipfs://bafy-provider-logs");
    assert_eq!(log.transaction_hash, Some(b256(&added["tx"])));
    let text = m.run(None, &["dispute-status", &id]).await.expect_ok().stdout;
    assert!(text.contains("ipfs://bafy-provider-logs"), "{text}");

    // Frozen: no stop, extend or second dispute; the ruling cannot be executed before it exists.
    for args in [vec!["stop", id.as_str()], vec!["extend", id.as_str(), "1"]] {
        let err = m.run(Some(RENTER), &args).await.expect_err().stderr;
        assert!(err.contains("frozen by a dispute"), "{err}");
    }
    let err = m
        .run(
            Some(RENTER),
            &["dispute", &id, "--evidence", "https://example.com/again"],
        )
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("already has a dispute"), "{err}");
    let err = m.run(Some(OTHER), &["execute-ruling", &id]).await.expect_err().stderr;
    assert!(err.contains("the arbitrator has until"), "{err}");

    // The committee's member rules: 70 % of what is at stake to the renter (ruling 7001).
    let dispute_id: U256 = opened["arbitratorDisputeId"].as_str().unwrap().parse().unwrap();
    mined(m.arbitrator_as(&m.key(ARBITER)).vote(dispute_id, U256::from(7_001))).await;
    let ruled = m.run(None, &["--json", "dispute-status", &id]).await.json();
    assert_eq!(ruled["state"], "ruled");
    assert_eq!(ruled["executable"], true);
    assert_eq!(ruled["ruling"]["renterShareBps"], 7_000);
    assert_eq!(ruled["opened"]["opener"], json!(renter));
    let text = m.run(None, &["dispute-status", &id]).await.expect_ok().stdout;
    assert!(
        text.contains("renter 70 %, provider 30 %") && text.contains("execute-ruling"),
        "{text}"
    );

    // Anyone executes it. The freeze stopped the clock after ~10 minutes: the cost of those is at stake, and the
    // renter gets 70 % of it, the deposit for the rest of the hour and its bond back (it won).
    let before = m.balance(renter).await;
    let executed = m.run(Some(OTHER), &["--json", "execute-ruling", &id]).await.json();
    assert_eq!(executed["renterShareBps"], "7000");
    assert_eq!(executed["fallbackApplied"], false);
    assert_eq!(executed["bondTo"], json!(renter));
    let to_renter = amount(&executed["toRenter"]);
    let at_stake = to_renter + amount(&executed["toProvider"]) + amount(&executed["fee"]);
    let returned = amount(&executed["returned"]);
    assert_eq!(returned + at_stake, U256::from(2_500_000), "the whole deposit");
    let frozen_after = protocol::billing::covered_seconds(U256::from(2_500_000), at_stake);
    assert!(
        (600..700).contains(&frozen_after),
        "at stake: the cost of the {frozen_after} s before the freeze"
    );
    assert_eq!(to_renter, at_stake * U256::from(7_000) / U256::from(10_000));
    assert_eq!(m.balance(renter).await - before, returned + to_renter + bond);

    // Closed: the receipt and status tell the outcome; the provider's record counts a lost dispute.
    let receipt = m.run(None, &["--json", "receipt", &id]).await.json();
    assert_eq!(receipt["status"], "resolved");
    assert_eq!(amount(&receipt["refund"]), returned + to_renter);
    assert_eq!(
        amount(&receipt["providerNet"]) + amount(&receipt["fee"]) + amount(&receipt["refund"]),
        amount(&receipt["deposit"])
    );
    assert_eq!(receipt["dispute"]["state"], "resolved");
    assert!(receipt["txs"]["resolve"].is_string());
    let status = m.run(None, &["--json", "status", &id]).await.json();
    assert_eq!(status["status"], "resolved");
    let err = m.run(Some(OTHER), &["execute-ruling", &id]).await.expect_err().stderr;
    assert!(err.contains("already resolved"), "{err}");
    let offers = m.run(None, &["--json", "offers"]).await.json();
    assert_eq!(offers[0]["reliability"]["disputesOpened"], 1);
    assert_eq!(offers[0]["reliability"]["disputesLost"], 1);
    let table = m.run(None, &["offers"]).await.expect_ok().stdout;
    assert!(table.contains("LOST") && table.contains("RATING"), "{table}");

    // No ruling by the deadline: the billing rules apply as if no dispute had been opened. Anyone settles the
    // rental with the provider's final attestation: the renter pays the seconds before the freeze, the bond back.
    let second = m.rent_an_hour(1).await;
    m.chain.advance(300).await;
    m.run(
        Some(RENTER),
        &["dispute", &second, "--evidence", "ipfs://bafy-evidence"],
    )
    .await
    .expect_ok();
    m.chain.advance(RULING_PERIOD).await;
    let expired = m.run(None, &["--json", "dispute-status", &second]).await.json();
    assert_eq!(expired["state"], "expired");
    assert_eq!(expired["executable"], true);
    let text = m.run(None, &["dispute-status", &second]).await.expect_ok().stdout;
    assert!(text.contains("the billing rules apply"), "{text}");
    let before = m.balance(renter).await;
    let executed = m.run(Some(OTHER), &["--json", "execute-ruling", &second]).await.json();
    assert_eq!(executed["fallbackApplied"], true);
    assert_eq!(executed["bondTo"], json!(renter));
    let billed = executed["billedSeconds"].as_u64().unwrap();
    assert!((300..400).contains(&billed), "billed up to the freeze: {billed}");
    let cost = amount(&executed["cost"]);
    assert_eq!(cost, protocol::billing::cost(U256::from(2_500_000), billed));
    assert_eq!(
        amount(&executed["refund"]) + cost,
        U256::from(2_500_000) + amount(&executed["slaCredit"])
    );
    assert_eq!(
        m.balance(renter).await - before,
        amount(&executed["refund"]) + bond,
        "nobody gains from a dispute nobody rules on"
    );
    let receipt = m.run(None, &["--json", "receipt", &second]).await.json();
    assert_eq!(receipt["status"], "settled");
    assert_eq!(receipt["dispute"]["state"], "resolved");
    assert_eq!(receipt["dispute"]["resolved"]["fallbackApplied"], true);
}

#[tokio::test]
async fn the_renter_rates_a_settled_rental_once() {
    let m = Market::setup().await;
    m.provide().await;
    m.mint_usdc(m.address(RENTER), 10 * USDC).await;
    let id = m.rent_an_hour(1).await;

    let err = m.run(Some(RENTER), &["rate", &id, "5"]).await.expect_err().stderr;
    assert!(err.contains("still open"), "{err}");
    m.chain.advance(1_200).await;
    let settled = m.run(Some(RENTER), &["--json", "stop", &id]).await.json();
    assert!(settled["billedSeconds"].as_u64().unwrap() >= 1_200 - DOWN_SECONDS);

    let err = m.run(Some(RENTER), &["rate", &id, "6"]).await.expect_err().stderr;
    assert!(err.contains("6 is not in 1..=5"), "{err}");
    let err = m.run(Some(OTHER), &["rate", &id, "1"]).await.expect_err().stderr;
    assert!(err.contains("only the renter"), "{err}");
    let rated = m.run(Some(RENTER), &["--json", "rate", &id, "4"]).await.json();
    assert_eq!(rated["score"], 4);
    assert_eq!(rated["provider"], json!(m.address(PROVIDER)));
    let err = m.run(Some(RENTER), &["rate", &id, "5"]).await.expect_err().stderr;
    assert!(err.contains("already rated"), "{err}");

    let offers = m.run(None, &["--json", "offers"]).await.json();
    let reliability = &offers[0]["reliability"];
    assert_eq!(reliability["ratingCount"], 1);
    assert_eq!(reliability["averageRating"].as_f64(), Some(4.0));
    assert_eq!(reliability["completedRentals"], 1);
    let table = m.run(None, &["offers"]).await.expect_ok().stdout;
    assert!(table.contains("4.0/5 (1)"), "{table}");
    let bonds = m
        .run(None, &["bond-status", "--provider", &m.address(PROVIDER).to_string()])
        .await
        .expect_ok()
        .stdout;
    assert!(bonds.contains("rated 4.0/5 (1)"), "{bonds}");
}

#[tokio::test]
async fn a_provider_unbonds_and_withdraws_after_the_delay() {
    let m = Market::setup().await;
    m.provide().await;
    let provider = m.address(PROVIDER);
    let status = m.run(Some(PROVIDER), &["--json", "bond-status"]).await.json();
    let usdc_bond = status["bonds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["token"]["symbol"] == "USDC")
        .unwrap()
        .clone();
    assert_eq!(usdc_bond["amount"], "100000000");
    assert_eq!(usdc_bond["minBond"], "100000000");
    assert_eq!(usdc_bond["offersAllowed"], true);

    // Below the minimum while offer 1 is listed: refused, with the offer named.
    let err = m.run(Some(PROVIDER), &["unbond", "50"]).await.expect_err().stderr;
    assert!(
        err.contains("would leave 50.00 USDC bonded, below the 100.00 USDC")
            && err.contains("gpu-escrow offer retire 1"),
        "{err}"
    );

    // Above the minimum: bond 20 more, then ask for those 20 back.
    m.mint_usdc(provider, 20 * USDC).await;
    let bonded = m.run(Some(PROVIDER), &["--json", "bond", "20"]).await.json();
    assert_eq!(bonded["total"], "120000000");
    let requested = m.run(Some(PROVIDER), &["--json", "unbond", "20"]).await.json();
    let withdrawable_at = requested["withdrawableAt"].as_u64().unwrap();
    let err = m.run(Some(PROVIDER), &["withdraw-bond"]).await.expect_err().stderr;
    assert!(err.contains("the unbonding delay has not passed"), "{err}");
    let text = m.run(Some(PROVIDER), &["bond-status"]).await.expect_ok().stdout;
    assert!(text.contains("20.00 USDC (from "), "{text}");

    m.chain.advance(UNBONDING_DELAY).await;
    let before = m.balance(provider).await;
    let withdrawn = m.run(Some(PROVIDER), &["--json", "withdraw-bond"]).await.json();
    assert_eq!(withdrawn["amount"], "20000000");
    assert_eq!(m.balance(provider).await - before, U256::from(20 * USDC));
    let module = DisputeModule::new(m.dispute_module, m.chain.deployer.clone());
    let account = module.bondOf(provider, m.usdc).call().await.unwrap();
    assert_eq!(account.amount, 100 * u128::from(USDC));
    assert_eq!(account.unbonding, 0);
    assert!(withdrawable_at > 0);
    let err = m.run(Some(PROVIDER), &["withdraw-bond"]).await.expect_err().stderr;
    assert!(err.contains("nothing to withdraw"), "{err}");
}

#[tokio::test]
async fn settle_refuses_an_attestation_of_another_gpu_and_prove_wrong_gpu_slashes() {
    let m = Market::setup().await;
    m.provide().await;
    let renter = m.address(RENTER);
    m.mint_usdc(renter, 10 * USDC).await;
    let id = m.rent_an_hour(1).await;
    m.chain.advance(600).await;

    // The host now attests an A100 for an H100 offer.
    m.fake().set_gpu_model("NVIDIA A100-SXM4-40GB");
    let err = m.run(Some(RENTER), &["stop", &id]).await.expect_err().stderr;
    assert!(
        err.contains("other than offer 1's") && err.contains(&format!("gpu-escrow prove-wrong-gpu {id}")),
        "{err}"
    );
    m.run(Some(RENTER), &["stop", "--no-settle", &id]).await.expect_ok();
    let err = m.run(Some(RENTER), &["settle", &id]).await.expect_err().stderr;
    assert!(err.contains("prove-wrong-gpu"), "{err}");

    // Anyone proves it: the whole deposit back, 20 % of the 100 USDC bond slashed, 10 % of that to
    // the prover and 50 % to the renter.
    let before = m.balance(renter).await;
    let proven = m.run(Some(OTHER), &["--json", "prove-wrong-gpu", &id]).await.json();
    assert_eq!(proven["refund"], "2500000");
    assert_eq!(proven["slashed"], "20000000");
    assert_eq!(proven["bounty"], "2000000");
    assert_eq!(proven["toRenter"], "10000000");
    assert_eq!(m.balance(m.address(OTHER)).await, U256::from(2 * USDC));
    assert_eq!(m.balance(renter).await - before, U256::from(2_500_000 + 10 * USDC));
    let receipt = m.run(None, &["--json", "receipt", &id]).await.json();
    assert_eq!(receipt["status"], "resolved");
    assert_eq!(receipt["refund"], "2500000");
    assert_eq!(receipt["dispute"]["slashed"]["amount"], "20000000");

    // The slash left the bond below the minimum: the offer is suspended until the provider tops it up.
    let offers = m.run(None, &["--json", "offers"]).await.json();
    assert_eq!(offers[0]["suspended"], true);
    let table = m.run(None, &["offers"]).await.expect_ok().stdout;
    assert!(table.contains("suspended"), "{table}");
    let err = m
        .run(
            Some(RENTER),
            &["rent", "1", "--hours", "1", "--ssh-key", &m.ssh_key_arg()],
        )
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("GpuEscrow_OfferSuspended(offerId: 1)"), "{err}");
    m.mint_usdc(m.address(PROVIDER), 20 * USDC).await;
    let bonded = m.run(Some(PROVIDER), &["--json", "bond", "20"]).await.json();
    assert_eq!(
        bonded["reinstated"],
        json!([1]),
        "bonding reinstates the suspended offer"
    );

    // The right model proves nothing.
    m.fake().set_gpu_model(GPU_MODEL);
    let other = m.rent_an_hour(1).await;
    let err = m
        .run(Some(OTHER), &["prove-wrong-gpu", &other])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("nothing to prove"), "{err}");
}
