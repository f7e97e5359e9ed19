//! The end-to-end stories besides `make demo`'s (which `make test` runs too): the keeper, not the renter, settles
//! after the challenge window; a GPU fault on the provider's host lowers the bill and, below the offer's SLA,
//! earns the renter an SLA credit; the keeper proves a provider that attests another GPU model or signs two
//! contradicting attestations (its bond slashed, the renter refunded); a renter's dispute opened with the CLI is
//! ruled by the committee (the keeper executes it), or left unruled past its deadline (the keeper settles it by the
//! billing rules with the final attestation). Real anvil,
//! real escrow and dispute module, the real `gpu-oracle` (mock GPU), `gpu-keeper` and `gpu-escrow` binaries;
//! every amount is checked on-chain against the billing rules (`protocol::billing`) and the dispute rules.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::time::Duration;

use alloy::{
    primitives::{B256, U256},
    sol_types::SolEvent,
};
use common::{Attester, Market, BOND, DISPUTE_BOND, FEE_BPS, HOUR, PRICE_PER_HOUR};
use protocol::{
    billing,
    bindings::{DisputeModule, GpuEscrow},
    gpu_model_hash,
    oracle_api::OracleEndpoint,
    rental_id,
    revert::RENTAL_FROZEN,
    RentalStatus, RentalTerms, UsageAttestation,
};
use testkit::{mined, ARBITER, KEEPER, PROVIDER, RENTER, TREASURY};

/// Another model than the offer's H100.
const OTHER_MODEL: &str = "NVIDIA A100-SXM4-40GB";
/// `DisputeModule.DisputeStatus`.
const DISPUTE_NONE: u8 = 0;
const DISPUTE_OPEN: u8 = 1;

/// What each party holds, to compare before and after.
struct Books {
    renter: U256,
    escrow: U256,
    net: U256,
    fees: U256,
}

