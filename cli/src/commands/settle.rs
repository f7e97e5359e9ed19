//! `stop` and `settle`: the renter's way out, with the provider's attestation checked locally
//! before anything is sent.

use alloy::{
    primitives::{Address, B256},
    rpc::types::TransactionReceipt,
};
use eyre::{bail, eyre, Result};
use protocol::{
    acceptance::{self, Purpose},
    billing,
    bindings::GpuEscrow,
    domain, AcceptanceError, SignedAttestation,
};
use serde_json::json as j;

use crate::{
    args::StopArgs,
    context::Ctx,
    events::{self, Rental},
    oracle::Oracle,
    output::{fields, json, note, out},
    token::Token,
    tx::send,
    units::{format_bps, format_duration, format_time},
};

/// Checks that an attestation is evidence about `rental`: of this rental, signed by the attester
/// in its terms ([`acceptance::is_evidence`]).
pub(crate) fn verify_signed(ctx: &Ctx, rental: &Rental, signed: &SignedAttestation) -> Result<()> {
    if !acceptance::is_evidence(signed, rental, &domain(ctx.chain_id, ctx.deployment.escrow)) {
        bail!(
            "the oracle answered with an attestation that is not rental {:#x}'s signed by its attester {}: the escrow would refuse it",
            rental.id,
            rental.terms.attester
        );
    }
    Ok(())
}

/// The GPU model hash the rental's offer promises.
pub(crate) async fn offer_model_hash(ctx: &Ctx, rental: &Rental) -> Result<B256> {
    Ok(ctx
        .escrow
        .offer(rental.terms.offerId)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading the rental's offer"))?
        .gpuModelHash)
}

/// Checks an attestation before settling with it by the escrow's rules ([`acceptance::check`]:
/// signer, rental, the offer's GPU model, seq, uptime, and for `Purpose::Settle` covering the end),
/// allowing a period end up to [`MAX_CHAIN_LAG`] ahead of the chain, then waits for a block at or
/// after it. An attestation of another model is not paid for: it proves the provider wrong.
async fn accept_for_settlement(ctx: &Ctx, rental: &Rental, signed: &SignedAttestation, purpose: Purpose) -> Result<()> {
    let promised = offer_model_hash(ctx, rental).await?;
    let (_, now) = ctx.head().await?;
    let domain = domain(ctx.chain_id, ctx.deployment.escrow);
    acceptance::check(signed, rental, promised, &domain, now + MAX_CHAIN_LAG.as_secs(), purpose).map_err(|e| match e {
        AcceptanceError::WrongGpuModel { found, expected } => eyre!(
            "the oracle attests a GPU model (hash {found}) other than offer {}'s ({expected}): the rental ran on different hardware, so do not settle with it; prove it instead with `gpu-escrow prove-wrong-gpu {:#x}` (the whole unpaid deposit back to the renter and a slash of the provider's bond)",
            rental.terms.offerId,
            rental.id
        ),
        e => eyre!("the oracle's attestation would be refused by the escrow: {e}"),
    })?;
    wait_for_chain_time(ctx, signed.attestation.periodEnd).await
}

