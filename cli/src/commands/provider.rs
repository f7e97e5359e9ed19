//! The provider's commands: registration, offers, earnings and payouts.

use std::collections::BTreeSet;

use alloy::primitives::{aliases::U96, Address, U256};
use eyre::{bail, eyre, Result};
use protocol::bindings::{DisputeModule::DisputeModuleErrors, GpuEscrow};
use serde_json::json as j;

use crate::{
    args::{CapacityArgs, EarningsArgs, OfferCreateArgs, RegisterArgs, UpdatePriceArgs, WithdrawArgs},
    commands::bond::missing_bond_message,
    context::Ctx,
    events,
    output::{fields, json, out, table},
    token::{self, Token},
    tx::send,
    units::{format_amount, parse_amount, parse_duration},
};

fn price_u96(price: U256, token: &Token) -> Result<U96> {
    if price.is_zero() {
        bail!("the price must be above zero");
    }
    if price > U256::from(U96::MAX) {
        bail!("{} per hour is more than the escrow accepts", token.show(price));
    }
    Ok(price.to::<U96>())
}

fn done(ctx: &Ctx, value: &serde_json::Value, lines: &[(&str, String)]) -> Result<()> {
    if ctx.global.json {
        return json(value);
    }
    out(&fields(lines));
    Ok(())
}

/// The bonds `provider` still has to post before an offer in each of the deployment's tokens (and
/// the native coin): (token, minimum, bonded) where bonded < minimum.
async fn missing_bonds(ctx: &Ctx, provider: Address) -> Result<Vec<(Token, U256, U256)>> {
    let module = ctx.disputes().await?;
    let mut tokens: BTreeSet<Address> = ctx.token_symbols().values().copied().collect();
    tokens.insert(Address::ZERO);
    let mut missing = Vec::new();
    for address in tokens {
        let min = module
            .minBond(address)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading the minimum bond"))?;
        let account = module
            .bondOf(provider, address)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading your bond"))?;
        let bonded = U256::from(account.amount - account.unbonding);
        if bonded < min {
            missing.push((ctx.token(address).await?, min, bonded));
        }
    }
    Ok(missing)
}

pub(crate) async fn register(ctx: &Ctx, args: RegisterArgs) -> Result<()> {
    let me = ctx.me()?;
    let receipt = send(
        ctx,
        "register as a provider",
        ctx.escrow
            .registerProvider(args.payout, args.attester, args.endpoint.clone()),
    )
    .await?;
    let missing = missing_bonds(ctx, me).await?;
    let bonds_needed: Vec<serde_json::Value> = missing
        .iter()
        .map(|(token, min, bonded)| j!({"token": token, "minBond": min.to_string(), "bonded": bonded.to_string()}))
        .collect();
    let mut lines = vec![
        ("provider", me.to_string()),
        ("payout", args.payout.to_string()),
        ("attester", args.attester.to_string()),
        ("endpoint", args.endpoint.clone()),
        ("tx", format!("{:#x}", receipt.transaction_hash)),
    ];
    if !missing.is_empty() {
        let needs: Vec<String> = missing.iter().map(|(t, min, _)| t.show(*min)).collect();
        lines.push((
            "next",
            format!(
                "offers need a bond in their token; post at least one of {} with `gpu-escrow bond AMOUNT --token SYMBOL`, then `gpu-escrow offer create`",
                needs.join(", ")
            ),
        ));
    }
    done(
        ctx,
        &j!({"provider": me, "payout": args.payout, "attester": args.attester, "endpoint": args.endpoint, "bondsNeeded": bonds_needed, "tx": receipt.transaction_hash}),
        &lines,
    )
}

