//! `rent` and `extend`: escrowing a deposit (approve-exact, permit, or the native coin).

use std::path::PathBuf;

use alloy::{
    primitives::{aliases::U96, Bytes, B256, U256},
    rpc::types::TransactionReceipt,
};
use eyre::{bail, eyre, Result, WrapErr};
use protocol::{access_key, billing, bindings::GpuEscrow, terms::terms_from_opened};
use serde_json::json as j;

use crate::{
    args::{ExtendArgs, PayWith, RentArgs},
    context::Ctx,
    events,
    output::{fields, json, out},
    token::Token,
    tx::{approve_exact, send},
    units::{format_bps, format_duration, format_time, parse_amount, parse_hours},
};

/// How long a permit signed by `rent --pay permit` stays valid.
const PERMIT_VALIDITY_SECS: u64 = 3_600;

/// The SSH public key file: the one given, else ~/.ssh/id_ed25519.pub when present.
fn ssh_key_path(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(path) = given {
        return Ok(path);
    }
    let default = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".ssh/id_ed25519.pub"));
    match default {
        Some(path) if path.is_file() => Ok(path),
        _ => bail!(
            "no SSH public key: ~/.ssh/id_ed25519.pub does not exist; pass --ssh-key FILE (an OpenSSH .pub file, e.g. from `ssh-keygen -t ed25519`): the provider's host grants that key access"
        ),
    }
}

fn read_access_key(path: &PathBuf) -> Result<Bytes> {
    let line = std::fs::read_to_string(path).wrap_err_with(|| format!("cannot read the SSH key {}", path.display()))?;
    let wire = access_key::to_wire(&line).map_err(|e| {
        eyre!(
            "{} is not an OpenSSH public key ({e}); pass the .pub file",
            path.display()
        )
    })?;
    Ok(wire.into())
}

fn to_u96(amount: U256, token: &Token) -> Result<U96> {
    if amount > U256::from(U96::MAX) {
        bail!("{} is more than the escrow accepts in one deposit", token.show(amount));
    }
    Ok(amount.to::<U96>())
}

pub(crate) async fn rent(ctx: &Ctx, args: RentArgs) -> Result<()> {
    let me = ctx.me()?;
    let offer = ctx
        .escrow
        .offer(args.offer)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, &format!("reading offer {}", args.offer)))?;
    if offer.retired {
        bail!("offer {} is retired: pick another with `gpu-escrow offers`", args.offer);
    }
    let token = ctx.token(offer.token).await?;
    let deposit = match (&args.hours, &args.deposit) {
        (Some(hours), _) => {
            let seconds = parse_hours(hours)?;
            ctx.escrow
                .quoteDeposit(args.offer, seconds)
                .call()
                .await
                .map_err(|e| ctx.call_error(e, "quoting the deposit"))?
        }
        (None, Some(amount)) => parse_amount(amount, token.decimals)?,
        (None, None) => bail!("say how long: --hours H or --deposit AMOUNT"),
    };
    let access_key = read_access_key(&ssh_key_path(args.ssh_key)?)?;
    let params = GpuEscrow::OpenParams {
        offerId: args.offer,
        deposit: to_u96(deposit, &token)?,
        salt: B256::from(rand::random::<[u8; 32]>()),
    };
    let what = format!("open a rental of offer {} with {}", args.offer, token.show(deposit));
    token.require_balance(&ctx.provider, me, deposit, "the deposit").await?;
    let receipt = if token.is_native() {
        send(ctx, &what, ctx.escrow.open(params, access_key).value(deposit)).await?
    } else {
        match args.pay {
            PayWith::Approve => {
                approve_exact(ctx, &token, ctx.deployment.escrow, "the escrow", deposit).await?;
                send(ctx, &what, ctx.escrow.open(params, access_key)).await?
            }
            PayWith::Permit => {
                let (_, now) = ctx.head().await?;
                let deadline = U256::from(now + PERMIT_VALIDITY_SECS);
                let signature = token
                    .sign_permit(
                        &ctx.provider,
                        ctx.chain_id,
                        ctx.signer()?,
                        ctx.deployment.escrow,
                        deposit,
                        deadline,
                    )
                    .await?;
                let call = ctx.escrow.openWithPermit(
                    params,
                    access_key,
                    deadline,
                    signature.v_byte(),
                    signature.r().into(),
                    signature.s().into(),
                );
                send(ctx, &what, call).await?
            }
        }
    };
    print_opened(ctx, &receipt, &token)
}