async fn books(m: &Market) -> Books {
    let account = m.escrow_as(&m.renter).offerAccount(m.offer_id).call().await.unwrap();
    Books {
        renter: m.balance(m.renter.address()).await,
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
    let split = billing::settle(price, FEE_BPS, terms.slaBps, deposit, 0, (billed, wall)).unwrap();
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
    assert_eq!(m.rental_state(terms).await.status, 0, "rental closed, its slot deleted");
    split
}

/// A renter's browser on another origin (the dApp) may read the oracle and send the signed access request.
async fn check_cors(m: &Market, id: alloy::primitives::B256) {
    let client = reqwest::Client::new();
    let preflight = client
        .request(
            reqwest::Method::OPTIONS,
            OracleEndpoint::parse(&m.endpoint).unwrap().access_url(id),
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
        .get(OracleEndpoint::parse(&m.endpoint).unwrap().usage_url(id))
        .header("Origin", "https://dapp.example")
        .send()
        .await
        .unwrap();
    assert_eq!(usage.headers()["access-control-allow-origin"], "*");
}

#[tokio::test(flavor = "multi_thread")]
async fn keeper_settles_after_the_challenge_window() {
    let mut m = Market::start("keeper-settles", None).await;
    m.start_keeper(&[]);
    let deposit = billing::deposit_for(U256::from(PRICE_PER_HOUR), 3_600);
    let before = before_open(&m, deposit).await;
    let (terms, _) = m.open(deposit, 1).await;
    let id = rental_id(&terms);

    // The GPU runs a few seconds, then the renter stops and walks away without settling.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let stop = mined(m.escrow_as(&m.renter).stop(terms.clone())).await;
    let stopped_at = m.chain.block_time(&stop).await;

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
    m.chain.advance(u64::from(terms.challengeWindow) + 5).await;
    let (settled, receipt) = m.settled(id, Duration::from_secs(90)).await;
    assert_eq!(
        receipt.from,
        m.keeper.address(),
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
    let (terms, _) = m.open(deposit, 1).await;
    let id = rental_id(&terms);

    tokio::time::sleep(Duration::from_secs(20)).await;
    check_cors(&m, id).await;
    let usage = m.usage(id).await;
    let (up, elapsed) = (usage.uptime_seconds, usage.elapsed_seconds);
    assert!(
        elapsed >= up + 5,
        "the oracle counts the fault as downtime: up {up} s of {elapsed} s"
    );

    // The renter's normal way out: a fresh attestation, then stop and settle in one transaction.
    let fresh = m.attestation(id, true).await.expect("fresh attestation");
    let usage = fresh.attestation.usage();
    // Billing ends at the stop's block, so the gas depends on that block's time: leave headroom over the estimate
    // (as the CLI and the dApp do).
    let receipt = mined(
        m.escrow_as(&m.renter)
            .stopAndSettle(terms.clone(), usage, fresh.signature_65().into())
            .gas(500_000),
    )
    .await;
    let settled = receipt
        .decoded_log::<protocol::bindings::GpuEscrow::RentalSettled>()
        .expect("RentalSettled")
        .data;
    let stopped_at = m.chain.block_time(&receipt).await;
    let wall = stopped_at - terms.startedAt.to::<u64>();
    // Billing ends at the stop's block: the seconds after the attestation's period end count as delivered.
    let billed = billing::billed_seconds(
        fresh.attestation.uptimeSeconds,
        fresh.attestation.periodEnd,
        terms.startedAt.to(),
        stopped_at,
    );
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
    let credit = billing::sla_credit(cost, billed, wall, terms.slaBps);
    assert!(credit > U256::ZERO, "an SLA breach earns a credit");
    assert_eq!(credit, cost / U256::from(2), "the 50 % cap");
    assert_eq!(split.sla_credit, credit);
    assert_eq!(
        m.balance(m.renter.address()).await + cost,
        before.renter + credit,
        "the renter gained exactly the SLA credit on top of the unbilled deposit"
    );
}

/// USDC balances of everyone a dispute pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wallets {
    renter: U256,
    provider: U256,
    treasury: U256,
    keeper: U256,
}

async fn wallets(m: &Market) -> Wallets {
    Wallets {
        renter: m.balance(m.address(RENTER)).await,
        provider: m.balance(m.address(PROVIDER)).await,
        treasury: m.balance(m.address(TREASURY)).await,
        keeper: m.balance(m.address(KEEPER)).await,
    }
}

/// `bps` basis points of `amount`, rounded down as the contracts do.
fn bps(amount: U256, bps: u64) -> U256 {
    amount * U256::from(bps) / U256::from(10_000)
}

/// Waits until the keeper's metrics show `line`.
async fn metric_shows(m: &Market, line: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = m.keeper_metrics().await;
        if metrics.lines().any(|l| l == line) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the keeper's metrics lack `{line}`:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The oracle saw the rental closed as `status`, and access ended with the rental's clock: the hook removed the
/// renter's key, and the renter's signed access request is refused.
async fn check_access_ended(m: &Market, id: B256, status: RentalStatus) {
    let usage = m.wait_for_oracle_status(id, status).await;
    assert!(usage.closed && usage.ended, "the oracle closed the rental: {usage:?}");
    m.wait_for_access(id, false).await;
    let out = m.cli_output(RENTER, &["access", &id.to_string()]);
    assert!(
        !out.status.success(),
        "access answered after the close: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The keeper's proof `P` of rental `id` was accepted, once: the provider's bond was slashed (returned).
async fn proven_by_keeper<P: SolEvent>(m: &Market, id: B256) -> DisputeModule::Slashed {
    let (slashed, receipt) = m
        .event::<DisputeModule::Slashed>(m.dispute_module, id, Duration::from_secs(30))
        .await;
    assert_eq!(receipt.from, m.address(KEEPER), "proven by the keeper");
    assert_eq!(m.logs::<P>(m.dispute_module, id).await.len(), 1, "one proof");
    slashed
}

/// `amount` was slashed from the provider's bond on the keeper's proof: half of it to the renter besides its whole
/// `deposit` back, 10 % to the keeper, the rest to the treasury; the provider earned nothing.
async fn check_slash(m: &Market, before: &Wallets, deposit: U256, amount: U256, slashed: &DisputeModule::Slashed) {
    let (to_renter, bounty) = (bps(amount, 5_000), bps(amount, 1_000));
    assert_eq!(
        (slashed.amount, slashed.toRenter, slashed.bounty, slashed.submitter),
        (amount, to_renter, bounty, m.address(KEEPER))
    );
    let after = wallets(m).await;
    assert_eq!(
        after.renter - before.renter,
        deposit + to_renter,
        "deposit back plus half the slash"
    );
    assert_eq!(after.keeper - before.keeper, bounty, "the keeper's bounty");
    assert_eq!(
        after.treasury - before.treasury,
        amount - to_renter - bounty,
        "the treasury's rest"
    );
    assert_eq!(after.provider, before.provider, "the provider earns nothing");
}

/// The provider's slashes, disputes opened against it and disputes it lost (its reputation in the module).
async fn provider_reputation(m: &Market) -> (u64, u64, u64) {
    let r = m
        .disputes_as(&m.renter)
        .reputation(m.address(PROVIDER))
        .call()
        .await
        .unwrap();
    (r.slashes.into(), r.disputesOpened.into(), r.disputesLost.into())
}

/// The hook granted the renter's key and the oracle answers its access request while the rental runs.
async fn check_access_granted(m: &Market, id: B256) {
    m.wait_for_access(id, true).await;
    m.cli(RENTER, &["access", &id.to_string()]);
}

/// The rental is closed in the escrow and has no dispute left in the module.
async fn check_closed(m: &Market, id: B256) {
    let state = m.escrow_as(&m.renter).rentalState(id).call().await.unwrap();
    assert_eq!(state.status, 0, "rental closed, its slot deleted");
    let dispute = m.disputes_as(&m.renter).dispute(id).call().await.unwrap();
    assert_eq!(dispute.status, DISPUTE_NONE, "no dispute left on the rental");
    assert_eq!(m.bond().await.1, 0, "no open dispute counted against the bond");
}

#[tokio::test(flavor = "multi_thread")]
async fn keeper_proves_a_wrong_gpu_instead_of_settling() {
    let mut m = Market::start_with("wrong-gpu", Attester::Fake).await;
    let deposit = billing::deposit_for(U256::from(PRICE_PER_HOUR), HOUR);
    let (terms, _) = m.open(deposit, 1).await;
    let id = rental_id(&terms);
    let started: u64 = terms.startedAt.to();
    let before = wallets(&m).await;

    // The provider's host attests a full hour of an A100 for the H100 offer.
    let wrong = m.sign(&UsageAttestation {
        gpuModelHash: gpu_model_hash(OTHER_MODEL),
        ..m.usage_attestation(&terms, (1, started + HOUR, HOUR))
    });
    m.fake().queue(&terms, vec![wrong]);
    m.start_keeper(&[]);

    // When the rental is due, the keeper proves the wrong GPU instead of settling with that attestation.
    m.chain.advance(HOUR + u64::from(terms.challengeWindow) + 1).await;
    let slashed = proven_by_keeper::<DisputeModule::WrongGpuProven>(&m, id).await;
    assert_eq!(
        m.logs::<GpuEscrow::RentalSettled>(m.escrow, id).await.len(),
        0,
        "never settled"
    );

    // 20 % of the bond is slashed: half of it to the renter, 10 % to the keeper, the rest to the treasury; the
    // renter gets the whole unpaid deposit back.
    let amount = bps(U256::from(BOND), 2_000);
    check_slash(&m, &before, deposit, amount, &slashed).await;
    assert_eq!(m.bond().await.0, U256::from(BOND) - amount, "what is left of the bond");
    assert_eq!(provider_reputation(&m).await.0, 1, "one slash");
    check_closed(&m, id).await;
    metric_shows(&m, "gpu_keeper_disputes_total{kind=\"wrong_gpu\",outcome=\"proven\"} 1").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keeper_proves_equivocation_and_the_whole_bond_is_slashed() {
    let mut m = Market::start_with("equivocation", Attester::Fake).await;
    let deposit = billing::deposit_for(U256::from(PRICE_PER_HOUR), 10 * HOUR);
    let (terms, _) = m.open(deposit, 1).await;
    let id = rental_id(&terms);
    let started: u64 = terms.startedAt.to();
    let before = wallets(&m).await;

    // The attester signs seq 1 twice, with different uptimes: the keeper fetches one, then the other.
    let first = m.attest(&terms, (1, started + 1_800, 1_800));
    let second = m.attest(&terms, (1, started + 1_800, 1_680));
    m.fake().queue(&terms, vec![first, second]);
    // The keeper fetches attestations of running rentals that have half an hour unpaid, to checkpoint them.
    m.start_keeper(&["--checkpoint-interval-secs", "1800"]);
    m.chain.advance(HOUR).await;

    let slashed = proven_by_keeper::<DisputeModule::EquivocationProven>(&m, id).await;
    assert_eq!(
        m.logs::<GpuEscrow::Checkpointed>(m.escrow, id).await.len(),
        0,
        "nothing was paid"
    );

    // The whole bond: half to the renter, 10 % to the keeper, the rest to the treasury; the deposit back in full.
    let amount = U256::from(BOND);
    check_slash(&m, &before, deposit, amount, &slashed).await;
    assert_eq!(m.bond().await.0, U256::ZERO, "no bond left");
    check_closed(&m, id).await;
    metric_shows(
        &m,
        "gpu_keeper_disputes_total{kind=\"equivocation\",outcome=\"proven\"} 1",
    )
    .await;
}

/// The renter posts the dispute bond and opens a dispute on `terms` with the CLI; returns the CLI's report.
async fn dispute_with_cli(m: &Market, terms: &RentalTerms) -> serde_json::Value {
    let id = rental_id(terms);
    m.mint(m.address(RENTER), U256::from(DISPUTE_BOND)).await;
    let before = m.balance(m.address(RENTER)).await;
    let opened = m.cli(
        RENTER,
        &[
            "dispute",
            &id.to_string(),
            "--evidence",
            "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
        ],
    );
    assert_eq!(opened["bond"], DISPUTE_BOND.to_string());
    assert_eq!(
        before - m.balance(m.address(RENTER)).await,
        U256::from(DISPUTE_BOND),
        "the bond was pulled"
    );
    let state = m.escrow_as(&m.renter).rentalState(id).call().await.unwrap();
    assert_eq!(state.status, RENTAL_FROZEN, "the dispute froze the rental");
    let dispute = m.disputes_as(&m.renter).dispute(id).call().await.unwrap();
    assert_eq!((dispute.status, dispute.opener), (DISPUTE_OPEN, m.address(RENTER)));
    assert_eq!(m.bond().await.1, 1, "one open dispute on the provider's bond");
    opened
}

/// When the dispute froze rental `id`: the `RentalStopped` the escrow emitted for the dispute module, which stopped
/// the clock.
async fn frozen_at(m: &Market, id: B256) -> u64 {
    let stops = m.logs::<GpuEscrow::RentalStopped>(m.escrow, id).await;
    assert_eq!(stops.len(), 1, "the freeze stopped the running rental");
    let stop = &stops[0].log_decode::<GpuEscrow::RentalStopped>().unwrap().inner.data;
    assert_eq!(
        stop.by, m.dispute_module,
        "stopped by the dispute module, neither renter nor provider"
    );
    stop.stoppedAt.to()
}

/// Checks what a ruling paid: `share_bps` of what was at stake (the cost of the seconds before the freeze) to the
/// renter, the rest to the provider less the rental's fee, which goes to the treasury; the deposit for the time
/// after the freeze back to the renter; the dispute bond to `bond_to`; nothing to the keeper.
fn check_outcome(before: &Wallets, after: &Wallets, deposit: U256, at_stake: U256, share_bps: u64, bond_to: usize) {
    let to_renter = bps(at_stake, share_bps);
    let fee = billing::fee(at_stake - to_renter, FEE_BPS);
    let bond = |who: usize| {
        if who == bond_to {
            U256::from(DISPUTE_BOND)
        } else {
            U256::ZERO
        }
    };
    assert_eq!(
        after.renter - before.renter,
        deposit - at_stake + to_renter + bond(RENTER),
        "the deposit after the freeze and the renter's share"
    );
    assert_eq!(
        after.provider - before.provider,
        at_stake - to_renter - fee + bond(PROVIDER),
        "the provider's share less the fee"
    );
    assert_eq!(after.treasury - before.treasury, fee, "the rental's fee");
    assert_eq!(after.keeper, before.keeper, "executing earns the keeper nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn committee_ruling_on_a_cli_dispute_is_executed_by_the_keeper() {
    let mut m = Market::start("committee-ruling", None).await;
    m.start_keeper(&[]);
    let deposit = billing::deposit_for(U256::from(PRICE_PER_HOUR), HOUR);
    let (terms, _) = m.open(deposit, 1).await;
    let id = rental_id(&terms);
    check_access_granted(&m, id).await;
    let opened = dispute_with_cli(&m, &terms).await;
    let before = wallets(&m).await;
    let at_stake = billing::cost(
        U256::from(PRICE_PER_HOUR),
        frozen_at(&m, id).await - terms.startedAt.to::<u64>(),
    );

    // The committee's member gives the renter 30 %: ruling 3001. The renter opened and lost.
    let dispute_id: U256 = opened["arbitratorDisputeId"].as_str().unwrap().parse().unwrap();
    mined(m.arbitrator_as(&m.key(ARBITER)).vote(dispute_id, U256::from(3_001))).await;
    let (resolved, receipt) = m
        .event::<DisputeModule::DisputeResolved>(m.dispute_module, id, Duration::from_secs(30))
        .await;
    assert_eq!(receipt.from, m.address(KEEPER), "executed by the keeper");
    assert_eq!(
        (resolved.renterShareBps, resolved.fallbackApplied, resolved.bondTo),
        (U256::from(3_000), false, m.address(PROVIDER)),
        "the ruling's split; the dispute bond to the provider, who won"
    );
    let (resolved_rental, _) = m
        .event::<GpuEscrow::RentalResolved>(m.escrow, id, Duration::from_secs(5))
        .await;
    assert_eq!(
        (resolved_rental.atStake, resolved_rental.returned),
        (at_stake, deposit - at_stake),
        "only the seconds before the freeze were at stake"
    );
    check_outcome(&before, &wallets(&m).await, deposit, at_stake, 3_000, PROVIDER);
    let (_, opened, lost) = provider_reputation(&m).await;
    assert_eq!((opened, lost), (1, 0), "one dispute, not lost");
    check_closed(&m, id).await;
    check_access_ended(&m, id, RentalStatus::Resolved).await;
    metric_shows(&m, "gpu_keeper_disputes_total{kind=\"ruling\",outcome=\"executed\"} 1").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unruled_dispute_is_settled_by_the_billing_rules_after_its_deadline() {
    let mut m = Market::start("dispute-fallback", None).await;
    m.start_keeper(&[]);
    let deposit = billing::deposit_for(U256::from(PRICE_PER_HOUR), HOUR);
    let before_open = before_open(&m, deposit).await;
    let (terms, _) = m.open(deposit, 1).await;
    let id = rental_id(&terms);
    check_access_granted(&m, id).await;
    let opened = dispute_with_cli(&m, &terms).await;
    let wall = frozen_at(&m, id).await - terms.startedAt.to::<u64>();
    let before = wallets(&m).await;

    // Nobody votes. Past the rental's end and grace period it stays frozen: neither settled nor refunded.
    let deadline = opened["deadline"].as_u64().unwrap();
    m.chain.advance(HOUR + u64::from(terms.gracePeriod) + 1).await;
    // Eight keeper rounds (not chain time) for it to leave the rental alone.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let state = m.escrow_as(&m.renter).rentalState(id).call().await.unwrap();
    assert_eq!(state.status, RENTAL_FROZEN, "the keeper leaves a frozen rental alone");
    assert_eq!(wallets(&m).await, before);

    // Past the ruling deadline the billing rules apply as if no dispute had been opened: the keeper settles the
    // rental with the oracle's final attestation, which covers the freeze.
    let now = m.chain.now().await;
    m.chain.advance(deadline.saturating_sub(now) + 1).await;
    let (resolved, receipt) = m
        .event::<DisputeModule::DisputeResolved>(m.dispute_module, id, Duration::from_secs(30))
        .await;
    assert_eq!(receipt.from, m.address(KEEPER), "executed by the keeper");
    assert_eq!(
        (resolved.renterShareBps, resolved.fallbackApplied, resolved.bondTo),
        (U256::ZERO, true, m.address(RENTER)),
        "the billing rules decided; the dispute bond back to the opener"
    );
    let (settled, _) = m
        .event::<GpuEscrow::RentalSettled>(m.escrow, id, Duration::from_secs(5))
        .await;
    assert!(
        settled.billedSeconds <= wall,
        "billed at most the {wall} s before the freeze"
    );
    // The renter pays for the seconds before the freeze per the attestation, like any settled rental: nobody
    // gains from a dispute nobody rules on.
    // The dispute bond was minted to the renter after `before_open` and came back to it.
    let before_open = Books {
        renter: before_open.renter + U256::from(DISPUTE_BOND),
        ..before_open
    };
    check_settlement(
        &m,
        &terms,
        deposit,
        &before_open,
        (settled.billedSeconds, wall),
        &settled,
    )
    .await;
    let after = wallets(&m).await;
    assert_eq!(
        after.renter - before.renter,
        settled.refund + U256::from(DISPUTE_BOND),
        "the refund and the dispute bond back"
    );
    assert_eq!(after.keeper, before.keeper, "executing earns the keeper nothing");
    check_closed(&m, id).await;
    check_access_ended(&m, id, RentalStatus::Settled).await;
    metric_shows(&m, "gpu_keeper_disputes_total{kind=\"fallback\",outcome=\"settled\"} 1").await;
    let metrics = m.keeper_metrics().await;
    assert!(
        !metrics.contains("gpu_keeper_transactions_total{kind=\"refund\"")
            && !metrics.contains("gpu_keeper_transactions_total{kind=\"settle\""),
        "the keeper never tried to refund or settle the frozen rental:\n{metrics}"
    );
}
