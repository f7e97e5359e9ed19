//! The `gpu-escrow` binary end to end against a real anvil and the real escrow: a provider
//! publishes offers, a renter rents them (approve, permit, native coin), watches, extends, stops,
//! settles and reads receipts, and errors read as what to do.

// Each test is one story from start to end, so some run past 100 lines.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::too_many_lines,
    missing_docs
)]

mod common;

use alloy::{eips::BlockId, primitives::U256, providers::Provider, signers::local::PrivateKeySigner};
use common::{amount, b256, Market, DOWN_SECONDS, OTHER, USDC};
use protocol::bindings::{GpuEscrow, MockERC20};
use serde_json::Value;
use testkit::{Access, ATTESTER, PROVIDER, RENTER};
use tokio::io::AsyncBufReadExt;

fn ids(list: &Value) -> Vec<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn provider_publishes_offers_and_renters_filter_them() {
    let m = Market::setup().await;
    m.provide().await;

    let all = m.run(None, &["--json", "offers"]).await.json();
    assert_eq!(ids(&all), vec![1, 2, 3]);
    let h100 = &all[0];
    assert_eq!(h100["model"], "NVIDIA H100 80GB HBM3");
    assert_eq!(h100["pricePerHour"], "2500000");
    assert_eq!(h100["token"]["symbol"], "USDC");
    assert_eq!(all[1]["token"]["symbol"], "DAI");
    assert_eq!(all[2]["token"]["symbol"], "ETH");
    assert_eq!(all[1]["spot"], true);

    let filtered = |args: &'static [&'static str]| {
        let m = &m;
        async move {
            let mut full = vec!["--json", "offers"];
            full.extend_from_slice(args);
            ids(&m.run(None, &full).await.json())
        }
    };
    assert_eq!(filtered(&["--model", "h100"]).await, vec![1, 3]);
    assert_eq!(filtered(&["--model", "A100"]).await, vec![2]);
    assert_eq!(filtered(&["--min-vram", "50"]).await, vec![1, 3]);
    assert_eq!(filtered(&["--max-price", "2"]).await, vec![2, 3]);
    assert_eq!(filtered(&["--region", "US-EAST"]).await, vec![2]);
    assert_eq!(filtered(&["--spot"]).await, vec![2]);
    assert_eq!(filtered(&["--on-demand"]).await, vec![1, 3]);

    // The table shows prices in token units with the symbol.
    let table = m.run(None, &["offers"]).await.expect_ok().stdout;
    assert!(table.contains("2.50 USDC"), "{table}");
    assert!(table.contains("1.20 DAI"), "{table}");
    assert!(table.contains("0.001 ETH"), "{table}");
    assert!(table.contains("0/10"), "{table}");

    // Price, capacity and retirement.
    m.run(Some(PROVIDER), &["offer", "update-price", "1", "--price", "3"])
        .await
        .expect_ok();
    m.run(Some(PROVIDER), &["offer", "capacity", "2", "7"])
        .await
        .expect_ok();
    m.run(Some(PROVIDER), &["offer", "retire", "3"]).await.expect_ok();
    let after = m.run(None, &["--json", "offers"]).await.json();
    assert_eq!(ids(&after), vec![1, 2], "a retired offer is hidden");
    assert_eq!(after[0]["pricePerHour"], "3000000");
    assert_eq!(after[1]["capacity"], 7);
    assert_eq!(
        ids(&m.run(None, &["--json", "offers", "--all"]).await.json()),
        vec![1, 2, 3]
    );

    // Only the offer's provider may change it: the revert is decoded by name.
    let err = m
        .run(Some(RENTER), &["offer", "update-price", "1", "--price", "1"])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("GpuEscrow_NotOfferProvider(offerId: 1, caller: "), "{err}");
}