/// Waits until the chain's latest block is at least `period_end`: the oracle signs with its own
/// clock, which is usually ahead of the last block, and the escrow refuses attestations from its
/// future.
async fn wait_for_chain_time(ctx: &Ctx, period_end: u64) -> Result<()> {
    let deadline = std::time::Instant::now() + MAX_CHAIN_LAG;
    let mut told = false;
    loop {
        let (_, now) = ctx.head().await?;
        if now >= period_end {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!(
                "the chain's latest block ({}) is still before the attestation's period end ({}) after {} s: is the chain producing blocks? (a local anvil needs --block-time or a transaction to mine)",
                format_time(now),
                format_time(period_end),
                MAX_CHAIN_LAG.as_secs()
            );
        }
        if !told {
            note(&format!(
                "waiting for a block at or after the attestation's period end ({} s ahead of the chain)",
                period_end - now
            ));
            told = true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// How long the chain may lag the oracle's clock before `stop` and `settle` give up.
const MAX_CHAIN_LAG: std::time::Duration = std::time::Duration::from_mins(1);

fn require_renter(rental: &Rental, me: Address, what: &str) -> Result<()> {
    if rental.terms.renter != me {
        bail!(
            "only the renter {} can {what} rental {}; you sign as {me}",
            rental.terms.renter,
            rental.id
        );
    }
    Ok(())
}

/// A frozen rental moves no money until its dispute is resolved.
pub(crate) fn require_not_frozen(rental: &Rental) -> Result<()> {
    if rental.frozen {
        bail!(
            "rental {id:#x} is frozen by a dispute: nothing can stop, settle or extend it until the ruling is executed; see `gpu-escrow dispute-status {id:#x}`",
            id = rental.id
        );
    }
    Ok(())
}

pub(crate) async fn stop(ctx: &Ctx, args: StopArgs) -> Result<()> {
    let me = ctx.me()?;
    let rental = events::rental(ctx, args.rental).await?;
    if rental.status().is_closed() {
        bail!(
            "rental {} is already closed: see `gpu-escrow receipt {}`",
            rental.id,
            rental.id
        );
    }
    require_renter(&rental, me, "stop")?;
    require_not_frozen(&rental)?;
    let token = ctx.token(rental.terms.token).await?;
    if args.no_settle {
        let receipt = send(ctx, "stop the rental", ctx.escrow.stop(rental.terms.clone())).await?;
        let stopped = receipt
            .decoded_log::<GpuEscrow::RentalStopped>()
            .ok_or_else(|| eyre!("the stop transaction emitted no RentalStopped"))?
            .data;
        let at: u64 = stopped.stoppedAt.to();
        if ctx.global.json {
            return json(&j!({"rentalId": rental.id, "stoppedAt": at, "tx": receipt.transaction_hash}));
        }
        out(&fields(&[
            ("rental", format!("{:#x}", rental.id)),
            ("stopped", format_time(at)),
            (
                "next",
                format!(
                    "settle with `gpu-escrow settle {:#x}` once the provider's oracle has a final attestation",
                    rental.id
                ),
            ),
            ("tx", format!("{:#x}", receipt.transaction_hash)),
        ]));
        return Ok(());
    }
    let oracle = Oracle::of_rental(ctx, &rental).await?;
    let signed = oracle.attestation(rental.id, true).await?;
    // Billing ends at the stop's block: the attestation need not cover an end yet.
    accept_for_settlement(ctx, &rental, &signed, Purpose::Checkpoint).await?;
    let (usage, signature) = signed.onchain_usage();
    let receipt = send(
        ctx,
        "stop and settle the rental",
        ctx.escrow.stopAndSettle(rental.terms.clone(), usage, signature),
    )
    .await?;
    print_settled(ctx, &rental, &token, &receipt)
}

pub(crate) async fn settle(ctx: &Ctx, id: B256) -> Result<()> {
    let me = ctx.me()?;
    let rental = events::rental(ctx, id).await?;
    if rental.status().is_closed() {
        bail!("rental {id} is already closed: see `gpu-escrow receipt {id}`");
    }
    require_not_frozen(&rental)?;
    let token = ctx.token(rental.terms.token).await?;
    let head = ctx.head().await?;
    let now = head.1;
    let (quote, _) = events::quote(ctx, &rental, head).await?;
    if !quote.ended {
        bail!(
            "rental {id} is still running until {}: stop it with `gpu-escrow stop {id}` (which also settles)",
            format_time(quote.ends_at)
        );
    }
    let window_closes = quote.ends_at + u64::from(rental.terms.challengeWindow);
    if me != rental.terms.renter && now < window_closes {
        bail!(
            "the challenge window is open: rental {id} ended at {} and only its renter may settle it during the next {} (until {}); anyone may settle after that, and keepers do it automatically",
            format_time(quote.ends_at),
            format_duration(u64::from(rental.terms.challengeWindow)),
            format_time(window_closes)
        );
    }
    let deadline = quote.ends_at + u64::from(rental.terms.gracePeriod);
    if now > deadline {
        bail!(
            "the settlement deadline passed at {}: rental {id} can only be refunded now (the whole remaining deposit goes back to the renter; anyone may call refund)",
            format_time(deadline)
        );
    }
    let signed = final_attestation(ctx, &rental, quote.ends_at).await?;
    let (usage, signature) = signed.onchain_usage();
    let receipt = send(
        ctx,
        "settle the rental",
        ctx.escrow.settle(rental.terms.clone(), usage, signature),
    )
    .await?;
    print_settled(ctx, &rental, &token, &receipt)
}

/// The provider's attestation covering the rental's end (`end`), checked for settlement: the
/// oracle's latest, or a fresh one when that stops short.
pub(crate) async fn final_attestation(ctx: &Ctx, rental: &Rental, end: u64) -> Result<SignedAttestation> {
    let oracle = Oracle::of_rental(ctx, rental).await?;
    let mut signed = oracle.attestation(rental.id, false).await.ok();
    if signed.as_ref().is_none_or(|s| s.attestation.periodEnd < end) {
        signed = Some(oracle.attestation(rental.id, true).await?);
    }
    let Some(signed) = signed.filter(|s| s.attestation.periodEnd >= end) else {
        bail!(
            "the provider's oracle has no attestation covering the end ({}) yet; try again in a few seconds",
            format_time(end)
        );
    };
    accept_for_settlement(ctx, rental, &signed, Purpose::Settle).await?;
    Ok(signed)
}

pub(crate) fn print_settled(ctx: &Ctx, rental: &Rental, token: &Token, receipt: &TransactionReceipt) -> Result<()> {
    let settled = receipt
        .decoded_log::<GpuEscrow::RentalSettled>()
        .ok_or_else(|| eyre!("the transaction emitted no RentalSettled"))?
        .data;
    let fee = billing::fee(settled.cost, rental.terms.feeBps);
    let credit = settled.slaCredit;
    let provider_net = settled.cost.saturating_sub(fee).saturating_sub(credit);
    if ctx.global.json {
        return json(&j!({
            "rentalId": rental.id,
            "token": token,
            "billedSeconds": settled.billedSeconds,
            "cost": settled.cost.to_string(),
            "fee": fee.to_string(),
            "slaCredit": credit.to_string(),
            "providerNet": provider_net.to_string(),
            "refund": settled.refund.to_string(),
            "tx": receipt.transaction_hash,
        }));
    }
    let mut rows = vec![
        ("rental", format!("{:#x}", rental.id)),
        ("billed", format_duration(settled.billedSeconds)),
        (
            "cost",
            format!(
                "{} (provider {}, fee {})",
                token.show(settled.cost),
                token.show(provider_net),
                token.show(fee)
            ),
        ),
    ];
    if !credit.is_zero() {
        rows.push((
            "SLA credit",
            format!(
                "{} back: uptime below the offer's {}",
                token.show(credit),
                format_bps(u64::from(rental.terms.slaBps))
            ),
        ));
    }
    rows.push(("refund", token.show(settled.refund)));
    rows.push(("tx", format!("{:#x}", receipt.transaction_hash)));
    out(&fields(&rows));
    Ok(())
}
