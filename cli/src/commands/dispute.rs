//! Disputes and ratings in the dispute module: `dispute` (open one, freezing the rental),
//! `evidence`, `dispute-status`, `execute-ruling`, `rate` and `prove-wrong-gpu`.

use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::DynProvider,
    rpc::types::TransactionReceipt,
    sol_types::SolEvent,
};
use eyre::{bail, eyre, Result};
use protocol::{
    bindings::{
        CommitteeArbitrator, DisputeModule,
        DisputeModule::{DisputeModuleErrors, DisputeModuleInstance},
        GpuEscrow,
    },
    SignedAttestation,
};
use serde_json::json as j;

use super::settle::{offer_model_hash, verify_signed};
use crate::{
    args::{DisputeArgs, EvidenceArgs, RateArgs},
    context::Ctx,
    disputes::{self, State},
    events::{self, Rental},
    oracle::Oracle,
    output::{fields, json, note, out},
    token::Token,
    tx::{approve_exact, send},
    units::{format_bps, format_duration, format_time},
};

/// The latest attestation of `rental` from its provider's oracle, or a fresh one when it has none.
async fn any_attestation(ctx: &Ctx, rental: &Rental) -> Result<SignedAttestation> {
    let oracle = Oracle::of_rental(ctx, rental).await?;
    let signed = match oracle.attestation(rental.id, false).await {
        Ok(s) => s,
        Err(_) => oracle.attestation(rental.id, true).await?,
    };
    verify_signed(ctx, rental, &signed)?;
    Ok(signed)
}

/// The first `E` event the transaction of `receipt` emitted.
fn event<E: SolEvent>(receipt: &TransactionReceipt) -> Result<E> {
    let name = E::SIGNATURE.split('(').next().unwrap_or(E::SIGNATURE);
    Ok(receipt
        .decoded_log::<E>()
        .ok_or_else(|| eyre!("the transaction {:#x} emitted no {name}", receipt.transaction_hash))?
        .data)
}

/// Fails once disputes on `rental` are closed (its end plus the challenge window); returns the
/// chain's time.
async fn require_dispute_window(ctx: &Ctx, rental: &Rental) -> Result<u64> {
    let head = ctx.head().await?;
    let now = head.1;
    let (quote, _) = events::quote(ctx, rental, head).await?;
    let closes = quote.ends_at + u64::from(rental.terms.challengeWindow);
    if now >= closes {
        bail!(
            "disputes on rental {:#x} closed at {} (its end plus the challenge window)",
            rental.id,
            format_time(closes)
        );
    }
    Ok(now)
}

pub(crate) async fn open(ctx: &Ctx, args: DisputeArgs) -> Result<()> {
    let me = ctx.me()?;
    let rental = events::rental(ctx, args.rental).await?;
    let id = rental.id;
    if rental.status().is_closed() {
        bail!(
            "rental {id:#x} is closed: a dispute can only be opened on a live rental; see `gpu-escrow receipt {id:#x}`"
        );
    }
    if rental.frozen {
        bail!("rental {id:#x} already has a dispute: see `gpu-escrow dispute-status {id:#x}`");
    }
    if args.evidence.trim().is_empty() {
        bail!("--evidence needs a URI where the arbitrator reads your case (https://…, ipfs://…)");
    }
    let offer = ctx
        .escrow
        .offer(rental.terms.offerId)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading the rental's offer"))?;
    if me != rental.terms.renter && me != offer.provider {
        bail!(
            "only the renter {} or the provider {} can open a dispute on rental {id:#x}; you sign as {me}",
            rental.terms.renter,
            offer.provider
        );
    }
    let now = require_dispute_window(ctx, &rental).await?;
    let token = ctx.token(rental.terms.token).await?;
    let module = ctx.disputes().await?;
    let bond = module
        .disputeBond(token.address)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading the dispute bond"))?;
    let mut arbitration = Arbitration::read(ctx, &module).await?;
    let bond_value = if token.is_native() { bond } else { U256::ZERO };
    let call = |value: U256| {
        module
            .openDispute((&rental.terms).into(), args.evidence.clone())
            .value(value)
    };
    if !bond.is_zero() && !token.is_native() {
        token
            .require_balance(&ctx.provider, me, bond, "the dispute bond")
            .await?;
        approve_exact(ctx, &token, *module.address(), "the dispute module", bond).await?;
    }
    if let Err(err) = call(arbitration.fee + bond_value).call().await {
        match err.as_decoded_interface_error::<DisputeModuleErrors>() {
            Some(DisputeModuleErrors::DisputeModule_ValueMismatch(e)) if e.expected >= bond_value => {
                arbitration.fee = e.expected - bond_value;
            }
            _ => return Err(ctx.call_error(err, "open the dispute")),
        }
    }
    Token::native()
        .require_balance(
            &ctx.provider,
            me,
            arbitration.fee + bond_value,
            "the arbitration fee and bond",
        )
        .await?;
    let receipt = send(
        ctx,
        &format!("open a dispute on rental {id:#x}"),
        call(arbitration.fee + bond_value),
    )
    .await?;
    let opened = event::<DisputeModule::DisputeOpened>(&receipt)?;
    print_opened(ctx, id, &token, &opened, &arbitration, now, receipt.transaction_hash)
}