pub(crate) async fn create_offer(ctx: &Ctx, args: OfferCreateArgs) -> Result<()> {
    let token_address = token::resolve(&args.token, ctx.token_symbols())?;
    let allowed = ctx
        .escrow
        .tokenAllowed(token_address)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "checking the token"))?;
    let token = ctx.token(token_address).await?;
    if !allowed {
        bail!(
            "the escrow does not accept {} ({}) as payment; pick one of the deployment's tokens",
            token.symbol,
            token.address
        );
    }
    let price = parse_amount(&args.price, token.decimals)?;
    let params = GpuEscrow::OfferParams {
        gpuModel: args.model.clone(),
        vramGiB: args.vram,
        gpuCount: args.gpus,
        token: token_address,
        pricePerHour: price_u96(price, &token)?,
        minDuration: parse_duration(&args.min_duration)?,
        maxDuration: parse_duration(&args.max_duration)?,
        spot: args.spot,
        slaBps: args.sla_bps,
        region: args.region.clone(),
        capacity: args.capacity,
    };
    let call = ctx.escrow.createOffer(params);
    if let Err(err) = call.call().await {
        if let Some(DisputeModuleErrors::DisputeModule_BondBelowMinimum(e)) =
            err.as_decoded_interface_error::<DisputeModuleErrors>()
        {
            bail!(missing_bond_message(&token, e.bonded, e.minBond));
        }
        return Err(ctx.call_error(err, "create the offer"));
    }
    let receipt = send(ctx, "create the offer", call).await?;
    let created = receipt
        .decoded_log::<GpuEscrow::OfferCreated>()
        .ok_or_else(|| eyre!("the transaction emitted no OfferCreated"))?
        .data;
    done(
        ctx,
        &j!({"offerId": created.offerId, "token": token, "pricePerHour": price.to_string(), "tx": receipt.transaction_hash}),
        &[
            ("offer", created.offerId.to_string()),
            ("GPU", format!("{} × {} ({} GiB)", args.gpus, args.model, args.vram)),
            ("price", format!("{} per hour", token.show(price))),
            ("tx", format!("{:#x}", receipt.transaction_hash)),
        ],
    )
}

async fn offer_token(ctx: &Ctx, offer_id: u64) -> Result<Token> {
    let offer = ctx
        .escrow
        .offer(offer_id)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, &format!("reading offer {offer_id}")))?;
    ctx.token(offer.token).await
}

pub(crate) async fn update_price(ctx: &Ctx, args: UpdatePriceArgs) -> Result<()> {
    let token = offer_token(ctx, args.offer).await?;
    let price = parse_amount(&args.price, token.decimals)?;
    let receipt = send(
        ctx,
        &format!("set offer {}'s price", args.offer),
        ctx.escrow.updatePrice(args.offer, price_u96(price, &token)?),
    )
    .await?;
    done(
        ctx,
        &j!({"offerId": args.offer, "pricePerHour": price.to_string(), "token": token, "tx": receipt.transaction_hash}),
        &[
            ("offer", args.offer.to_string()),
            (
                "price",
                format!("{} per hour (for rentals opened from now on)", token.show(price)),
            ),
            ("tx", format!("{:#x}", receipt.transaction_hash)),
        ],
    )
}

pub(crate) async fn set_capacity(ctx: &Ctx, args: CapacityArgs) -> Result<()> {
    let receipt = send(
        ctx,
        &format!("set offer {}'s capacity", args.offer),
        ctx.escrow.setCapacity(args.offer, args.capacity),
    )
    .await?;
    done(
        ctx,
        &j!({"offerId": args.offer, "capacity": args.capacity, "tx": receipt.transaction_hash}),
        &[
            ("offer", args.offer.to_string()),
            ("capacity", args.capacity.to_string()),
            ("tx", format!("{:#x}", receipt.transaction_hash)),
        ],
    )
}

pub(crate) async fn retire(ctx: &Ctx, offer: u64) -> Result<()> {
    let receipt = send(ctx, &format!("retire offer {offer}"), ctx.escrow.retireOffer(offer)).await?;
    done(
        ctx,
        &j!({"offerId": offer, "retired": true, "tx": receipt.transaction_hash}),
        &[
            ("offer", format!("{offer} retired (running rentals are unaffected)")),
            ("tx", format!("{:#x}", receipt.transaction_hash)),
        ],
    )
}

