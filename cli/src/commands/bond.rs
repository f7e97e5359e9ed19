//! The provider's bonds in the dispute module: `bond`, `unbond`, `withdraw-bond`, `bond-status`.
//! An offer in a token needs at least the module's `minBond(token)` bonded (not being unbonded).

use std::collections::BTreeSet;

use alloy::primitives::{Address, U256};
use eyre::{bail, eyre, Result};
use protocol::bindings::{DisputeModule, DisputeModule::DisputeModuleErrors};
use serde_json::json as j;

use crate::{
    args::{BondArgs, BondStatusArgs, TokenArg},
    commands::offers::Reliability,
    context::Ctx,
    output::{fields, json, note, out, table},
    token::{self, Token},
    tx::{approve_exact, send},
    units::{format_amount, format_duration, format_time, parse_amount},
};

/// The message for a provider whose bond in `token` is short of the minimum an offer needs.
pub(crate) fn missing_bond_message(token: &Token, bonded: U256, min: U256) -> String {
    let amount = format_amount(min, token.decimals);
    let flag = if token.symbol.eq_ignore_ascii_case("USDC") {
        String::new()
    } else {
        format!(" --token {}", token.symbol)
    };
    format!(
        "an offer in {symbol} needs a provider bond: post a bond of at least {} first: gpu-escrow bond {amount}{flag} (bonded now: {}, not counting what is being unbonded)",
        token.show(min),
        token.show(bonded),
        symbol = token.symbol,
    )
}

async fn resolve_token(ctx: &Ctx, name: &str) -> Result<Token> {
    let address = token::resolve(name, ctx.token_symbols())?;
    ctx.token(address).await
}