pub(crate) async fn evidence(ctx: &Ctx, args: EvidenceArgs) -> Result<()> {
    let me = ctx.me()?;
    let rental = events::rental(ctx, args.rental).await?;
    let id = rental.id;
    if args.evidence.trim().is_empty() {
        bail!("--evidence needs a URI where the arbitrator reads it (https://…, ipfs://…)");
    }
    let (_, now) = ctx.head().await?;
    let dispute = disputes::of_rental(ctx, id, now).await?;
    match dispute.state {
        State::Open | State::Expired => {}
        State::None => bail!(
            "no dispute on rental {id:#x}: evidence goes to an open dispute; open one with `gpu-escrow dispute {id:#x} --evidence URI`"
        ),
        State::Ruled => bail!(
            "the arbitrator already ruled on rental {id:#x}: no more evidence; see `gpu-escrow dispute-status {id:#x}`"
        ),
        State::Resolved => bail!("the dispute on rental {id:#x} is resolved: see `gpu-escrow receipt {id:#x}`"),
    }
    if me != rental.terms.renter && me != dispute.record.provider {
        bail!(
            "only the renter {} or the provider {} can submit evidence on rental {id:#x}; you sign as {me}",
            rental.terms.renter,
            dispute.record.provider
        );
    }
    let module = ctx.disputes().await?;
    let receipt = send(
        ctx,
        &format!("submit evidence on rental {id:#x}"),
        module.submitEvidence((&rental.terms).into(), args.evidence.clone()),
    )
    .await?;
    let submitted = event::<DisputeModule::EvidenceSubmitted>(&receipt)?;
    if ctx.global.json {
        return json(&j!({
            "rentalId": id,
            "party": submitted.party,
            "evidenceURI": submitted.evidenceURI,
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("rental", format!("{id:#x}")),
        ("evidence", submitted.evidenceURI.clone()),
        ("party", submitted.party.to_string()),
        (
            "deadline",
            if dispute.state == State::Expired {
                format!(
                    "{} (passed: {}; `gpu-escrow execute-ruling {id:#x}`)",
                    format_time(dispute.deadline()),
                    disputes::FALLBACK
                )
            } else {
                format!(
                    "{} (in {}): the arbitrator rules before it",
                    format_time(dispute.deadline()),
                    format_duration(dispute.deadline().saturating_sub(now))
                )
            },
        ),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}

/// Who arbitrates the module's disputes and what opening one costs.
struct Arbitration {
    arbitrator: Address,
    /// The arbitrator's fee, in the native coin.
    fee: U256,
}

impl Arbitration {
    async fn read(ctx: &Ctx, module: &DisputeModuleInstance<DynProvider>) -> Result<Self> {
        let arbitrator = module
            .arbitrator()
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading the arbitrator"))?;
        // Any ERC-792 arbitrator answers arbitrationCost; the module passes its own extra data, so
        // a simulation of openDispute corrects the value if that changes the cost.
        let fee = CommitteeArbitrator::new(arbitrator, ctx.provider.clone())
            .arbitrationCost(Bytes::new())
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading the arbitration cost"))?;
        Ok(Self { arbitrator, fee })
    }
}

fn print_opened(
    ctx: &Ctx,
    id: B256,
    token: &Token,
    opened: &DisputeModule::DisputeOpened,
    arbitration: &Arbitration,
    now: u64,
    tx: B256,
) -> Result<()> {
    let deadline: u64 = opened.deadline.to();
    if ctx.global.json {
        return json(&j!({
            "rentalId": id,
            "arbitrator": arbitration.arbitrator,
            "arbitratorDisputeId": opened.arbitratorDisputeId.to_string(),
            "token": token,
            "bond": opened.bond.to_string(),
            "arbitrationFee": arbitration.fee.to_string(),
            "deadline": deadline,
            "evidenceURI": opened.evidenceURI,
            "tx": tx,
        }));
    }
    out(&fields(&[
        (
            "rental",
            format!("{id:#x} (stopped and frozen: nothing moves its money until the outcome)"),
        ),
        (
            "dispute",
            format!(
                "{} at arbitrator {}",
                opened.arbitratorDisputeId, arbitration.arbitrator
            ),
        ),
        (
            "bond",
            format!(
                "{} (lost to the other party if the ruling goes against you)",
                token.show(opened.bond)
            ),
        ),
        ("fee", Token::native().show(arbitration.fee)),
        ("evidence", opened.evidenceURI.clone()),
        (
            "deadline",
            format!(
                "{} (in {}): the arbitrator rules before it, else the billing rules apply (the provider's final attestation settles it)",
                format_time(deadline),
                format_duration(deadline.saturating_sub(now))
            ),
        ),
        (
            "next",
            format!("`gpu-escrow dispute-status {id:#x}`, then `gpu-escrow execute-ruling {id:#x}`"),
        ),
        ("tx", format!("{tx:#x}")),
    ]));
    Ok(())
}

pub(crate) async fn status(ctx: &Ctx, id: B256) -> Result<()> {
    let rental = events::rental(ctx, id).await?;
    let token = ctx.token(rental.terms.token).await?;
    let (_, now) = ctx.head().await?;
    let dispute = disputes::of_rental(ctx, id, now).await?;
    if ctx.global.json {
        let mut view = dispute.to_json();
        view["rentalId"] = j!(id);
        view["token"] = j!(token);
        view["chainTime"] = now.into();
        return json(&view);
    }
    if dispute.state == State::None && dispute.slashed.is_none() {
        out(&format!("no dispute on rental {id:#x}"));
        return Ok(());
    }
    let mut rows = vec![("rental", format!("{id:#x}"))];
    rows.extend(dispute.lines(&token, id));
    out(&fields(&rows));
    Ok(())
}

pub(crate) async fn execute(ctx: &Ctx, id: B256) -> Result<()> {
    let rental = events::rental(ctx, id).await?;
    let token = ctx.token(rental.terms.token).await?;
    let (_, now) = ctx.head().await?;
    let dispute = disputes::of_rental(ctx, id, now).await?;
    match dispute.state {
        State::None => bail!("no dispute on rental {id:#x}: nothing to execute"),
        State::Resolved => bail!("the dispute on rental {id:#x} is already resolved: see `gpu-escrow receipt {id:#x}`"),
        State::Open => bail!(
            "the arbitrator has until {} (in {}) to rule on rental {id:#x}; execute once it has ruled or after that",
            format_time(dispute.deadline()),
            format_duration(dispute.deadline().saturating_sub(now))
        ),
        State::Ruled | State::Expired => {}
    }
    let module = ctx.disputes().await?;
    if dispute.fallback() {
        return fall_back(ctx, &module, &rental, &token, &dispute, now).await;
    }
    let receipt = send(
        ctx,
        &format!("execute the ruling on rental {id:#x}"),
        module.executeRuling((&rental.terms).into()),
    )
    .await?;
    let resolved = event::<DisputeModule::DisputeResolved>(&receipt)?;
    let paid = event::<DisputeModule::OutcomePaid>(&receipt)?;
    let returned = event::<GpuEscrow::RentalResolved>(&receipt)?.returned;
    if ctx.global.json {
        return json(&j!({
            "rentalId": id,
            "token": token,
            "renterShareBps": resolved.renterShareBps.to_string(),
            "fallbackApplied": resolved.fallbackApplied,
            "bondTo": resolved.bondTo,
            "returned": returned.to_string(),
            "toRenter": paid.toRenter.to_string(),
            "toProvider": paid.toProvider.to_string(),
            "fee": paid.fee.to_string(),
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("rental", format!("{id:#x} (closed)")),
        (
            "ruling",
            format!(
                "renter {} of the cost of the seconds before the freeze",
                format_bps(resolved.renterShareBps.to::<u64>())
            ),
        ),
        (
            "to renter",
            format!(
                "{} ({} of that cost, {} of deposit for the time after the freeze)",
                token.show(paid.toRenter + returned),
                token.show(paid.toRenter),
                token.show(returned)
            ),
        ),
        (
            "to provider",
            format!("{} (fee {})", token.show(paid.toProvider), token.show(paid.fee)),
        ),
        ("dispute bond", format!("to {}", resolved.bondTo)),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}

/// A dispute nobody ruled on: settles the rental by the billing rules with the provider's final
/// attestation (`settleFallback`); without one, once the fallback's grace period is over, closes
/// it by the refund rules (`executeRuling`).
async fn fall_back(
    ctx: &Ctx,
    module: &DisputeModuleInstance<DynProvider>,
    rental: &Rental,
    token: &Token,
    dispute: &disputes::Dispute,
    now: u64,
) -> Result<()> {
    let id = rental.id;
    // The freeze stopped the clock: the attestation must cover the frozen end.
    let end = rental.end();
    let refundable_at = dispute.record.deadline.to::<u64>() + u64::from(rental.terms.gracePeriod) + 1;
    let receipt = match super::settle::final_attestation(ctx, rental, end).await {
        Ok(signed) => {
            let (usage, signature) = signed.onchain_usage();
            send(
                ctx,
                &format!("settle rental {id:#x} by the billing rules (no ruling)"),
                module.settleFallback((&rental.terms).into(), (&usage).into(), signature),
            )
            .await?
        }
        Err(e) if now < refundable_at => {
            return Err(e.wrap_err(format!(
                "no ruling came, so rental {id:#x} settles by the billing rules with the provider's final attestation; without one it can be refunded from {}",
                format_time(refundable_at)
            )));
        }
        Err(e) => {
            note(&format!(
                "no final attestation ({e:#}): closing rental {id:#x} by the refund rules"
            ));
            send(
                ctx,
                &format!("refund rental {id:#x} (no ruling, no final attestation)"),
                module.executeRuling((&rental.terms).into()),
            )
            .await?
        }
    };
    let resolved = event::<DisputeModule::DisputeResolved>(&receipt)?;
    if let Some(settled) = receipt.decoded_log::<GpuEscrow::RentalSettled>() {
        if ctx.global.json {
            return json(&j!({
                "rentalId": id,
                "token": token,
                "fallbackApplied": true,
                "billedSeconds": settled.billedSeconds,
                "cost": settled.cost.to_string(),
                "slaCredit": settled.slaCredit.to_string(),
                "refund": settled.refund.to_string(),
                "bondTo": resolved.bondTo,
                "tx": receipt.transaction_hash,
            }));
        }
        super::settle::print_settled(ctx, rental, token, &receipt)?;
        out(&fields(&[("dispute bond", format!("back to {}", resolved.bondTo))]));
        return Ok(());
    }
    let refunded = event::<GpuEscrow::RentalRefunded>(&receipt)?;
    if ctx.global.json {
        return json(&j!({
            "rentalId": id,
            "token": token,
            "fallbackApplied": true,
            "refund": refunded.refund.to_string(),
            "bondTo": resolved.bondTo,
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("rental", format!("{id:#x} (refunded: no ruling, no final attestation)")),
        ("refund", token.show(refunded.refund)),
        ("dispute bond", format!("back to {}", resolved.bondTo)),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}

pub(crate) async fn rate(ctx: &Ctx, args: RateArgs) -> Result<()> {
    let me = ctx.me()?;
    let rental = events::rental(ctx, args.rental).await?;
    let id = rental.id;
    if rental.terms.renter != me {
        bail!(
            "only the renter {} can rate rental {id:#x}; you sign as {me}",
            rental.terms.renter
        );
    }
    if !rental.status().is_closed() {
        bail!("rental {id:#x} is still open: rate it once it is settled (`gpu-escrow stop {id:#x}`)");
    }
    let module = ctx.disputes().await?;
    let rated = module
        .rated(id)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading whether the rental is rated"))?;
    if rated {
        bail!("rental {id:#x} is already rated: each rental is rated once");
    }
    let signed = any_attestation(ctx, &rental).await?;
    let (usage, signature) = signed.onchain_usage();
    let receipt = send(
        ctx,
        &format!("rate rental {id:#x} {}/5", args.score),
        module.rate((&rental.terms).into(), (&usage).into(), signature, args.score),
    )
    .await?;
    let rated = event::<DisputeModule::Rated>(&receipt)?;
    if ctx.global.json {
        return json(&j!({
            "rentalId": id,
            "provider": rated.provider,
            "score": rated.score,
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("rental", format!("{id:#x}")),
        ("provider", rated.provider.to_string()),
        ("score", format!("{}/5", rated.score)),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}

pub(crate) async fn prove_wrong_gpu(ctx: &Ctx, id: B256) -> Result<()> {
    ctx.me()?;
    let rental = events::rental(ctx, id).await?;
    if rental.status().is_closed() {
        bail!("rental {id:#x} is closed: a wrong GPU can only be proven while the rental is live");
    }
    let token = ctx.token(rental.terms.token).await?;
    let signed = any_attestation(ctx, &rental).await?;
    let promised = offer_model_hash(ctx, &rental).await?;
    if signed.attestation.gpuModelHash == promised {
        bail!("the oracle's attestation of rental {id:#x} is for the offer's GPU model ({promised}): nothing to prove");
    }
    let (usage, signature) = signed.onchain_usage();
    let module = ctx.disputes().await?;
    let receipt = send(
        ctx,
        &format!("prove a wrong GPU on rental {id:#x}"),
        module.proveWrongGpu((&rental.terms).into(), (&usage).into(), signature),
    )
    .await?;
    let slashed = event::<DisputeModule::Slashed>(&receipt)?;
    let paid = event::<DisputeModule::OutcomePaid>(&receipt)?;
    // The deposit for the time after the end comes back straight from the escrow, the rest through the module.
    let refund = paid.toRenter + event::<GpuEscrow::RentalResolved>(&receipt)?.returned;
    if ctx.global.json {
        return json(&j!({
            "rentalId": id,
            "token": token,
            "attestedModelHash": signed.attestation.gpuModelHash,
            "offerModelHash": promised,
            "refund": refund.to_string(),
            "slashed": slashed.amount.to_string(),
            "bounty": slashed.bounty.to_string(),
            "toRenter": slashed.toRenter.to_string(),
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("rental", format!("{id:#x} (closed)")),
        (
            "proven",
            format!(
                "attested GPU model {} is not the offer's {promised}",
                signed.attestation.gpuModelHash
            ),
        ),
        (
            "refund",
            format!("{} (the whole unpaid deposit) to the renter", token.show(refund)),
        ),
        (
            "slashed",
            format!(
                "{} of the provider's bond: {} bounty to {}, {} to the renter",
                token.show(slashed.amount),
                token.show(slashed.bounty),
                slashed.submitter,
                token.show(slashed.toRenter)
            ),
        ),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}