pub(crate) async fn earnings(ctx: &Ctx, args: EarningsArgs) -> Result<()> {
    let provider = match args.provider {
        Some(p) => p,
        None => ctx
            .me()
            .map_err(|_| eyre!("whose earnings? pass --provider ADDR, or sign with --keystore / --private-key"))?,
    };
    let offers = events::offers_created(ctx, Some(provider)).await?;
    let mut tokens: BTreeSet<Address> = ctx.token_symbols().values().copied().collect();
    tokens.insert(Address::ZERO);
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for (id, created) in &offers {
        let account = ctx.offer_account(*id).await?;
        let offer = ctx
            .escrow
            .offer(*id)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, &format!("reading offer {id}")))?;
        let token = ctx.token(created.params.token).await?;
        tokens.insert(token.address);
        let net = U256::from(account.net);
        let fees = U256::from(account.fees);
        rows.push(vec![
            id.to_string(),
            created.params.gpuModel.clone(),
            token.show(net),
            format!("{}/{}", account.activeRentals, offer.capacity),
        ]);
        items.push(j!({"offerId": id, "model": created.params.gpuModel, "token": token, "accruedNet": net.to_string(), "accruedFees": fees.to_string()}));
    }
    let mut credits = Vec::new();
    let mut credit_lines = Vec::new();
    for address in tokens {
        let credit = ctx
            .escrow
            .credit(provider, address)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, "reading credited balances"))?;
        let token = ctx.token(address).await?;
        credit_lines.push(token.show(credit));
        credits.push(j!({"token": token, "amount": credit.to_string()}));
    }
    if ctx.global.json {
        return json(&j!({"provider": provider, "offers": items, "credits": credits}));
    }
    if rows.is_empty() {
        out(&format!("provider {provider} has no offers"));
    } else {
        out(&table(&["OFFER", "MODEL", "ACCRUED (claimable)", "IN USE"], &rows));
    }
    out(&format!("credited (withdrawable): {}", credit_lines.join(", ")));
    Ok(())
}

pub(crate) async fn claim(ctx: &Ctx, offer: u64) -> Result<()> {
    let token = offer_token(ctx, offer).await?;
    let receipt = send(
        ctx,
        &format!("claim offer {offer}'s earnings"),
        ctx.escrow.claimEarnings(offer),
    )
    .await?;
    let claimed = receipt
        .decoded_log::<GpuEscrow::EarningsClaimed>()
        .ok_or_else(|| eyre!("the transaction emitted no EarningsClaimed"))?
        .data;
    done(
        ctx,
        &j!({"offerId": offer, "token": token, "net": claimed.net.to_string(), "fees": claimed.fees.to_string(), "payout": claimed.payout, "tx": receipt.transaction_hash}),
        &[
            ("offer", offer.to_string()),
            ("paid", format!("{} to {}", token.show(claimed.net), claimed.payout)),
            ("tx", format!("{:#x}", receipt.transaction_hash)),
        ],
    )
}

pub(crate) async fn withdraw(ctx: &Ctx, args: WithdrawArgs) -> Result<()> {
    let me = ctx.me()?;
    let address = token::resolve(&args.token, ctx.token_symbols())?;
    let token = ctx.token(address).await?;
    let credit = ctx
        .escrow
        .credit(me, address)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading your credited balance"))?;
    let amount = match &args.amount {
        Some(a) => parse_amount(a, token.decimals)?,
        None => credit,
    };
    if credit.is_zero() {
        bail!("nothing to withdraw: {me} has no {} credited", token.symbol);
    }
    if amount > credit {
        bail!(
            "{me} has only {} credited, less than the {} asked",
            token.show(credit),
            token.show(amount)
        );
    }
    let receipt = send(
        ctx,
        &format!("withdraw {}", token.show(amount)),
        ctx.escrow.withdraw(address, amount),
    )
    .await?;
    done(
        ctx,
        &j!({"token": token, "amount": amount.to_string(), "tx": receipt.transaction_hash}),
        &[
            (
                "withdrawn",
                format!("{} {}", format_amount(amount, token.decimals), token.symbol),
            ),
            ("tx", format!("{:#x}", receipt.transaction_hash)),
        ],
    )
}