pub(crate) async fn bond(ctx: &Ctx, args: BondArgs) -> Result<()> {
    let me = ctx.me()?;
    let token = resolve_token(ctx, &args.token).await?;
    let amount = parse_amount(&args.amount, token.decimals)?;
    if amount.is_zero() {
        bail!("the bond must be above zero");
    }
    let module = ctx.disputes().await?;
    token.require_balance(&ctx.provider, me, amount, "the bond").await?;
    let what = format!("bond {}", token.show(amount));
    let receipt = if token.is_native() {
        send(ctx, &what, module.bond(token.address, amount).value(amount)).await?
    } else {
        approve_exact(ctx, &token, *module.address(), "the dispute module", amount).await?;
        send(ctx, &what, module.bond(token.address, amount)).await?
    };
    let bonded = receipt
        .decoded_log::<DisputeModule::Bonded>()
        .ok_or_else(|| eyre!("the bond transaction emitted no Bonded"))?
        .data;
    let min = module
        .minBond(token.address)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading the minimum bond"))?;
    let reinstated = reinstate_offers(ctx, me, &token).await?;
    if ctx.global.json {
        return json(&j!({
            "provider": me,
            "token": token,
            "amount": amount.to_string(),
            "total": bonded.total.to_string(),
            "minBond": min.to_string(),
            "reinstated": reinstated,
            "tx": receipt.transaction_hash,
        }));
    }
    if !reinstated.is_empty() {
        note(&format!(
            "offer(s) {} take rentals again: the bond is back at the minimum",
            reinstated.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    out(&fields(&[
        ("bonded", token.show(amount)),
        ("total", token.show(bonded.total)),
        (
            "offers need",
            format!(
                "at least {} bonded in {}{}",
                token.show(min),
                token.symbol,
                if bonded.total >= min { " (met)" } else { "" }
            ),
        ),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}

/// Reinstates `provider`'s offers in `token` that a slash or penalty suspended, now that the bond
/// is back (`syncOffer`, which anyone may call); returns their ids.
async fn reinstate_offers(ctx: &Ctx, provider: Address, token: &Token) -> Result<Vec<u64>> {
    let module = ctx.disputes().await?;
    let mut reinstated = Vec::new();
    for (id, created) in crate::events::offers_created(ctx, Some(provider)).await? {
        if created.params.token != token.address {
            continue;
        }
        let account = ctx.offer_account(id).await?;
        if account.standing != crate::commands::offers::OFFER_SUSPENDED {
            continue;
        }
        let receipt = send(ctx, &format!("reinstate offer {id}"), module.syncOffer(id)).await?;
        if receipt
            .decoded_log::<protocol::bindings::GpuEscrow::OfferSuspended>()
            .is_some_and(|e| !e.suspended)
        {
            reinstated.push(id);
        }
    }
    Ok(reinstated)
}

pub(crate) async fn unbond(ctx: &Ctx, args: BondArgs) -> Result<()> {
    let me = ctx.me()?;
    let token = resolve_token(ctx, &args.token).await?;
    let amount = parse_amount(&args.amount, token.decimals)?;
    let module = ctx.disputes().await?;
    let account = module
        .bondOf(me, token.address)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading your bond"))?;
    let bonded = U256::from(account.amount);
    if amount > bonded {
        bail!(
            "you have only {} bonded, less than the {} asked to unbond",
            token.show(bonded),
            token.show(amount)
        );
    }
    if account.unbonding > 0 {
        note(&format!(
            "this request replaces the pending one for {} and restarts the delay",
            token.show(U256::from(account.unbonding))
        ));
    }
    let call = module.requestUnbond(token.address, amount);
    if let Err(err) = call.call().await {
        if let Some(DisputeModuleErrors::DisputeModule_BondInUse(e)) =
            err.as_decoded_interface_error::<DisputeModuleErrors>()
        {
            let min = module
                .minBond(token.address)
                .call()
                .await
                .map_err(|e| ctx.call_error(e, "reading the minimum bond"))?;
            bail!(
                "unbonding {} would leave {} bonded, below the {} an offer in {} needs, while offer {} is listed or has a rental running: retire it first (`gpu-escrow offer retire {}`) and let its rentals end, or unbond less",
                token.show(amount),
                token.show(bonded - amount),
                token.show(min),
                token.symbol,
                e.offerId,
                e.offerId
            );
        }
        return Err(ctx.call_error(err, "request to unbond"));
    }
    let receipt = send(ctx, &format!("request to unbond {}", token.show(amount)), call).await?;
    let requested = receipt
        .decoded_log::<DisputeModule::UnbondRequested>()
        .ok_or_else(|| eyre!("the transaction emitted no UnbondRequested"))?
        .data;
    let at: u64 = requested.unbondableAt.to();
    let (_, now) = ctx.head().await?;
    if ctx.global.json {
        return json(&j!({
            "provider": me,
            "token": token,
            "amount": amount.to_string(),
            "withdrawableAt": at,
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("unbonding", token.show(amount)),
        (
            "withdrawable",
            format!(
                "from {} (in {}): `gpu-escrow withdraw-bond --token {}`; it answers for slashes until then",
                format_time(at),
                format_duration(at.saturating_sub(now)),
                token.symbol
            ),
        ),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}

pub(crate) async fn withdraw_bond(ctx: &Ctx, args: TokenArg) -> Result<()> {
    let me = ctx.me()?;
    let token = resolve_token(ctx, &args.token).await?;
    let module = ctx.disputes().await?;
    let account = module
        .bondOf(me, token.address)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading your bond"))?;
    if account.unbonding == 0 {
        bail!(
            "nothing to withdraw: no {} unbonding; ask first with `gpu-escrow unbond AMOUNT --token {}`",
            token.symbol,
            token.symbol
        );
    }
    let (_, now) = ctx.head().await?;
    let at: u64 = account.unbondableAt.to();
    if now < at {
        bail!(
            "the unbonding delay has not passed: {} becomes withdrawable at {} (in {})",
            token.show(U256::from(account.unbonding)),
            format_time(at),
            format_duration(at - now)
        );
    }
    if account.openDisputes > 0 {
        bail!(
            "{} dispute(s) are open on your {} rentals: the bond stays until they are resolved (`gpu-escrow dispute-status`)",
            account.openDisputes,
            token.symbol
        );
    }
    let receipt = send(
        ctx,
        &format!("withdraw the unbonded {}", token.show(U256::from(account.unbonding))),
        module.withdrawBond(token.address),
    )
    .await?;
    let withdrawn = receipt
        .decoded_log::<DisputeModule::BondWithdrawn>()
        .ok_or_else(|| eyre!("the transaction emitted no BondWithdrawn"))?
        .data;
    if ctx.global.json {
        return json(&j!({
            "provider": me,
            "token": token,
            "amount": withdrawn.amount.to_string(),
            "tx": receipt.transaction_hash,
        }));
    }
    out(&fields(&[
        ("withdrawn", token.show(withdrawn.amount)),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ]));
    Ok(())
}

pub(crate) async fn bond_status(ctx: &Ctx, args: BondStatusArgs) -> Result<()> {
    let provider = match args.provider {
        Some(p) => p,
        None => ctx
            .me()
            .map_err(|_| eyre!("whose bonds? pass --provider ADDR, or sign with --keystore / --private-key"))?,
    };
    let module = ctx.disputes().await?;
    let (_, now) = ctx.head().await?;
    let mut tokens: BTreeSet<Address> = ctx.token_symbols().values().copied().collect();
    tokens.insert(Address::ZERO);
    let mut items = Vec::new();
    let mut rows = Vec::new();
    for address in tokens {
        let token = ctx.token(address).await?;
        let account = module
            .bondOf(provider, address)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading the bonds"))?;
        let min = module
            .minBond(address)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading the minimum bond"))?;
        let amount = U256::from(account.amount);
        let unbonding = U256::from(account.unbonding);
        let at: u64 = account.unbondableAt.to();
        let offers_allowed = amount - unbonding >= min;
        items.push(j!({
            "token": token,
            "amount": amount.to_string(),
            "unbonding": unbonding.to_string(),
            "unbondableAt": (at > 0).then_some(at),
            "openDisputes": account.openDisputes,
            "minBond": min.to_string(),
            "offersAllowed": offers_allowed,
        }));
        rows.push(vec![
            token.symbol.clone(),
            token.show(amount),
            if unbonding.is_zero() {
                "-".into()
            } else if now >= at {
                format!("{} (withdrawable now)", token.show(unbonding))
            } else {
                format!("{} (from {})", token.show(unbonding), format_time(at))
            },
            account.openDisputes.to_string(),
            token.show(min),
            if offers_allowed { "yes" } else { "no" }.into(),
        ]);
    }
    let rep = module
        .reputation(provider)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading the reputation"))?;
    let reputation = Reliability::from(&rep);
    if ctx.global.json {
        return json(&j!({"provider": provider, "bonds": items, "reputation": reputation}));
    }
    out(&table(
        &[
            "TOKEN",
            "BONDED",
            "UNBONDING",
            "DISPUTES OPEN",
            "MIN FOR OFFERS",
            "OFFERS OK",
        ],
        &rows,
    ));
    out(&fields(&[("reputation", reputation.summary())]));
    Ok(())
}