#[tokio::test]
async fn renting_with_approve_permit_and_native_coin_then_status_extend_and_history() {
    let m = Market::setup().await;
    m.provide().await;
    let renter = m.address(RENTER);
    m.mint_usdc(renter, 20 * USDC).await;
    let key = m.ssh_key_arg();

    // Approve exactly the deposit, then open.
    let approved = m
        .run(
            Some(RENTER),
            &["--json", "rent", "1", "--hours", "1", "--ssh-key", &key],
        )
        .await
        .json();
    assert_eq!(approved["deposit"], "2500000");
    assert_eq!(approved["feeBps"], 250);
    let usdc = MockERC20::new(m.usdc, m.chain.deployer.clone());
    assert_eq!(
        usdc.allowance(renter, m.escrow).call().await.unwrap(),
        U256::ZERO,
        "the approval was exactly the deposit"
    );
    assert_eq!(m.balance(renter).await, U256::from(17_500_000));

    // A permit: one transaction, no approval left behind.
    let permitted = m
        .run(
            Some(RENTER),
            &[
                "--json",
                "rent",
                "1",
                "--deposit",
                "5",
                "--pay",
                "permit",
                "--ssh-key",
                &key,
            ],
        )
        .await
        .json();
    assert_eq!(permitted["deposit"], "5000000");
    assert_eq!(m.balance(renter).await, U256::from(12_500_000));
    assert_eq!(usdc.allowance(renter, m.escrow).call().await.unwrap(), U256::ZERO);
    let tx = m
        .chain
        .deployer
        .get_transaction_by_hash(b256(&permitted["tx"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alloy::consensus::Transaction::to(&tx), Some(m.escrow));

    // The native coin: the deposit is the transaction's value.
    let before = m.chain.deployer.get_balance(renter).await.unwrap();
    let native = m
        .run(
            Some(RENTER),
            &["--json", "rent", "3", "--hours", "2", "--ssh-key", &key],
        )
        .await
        .json();
    assert_eq!(native["deposit"], "2000000000000000");
    assert_eq!(native["token"]["symbol"], "ETH");
    let spent = before - m.chain.deployer.get_balance(renter).await.unwrap();
    assert!(spent >= U256::from(2_000_000_000_000_000u64), "{spent}");

    // status --json is the rental's quote at the block it reports: its state there and the block's time.
    m.chain.advance(600).await;
    let id = b256(&approved["rentalId"]);
    let status = m.run(None, &["--json", "status", &format!("{id:#x}")]).await.json();
    let escrow = GpuEscrow::new(m.escrow, m.chain.deployer.clone());
    let terms = m.terms(id).await.unwrap();
    let state = escrow
        .rentalState(id)
        .block(BlockId::number(status["block"].as_u64().unwrap()))
        .call()
        .await
        .unwrap();
    let chain_time = status["chainTime"].as_u64().unwrap();
    let quote = protocol::billing::quote(&terms, &state, chain_time);
    let started: u64 = terms.startedAt.to();
    assert_eq!(status["status"], "running");
    assert_eq!(status["elapsedSeconds"].as_u64().unwrap(), quote.elapsed);
    assert_eq!(
        quote.elapsed,
        chain_time - started,
        "running: elapsed to the block's time"
    );
    assert!(quote.elapsed >= 600);
    let price = U256::from(terms.pricePerHour);
    assert_eq!(
        amount(&status["accrued"]),
        protocol::billing::cost(price, quote.elapsed)
    );
    assert_eq!(
        amount(&status["remaining"]),
        U256::from(state.deposit) - quote.accrued_max
    );
    assert_eq!(amount(&status["paid"]), U256::ZERO, "nothing checkpointed");
    assert_eq!(
        status["endsAt"].as_u64().unwrap(),
        started + protocol::billing::covered_seconds(price, U256::from(state.deposit))
    );
    assert_eq!(status["timeLeftSeconds"].as_u64().unwrap(), quote.ends_at - chain_time);
    // The oracle's measured uptime comes along.
    let usage = &status["oracle"]["usage"];
    assert_eq!(
        usage["uptimeSeconds"].as_u64().unwrap() + DOWN_SECONDS,
        usage["elapsedSeconds"].as_u64().unwrap()
    );
    let text = m.run(None, &["status", &format!("{id:#x}")]).await.expect_ok().stdout;
    assert!(text.contains("remaining:"), "{text}");
    assert!(text.contains("USDC"), "{text}");
    assert!(text.contains("GPU utilization 93 %"), "{text}");

    // Extend by 1.25 USDC: the deposit and the end move.
    let extended = m
        .run(Some(RENTER), &["--json", "extend", &format!("{id:#x}"), "1.25"])
        .await
        .json();
    assert_eq!(extended["deposit"], "3750000");
    let status = m.run(None, &["--json", "status", &format!("{id:#x}")]).await.json();
    assert_eq!(status["deposit"], "3750000");
    assert_eq!(
        status["endsAt"].as_u64().unwrap(),
        status["startedAt"].as_u64().unwrap() + 5_400,
        "3.75 USDC at 2.50 USDC/h is 1.5 h"
    );

    // History: the signer's rentals by default, or another renter's.
    let history = m.run(Some(RENTER), &["--json", "history"]).await.json();
    let listed: Vec<String> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rentalId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0], approved["rentalId"].as_str().unwrap());
    assert!(history.as_array().unwrap().iter().all(|r| r["status"] == "running"));
    let other = m
        .run(None, &["--json", "history", "--renter", &m.address(OTHER).to_string()])
        .await
        .json();
    assert_eq!(other.as_array().unwrap().len(), 0);
    let table = m.run(Some(RENTER), &["history"]).await.expect_ok().stdout;
    assert!(table.contains("running") && table.contains("so far"), "{table}");
}