fn print_opened(ctx: &Ctx, receipt: &TransactionReceipt, token: &Token) -> Result<()> {
    let opened = receipt
        .decoded_log::<GpuEscrow::RentalOpened>()
        .ok_or_else(|| {
            eyre!(
                "the open transaction {} emitted no RentalOpened",
                receipt.transaction_hash
            )
        })?
        .data;
    let terms = terms_from_opened(&opened);
    let price = U256::from(terms.pricePerHour);
    let started: u64 = terms.startedAt.to();
    let covered = billing::covered_seconds(price, opened.deposit);
    let ends = started.saturating_add(covered);
    if ctx.global.json {
        return json(&j!({
            "rentalId": opened.rentalId,
            "offerId": terms.offerId,
            "renter": terms.renter,
            "token": token,
            "deposit": opened.deposit.to_string(),
            "pricePerHour": price.to_string(),
            "feeBps": terms.feeBps,
            "slaBps": terms.slaBps,
            "startedAt": started,
            "endsAt": ends,
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("rental", format!("{:#x}", opened.rentalId)),
        ("offer", terms.offerId.to_string()),
        ("deposit", token.show(opened.deposit)),
        ("price", format!("{} per hour", token.show(price))),
        (
            "fee rate",
            format!(
                "{} of the cost (kept from the provider's share)",
                format_bps(u64::from(terms.feeBps))
            ),
        ),
        (
            "SLA",
            format!(
                "{} uptime, or a credit at settlement",
                format_bps(u64::from(terms.slaBps))
            ),
        ),
        ("started", format_time(started)),
        (
            "ends",
            format!(
                "{} (after {}, unless stopped or extended)",
                format_time(ends),
                format_duration(covered)
            ),
        ),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}

pub(crate) async fn extend(ctx: &Ctx, args: ExtendArgs) -> Result<()> {
    let me = ctx.me()?;
    let rental = events::rental(ctx, args.rental).await?;
    if rental.status().is_closed() {
        bail!("rental {} is closed: nothing to extend", rental.id);
    }
    super::settle::require_not_frozen(&rental)?;
    if rental.terms.renter != me {
        bail!(
            "only the renter {} can extend rental {}; you sign as {me}",
            rental.terms.renter,
            rental.id
        );
    }
    let token = ctx.token(rental.terms.token).await?;
    let amount = parse_amount(&args.amount, token.decimals)?;
    let amount96 = to_u96(amount, &token)?;
    token
        .require_balance(&ctx.provider, me, amount, "the extension")
        .await?;
    let what = format!("extend rental {} by {}", rental.id, token.show(amount));
    let receipt = if token.is_native() {
        send(
            ctx,
            &what,
            ctx.escrow.extend(rental.terms.clone(), amount96).value(amount),
        )
        .await?
    } else {
        approve_exact(ctx, &token, ctx.deployment.escrow, "the escrow", amount).await?;
        send(ctx, &what, ctx.escrow.extend(rental.terms.clone(), amount96)).await?
    };
    let extended = receipt
        .decoded_log::<GpuEscrow::RentalExtended>()
        .ok_or_else(|| eyre!("the extend transaction emitted no RentalExtended"))?
        .data;
    let ends = rental
        .started_at()
        .saturating_add(billing::covered_seconds(rental.price_per_hour(), extended.deposit));
    if ctx.global.json {
        return json(&j!({
            "rentalId": rental.id,
            "token": token,
            "amount": amount.to_string(),
            "deposit": extended.deposit.to_string(),
            "endsAt": ends,
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("rental", format!("{:#x}", rental.id)),
        ("added", token.show(amount)),
        ("deposit", token.show(extended.deposit)),
        ("ends", format_time(ends)),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}