#[tokio::test]
async fn stop_settles_with_a_verified_attestation_and_the_receipt_adds_up() {
    let m = Market::setup().await;
    m.provide().await;
    let renter = m.address(RENTER);
    m.mint_usdc(renter, 20 * USDC).await;
    let key = m.ssh_key_arg();
    let rent = |deposit: &'static str| {
        let (m, key) = (&m, key.clone());
        async move {
            let opened = m
                .run(
                    Some(RENTER),
                    &["--json", "rent", "1", "--deposit", deposit, "--ssh-key", &key],
                )
                .await
                .json();
            format!("{:#x}", b256(&opened["rentalId"]))
        }
    };
    let first = rent("2.5").await;
    let second = rent("2.5").await;
    let third = rent("2.5").await;
    m.chain.advance(1_200).await;

    // stop = fresh attestation from the oracle, verified, then stopAndSettle.
    let before = m.balance(renter).await;
    let settled = m.run(Some(RENTER), &["--json", "stop", &first]).await.json();
    let billed = settled["billedSeconds"].as_u64().unwrap();
    assert!(
        (1_200 - DOWN_SECONDS..=1_210 - DOWN_SECONDS).contains(&billed),
        "{billed}"
    );
    assert_eq!(
        m.balance(renter).await - before,
        amount(&settled["refund"]),
        "the refund reached the renter"
    );

    let receipt = m.run(None, &["--json", "receipt", &first]).await.json();
    assert_eq!(receipt["status"], "settled");
    assert_eq!(receipt["gpuModel"], "NVIDIA H100 80GB HBM3");
    assert_eq!(receipt["billedSeconds"].as_u64().unwrap(), billed);
    let (deposit, cost, fee, net, refund) = (
        amount(&receipt["deposit"]),
        amount(&receipt["cost"]),
        amount(&receipt["fee"]),
        amount(&receipt["providerNet"]),
        amount(&receipt["refund"]),
    );
    let credit = amount(&receipt["slaCredit"]);
    assert_eq!(net + fee + refund, deposit);
    assert_eq!(cost, net + fee + credit);
    assert_eq!(cost, protocol::billing::cost(U256::from(2_500_000), billed));
    assert_eq!(fee, protocol::billing::fee(cost, 250));
    assert_eq!(receipt["credited"], "0");
    let ended = receipt["endedAt"].as_u64().unwrap();
    let started = receipt["startedAt"].as_u64().unwrap();
    assert!(ended >= started + 1_200);
    // 30 s down in ~1,200 s is ~97.5 % uptime, below the offer's 99 %: 10 bps of the cost back per
    // bps short, out of the provider's share.
    let short_bps = 9_900 - billed * 10_000 / (ended - started);
    assert_eq!(
        credit,
        cost * U256::from((short_bps * 10).min(5_000)) / U256::from(10_000)
    );
    assert!(credit > U256::ZERO);
    assert_eq!(amount(&settled["slaCredit"]), credit);
    assert_eq!(amount(&receipt["paid"]), cost - credit);
    for tx in [&receipt["txs"]["open"], &receipt["txs"]["settle"]] {
        let mined = m.chain.deployer.get_transaction_receipt(b256(tx)).await.unwrap();
        assert!(mined.is_some_and(|r| r.status()), "{tx} is not on chain");
    }
    let text = m.run(None, &["receipt", &first]).await.expect_ok().stdout;
    assert!(
        text.contains("settle tx") && text.contains("NVIDIA H100 80GB HBM3"),
        "{text}"
    );
    assert!(
        text.contains("SLA credit:") && text.contains("uptime below the offer's 99 %"),
        "{text}"
    );

    // stop --no-settle, then settle: by someone else only after the challenge window.
    m.run(Some(RENTER), &["stop", "--no-settle", &second]).await.expect_ok();
    let err = m.run(Some(OTHER), &["settle", &second]).await.expect_err().stderr;
    assert!(err.contains("challenge window is open"), "{err}");
    let settled = m.run(Some(RENTER), &["--json", "settle", &second]).await.json();
    assert!(settled["billedSeconds"].as_u64().unwrap() > 0);
    let receipt = m.run(None, &["--json", "receipt", &second]).await.json();
    for tx in [
        &receipt["txs"]["open"],
        &receipt["txs"]["stop"],
        &receipt["txs"]["settle"],
    ] {
        assert!(m
            .chain
            .deployer
            .get_transaction_receipt(b256(tx))
            .await
            .unwrap()
            .is_some());
    }
    assert_eq!(
        amount(&receipt["providerNet"]) + amount(&receipt["fee"]) + amount(&receipt["refund"]),
        amount(&receipt["deposit"])
    );

    // A running rental cannot be settled; the message says what to do.
    let err = m.run(Some(RENTER), &["settle", &third]).await.expect_err().stderr;
    assert!(
        err.contains("still running") && err.contains("gpu-escrow stop"),
        "{err}"
    );

    // The provider's record now counts two completed rentals; earnings are claimable.
    let offers = m.run(None, &["--json", "offers"]).await.json();
    assert_eq!(offers[0]["reliability"]["completedRentals"], 2);
    assert_eq!(offers[0]["reliability"]["disputesLost"], 0);
    assert_eq!(offers[0]["reliability"]["averageRating"], Value::Null);
    let uptime = offers[0]["reliability"]["uptimePercent"].as_f64().unwrap();
    assert!(uptime > 90.0 && uptime < 100.0, "{uptime}");
    let earnings = m.run(Some(PROVIDER), &["--json", "earnings"]).await.json();
    let accrued = amount(&earnings["offers"][0]["accruedNet"]);
    assert!(accrued > U256::ZERO);
    let payout_before = m.balance(m.address(PROVIDER)).await;
    let claimed = m.run(Some(PROVIDER), &["--json", "claim", "1"]).await.json();
    assert_eq!(amount(&claimed["net"]), accrued);
    assert_eq!(m.balance(m.address(PROVIDER)).await - payout_before, accrued);
    let err = m.run(Some(PROVIDER), &["withdraw", "USDC"]).await.expect_err().stderr;
    assert!(err.contains("nothing to withdraw"), "{err}");
}

#[tokio::test]
async fn access_is_asked_with_the_renters_signature() {
    let m = Market::setup().await;
    m.provide().await;
    m.mint_usdc(m.address(RENTER), 10 * USDC).await;
    let id = m.rent_an_hour(1).await;

    let ready = m.run(Some(RENTER), &["access", &id]).await.expect_ok().stdout;
    assert!(ready.contains("ssh -p 2222 renter@127.0.0.1"), "{ready}");
    assert_eq!(m.fake().granted(), vec![m.address(RENTER)]);

    m.fake().set_access(Access::Provisioning);
    let waiting = m.run(Some(RENTER), &["access", &id]).await.expect_ok().stdout;
    assert!(
        waiting.contains("still provisioning, attempt 3, last error: hook timed out"),
        "{waiting}"
    );

    m.fake().set_access(Access::Gone);
    let err = m.run(Some(RENTER), &["access", &id]).await.expect_err().stderr;
    assert!(
        err.contains("410") && err.contains("rental ended: access removed"),
        "{err}"
    );

    let err = m.run(Some(OTHER), &["access", &id]).await.expect_err().stderr;
    assert!(err.contains("only the renter"), "{err}");
    assert_eq!(m.fake().granted().len(), 3, "each signature was fresh");

    // status --watch refreshes every second until Ctrl-C (SIGINT), then exits cleanly.
    let mut watch = m
        .command(None, &["--json", "status", "--watch", &id])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(watch.stdout.take().unwrap()).lines();
    let mut blocks = Vec::new();
    for _ in 0..2 {
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("a refresh within 20 s")
            .unwrap()
            .expect("a line");
        let view: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(view["status"], "running");
        blocks.push(view["chainTime"].as_u64().unwrap());
        m.chain.advance(5).await;
    }
    assert!(blocks[1] > blocks[0], "each refresh reads the chain again: {blocks:?}");
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &watch.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), watch.wait())
        .await
        .expect("exits on Ctrl-C")
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn errors_say_what_is_wrong_and_what_to_do() {
    let m = Market::setup().await;
    m.provide().await;
    let key = m.ssh_key_arg();

    // Not enough USDC: the shortfall in token units.
    m.mint_usdc(m.address(RENTER), USDC).await;
    let err = m
        .run(Some(RENTER), &["rent", "1", "--hours", "1", "--ssh-key", &key])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("insufficient USDC balance"), "{err}");
    assert!(
        err.contains("needs 2.50 USDC") && err.contains("holds 1.00 USDC") && err.contains("1.50 USDC missing"),
        "{err}"
    );

    // A revert decoded by name, from a view and from a transaction's simulation.
    let err = m
        .run(Some(RENTER), &["rent", "99", "--hours", "1", "--ssh-key", &key])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("GpuEscrow_OfferNotFound(offerId: 99)"), "{err}");
    let err = m
        .run(Some(RENTER), &["rent", "1", "--deposit", "0.0001", "--ssh-key", &key])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("GpuEscrow_DurationOutOfBounds(offerId: 1"), "{err}");

    // No SSH key anywhere (HOME has no ~/.ssh).
    let err = m
        .run(Some(RENTER), &["rent", "1", "--hours", "1"])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("--ssh-key FILE"), "{err}");

    // Wrong chain: the deployment file names another chain.
    let wrong = m.path("wrong.json");
    protocol::Deployment {
        chain_id: 8453,
        ..m.deployment()
    }
    .save(&wrong)
    .unwrap();
    let err = m
        .run(None, &["--deployment", wrong.to_str().unwrap(), "offers"])
        .await
        .expect_err()
        .stderr;
    assert!(
        err.contains("wrong chain") && err.contains("chain 31337") && err.contains("chain 8453"),
        "{err}"
    );

    // --escrow instead of a deployment file; a wrong address is named as such.
    let escrow = m.escrow.to_string();
    let offers = m.run(None, &["--escrow", &escrow, "--json", "offers"]).await.json();
    assert_eq!(offers.as_array().unwrap().len(), 3);
    let err = m
        .run(None, &["--escrow", &m.address(OTHER).to_string(), "offers"])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("no contract at the escrow address"), "{err}");

    // Unreachable RPC.
    let err = m
        .run(None, &["--rpc-url", "http://127.0.0.1:9", "offers"])
        .await
        .expect_err()
        .stderr;
    assert!(err.contains("cannot reach the RPC at http://127.0.0.1:9"), "{err}");

    // A provider whose oracle is down: status still answers from the chain, stop says what to check.
    // It registers, is told that offers need a bond, and bonds before its offer.
    let registered = m
        .run(
            Some(OTHER),
            &[
                "register",
                "--payout",
                &m.address(OTHER).to_string(),
                "--attester",
                &m.address(OTHER).to_string(),
                "--endpoint",
                "http://127.0.0.1:9",
            ],
        )
        .await
        .expect_ok()
        .stdout;
    assert!(
        registered.contains("100.00 USDC") && registered.contains("gpu-escrow bond AMOUNT --token SYMBOL"),
        "{registered}"
    );
    let offer_args = [
        "offer",
        "create",
        "--model",
        "NVIDIA L4",
        "--vram",
        "24",
        "--token",
        "USDC",
        "--price",
        "0.5",
        "--region",
        "eu-west",
    ];
    let err = m.run(Some(OTHER), &offer_args).await.expect_err().stderr;
    assert!(
        err.contains("post a bond of at least 100.00 USDC first: gpu-escrow bond 100.00"),
        "{err}"
    );
    m.mint_usdc(m.address(OTHER), 100 * USDC).await;
    m.run(Some(OTHER), &["bond", "100"]).await.expect_ok();
    m.run(Some(OTHER), &offer_args).await.expect_ok();
    m.mint_usdc(m.address(RENTER), 10 * USDC).await;
    let opened = m
        .run(
            Some(RENTER),
            &["--json", "rent", "4", "--hours", "1", "--ssh-key", &key],
        )
        .await
        .json();
    let id = format!("{:#x}", b256(&opened["rentalId"]));
    let status = m.run(None, &["--json", "status", &id]).await.json();
    assert_eq!(status["status"], "running");
    let oracle_error = status["oracle"]["error"].as_str().unwrap();
    assert!(
        oracle_error.contains("cannot reach the provider's oracle at http://127.0.0.1:9"),
        "{oracle_error}"
    );
    let err = m.run(Some(RENTER), &["stop", &id]).await.expect_err().stderr;
    assert!(
        err.contains("cannot reach the provider's oracle at http://127.0.0.1:9") && err.contains("/healthz"),
        "{err}"
    );

    // An encrypted keystore: its password from the environment, never a prompt without a terminal.
    let signer = m.key(ATTESTER);
    PrivateKeySigner::encrypt_keystore(
        &m.dir,
        &mut rand::thread_rng(),
        signer.to_bytes(),
        "s3cret",
        Some("keystore.json"),
    )
    .unwrap();
    let keystore = m.dir.join("keystore.json");
    let keystore = keystore.to_str().unwrap();
    let err = m
        .run(None, &["--keystore", keystore, "history"])
        .await
        .expect_err()
        .stderr;
    assert!(
        err.contains("GPU_ESCROW_KEYSTORE_PASSWORD") && err.contains("not a terminal"),
        "{err}"
    );
    // Read-only commands do not need the key, so they never ask for its password.
    m.run(None, &["--keystore", keystore, "offers"]).await.expect_ok();
    let out = m
        .command(None, &["--keystore", keystore, "--json", "history"])
        .env("GPU_ESCROW_KEYSTORE_PASSWORD", "s3cret")
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = m
        .command(None, &["--keystore", keystore, "history"])
        .env("GPU_ESCROW_KEYSTORE_PASSWORD", "wrong")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot decrypt keystore") && err.contains("wrong password"),
        "{err}"
    );
}
