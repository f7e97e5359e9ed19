//! `receipt` and `history`: what a rental cost, from the escrow's events.

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
};
use eyre::Result;
use protocol::{billing, bindings::GpuEscrow, rental::Closure, RentalStatus};
use serde_json::{json as j, Value};

use crate::{
    args::HistoryArgs,
    context::Ctx,
    disputes::{self, Dispute},
    events::{self, Rental},
    output::{fields, json, out, table},
    units::{format_bps, format_duration, format_time},
};

/// Refunds credited to `renter` (undeliverable transfers) by the transaction `tx`.
async fn credited(ctx: &Ctx, tx: B256, renter: Address) -> Result<U256> {
    let Some(receipt) = ctx
        .provider
        .get_transaction_receipt(tx)
        .await
        .map_err(|e| ctx.rpc_error(&e, "reading the settling transaction's receipt"))?
    else {
        return Ok(U256::ZERO);
    };
    Ok(receipt
        .inner
        .logs()
        .iter()
        .filter(|l| l.address() == ctx.deployment.escrow)
        .filter_map(|l| l.log_decode::<GpuEscrow::Credited>().ok())
        .filter(|c| c.inner.data.account == renter)
        .map(|c| c.inner.data.amount)
        .fold(U256::ZERO, |a, b| a + b))
}

/// Where a closed rental's deposit went.
#[derive(Debug, Clone, Copy)]
struct Money {
    /// The GPU time billed (before the SLA credit).
    cost: U256,
    fee: U256,
    provider_net: U256,
    /// Back to the renter out of the provider's share.
    sla_credit: U256,
    refund: U256,
}

impl Money {
    /// `None` while the rental is open.
    fn of(rental: &Rental, dispute: Option<&Dispute>) -> Option<Self> {
        let (net, fee) = (rental.checkpointed_net, rental.checkpointed_fee);
        match rental.closure? {
            Closure::Settled {
                cost,
                refund,
                sla_credit,
                ..
            } => {
                let fee = billing::fee(cost, rental.terms.feeBps);
                Some(Self {
                    cost,
                    fee,
                    provider_net: cost.saturating_sub(fee).saturating_sub(sla_credit),
                    sla_credit,
                    refund,
                })
            }
            // Only checkpoints were paid.
            Closure::Refunded { refund } => Some(Self {
                cost: rental.deposit - refund,
                fee,
                provider_net: net,
                sla_credit: U256::ZERO,
                refund,
            }),
            // Checkpoints, then the outcome's split of what was at stake; the deposit for the time
            // after the end came back to the renter besides.
            Closure::Resolved { returned, .. } => {
                let (to_renter, to_provider, outcome_fee) = dispute
                    .and_then(|d| d.outcome.as_ref())
                    .map_or((U256::ZERO, U256::ZERO, U256::ZERO), |(o, _)| {
                        (o.toRenter, o.toProvider, o.fee)
                    });
                let refund = returned + to_renter;
                Some(Self {
                    cost: rental.deposit - refund,
                    fee: fee + outcome_fee,
                    provider_net: net + to_provider,
                    sla_credit: U256::ZERO,
                    refund,
                })
            }
        }
    }
}

/// The model's status, with a running rental told apart as stopped or ended (due for settlement).
fn status_of(rental: &Rental, now: u64) -> &'static str {
    match rental.status() {
        RentalStatus::Running if rental.stopped.is_some() => "stopped",
        RentalStatus::Running if now >= rental.end() => "ended",
        status => status.as_str(),
    }
}

#[allow(clippy::too_many_lines)] // one receipt: gather, then print as JSON or text
pub(crate) async fn receipt(ctx: &Ctx, id: B256) -> Result<()> {
    let rental = events::rental(ctx, id).await?;
    let token = ctx.token(rental.terms.token).await?;
    let created = events::offer_created(ctx, rental.terms.offerId).await?;
    let (_, now) = ctx.head().await?;
    let status = status_of(&rental, now);
    let resolved = match rental.closure {
        Some(Closure::Resolved { at_stake, returned, .. }) => Some((at_stake, returned)),
        _ => None,
    };
    let ended_at = (rental.status().is_closed() || rental.stopped.is_some() || status == "ended").then(|| rental.end());
    let dispute = if rental.frozen || resolved.is_some() {
        Some(disputes::of_rental(ctx, id, now).await?)
    } else {
        None
    };
    let money = Money::of(&rental, dispute.as_ref());
    let credited = match rental.txs.close {
        Some(tx) => credited(ctx, tx, rental.terms.renter).await?,
        None => U256::ZERO,
    };
    let settled = matches!(rental.closure, Some(Closure::Settled { .. }));
    let billed = settled.then(|| rental.billed_seconds());
    let (cost, fee, provider_net, sla_credit, refund) = (
        money.map(|m| m.cost),
        money.map(|m| m.fee),
        money.map(|m| m.provider_net),
        money.map(|m| m.sla_credit),
        money.map(|m| m.refund),
    );
    let text = |v: Option<U256>| v.map(|a| a.to_string());
    let view = j!({
        "rentalId": rental.id,
        "status": status,
        "offerId": rental.terms.offerId,
        "gpuModel": created.as_ref().map(|c| c.params.gpuModel.clone()),
        "vramGiB": created.as_ref().map(|c| c.params.vramGiB),
        "gpuCount": created.as_ref().map(|c| c.params.gpuCount),
        "region": created.as_ref().map(|c| c.params.region.clone()),
        "provider": created.as_ref().map(|c| c.provider),
        "renter": rental.terms.renter,
        "token": token,
        "pricePerHour": rental.price_per_hour().to_string(),
        "feeBps": rental.terms.feeBps,
        "slaBps": rental.terms.slaBps,
        "startedAt": rental.started_at(),
        "endedAt": ended_at,
        "billedSeconds": billed,
        "initialDeposit": rental.initial_deposit.to_string(),
        "deposit": rental.deposit.to_string(),
        "cost": text(cost),
        "fee": text(fee),
        "providerNet": text(provider_net),
        "slaCredit": text(sla_credit),
        "paid": cost.zip(sla_credit).map(|(c, s)| (c - s).to_string()),
        "refund": text(refund),
        "credited": credited.to_string(),
        "dispute": dispute.as_ref().map(disputes::Dispute::to_json),
        "resolved": resolved.map(|(at_stake, returned)| j!({
            "atStake": at_stake.to_string(),
            "returned": returned.to_string(),
        })),
        "txs": {
            "open": rental.txs.open,
            "extend": rental.txs.extend,
            "checkpoints": rental.txs.checkpoints,
            "stop": rental.txs.stop,
            "settle": rental.txs.close.filter(|_| settled),
            "refund": rental.txs.close.filter(|_| rental.status() == RentalStatus::Refunded),
            "freeze": rental.txs.freeze,
            "resolve": rental.txs.close.filter(|_| resolved.is_some()),
        },
    });
    if ctx.global.json {
        return json(&view);
    }
    let show = |v: Option<U256>| v.map_or_else(|| "-".into(), |a| token.show(a));
    let mut rows = vec![
        ("rental", format!("{:#x}", rental.id)),
        ("status", status.to_owned()),
        (
            "GPU",
            created.as_ref().map_or_else(
                || "unknown offer".into(),
                |c| {
                    format!(
                        "{} × {} ({} GiB), {}",
                        c.params.gpuCount, c.params.gpuModel, c.params.vramGiB, c.params.region
                    )
                },
            ),
        ),
        ("offer", rental.terms.offerId.to_string()),
        (
            "price",
            format!(
                "{} per hour, fee {}, SLA {}",
                token.show(rental.price_per_hour()),
                format_bps(u64::from(rental.terms.feeBps)),
                format_bps(u64::from(rental.terms.slaBps))
            ),
        ),
        ("started", format_time(rental.started_at())),
        ("ended", ended_at.map_or_else(|| "still running".into(), format_time)),
    ];
    if let (Some(end), Some(b)) = (ended_at, billed) {
        rows.push((
            "billed",
            format!(
                "{} of {} wall-clock",
                format_duration(b),
                format_duration(end.saturating_sub(rental.started_at()))
            ),
        ));
    }
    rows.extend([
        ("deposit", token.show(rental.deposit)),
        ("cost", show(cost)),
        ("  provider", show(provider_net)),
        ("  fee", show(fee)),
    ]);
    if let Some(credit) = sla_credit.filter(|c| !c.is_zero()) {
        rows.push((
            "  SLA credit",
            format!(
                "{} back to you: uptime below the offer's {}",
                token.show(credit),
                format_bps(u64::from(rental.terms.slaBps))
            ),
        ));
    } else if settled {
        rows.push(("  SLA credit", "none: the SLA was met".into()));
    }
    rows.push(("refund", show(refund)));
    if let Some(d) = &dispute {
        rows.extend(d.lines(&token, rental.id));
    }
    if !credited.is_zero() {
        rows.push((
            "credited",
            format!(
                "{} (the refund transfer failed; `gpu-escrow withdraw {}`)",
                token.show(credited),
                token.symbol
            ),
        ));
    }
    rows.push(("open tx", format!("{:#x}", rental.txs.open)));
    for tx in &rental.txs.extend {
        rows.push(("extend tx", format!("{tx:#x}")));
    }
    for tx in &rental.txs.checkpoints {
        rows.push(("checkpoint tx", format!("{tx:#x}")));
    }
    if let Some(tx) = rental.txs.stop {
        rows.push(("stop tx", format!("{tx:#x}")));
    }
    if let Some(tx) = rental.txs.freeze {
        rows.push(("freeze tx", format!("{tx:#x}")));
    }
    if let Some(tx) = rental.txs.close {
        let label = match rental.status() {
            RentalStatus::Refunded => "refund tx",
            RentalStatus::Resolved => "resolve tx",
            _ => "settle tx",
        };
        rows.push((label, format!("{tx:#x}")));
    }
    out(&fields(&rows));
    Ok(())
}

pub(crate) async fn history(ctx: &Ctx, args: HistoryArgs) -> Result<()> {
    let renter = match args.renter {
        Some(r) => r,
        None => ctx
            .me()
            .map_err(|_| eyre::eyre!("whose history? pass --renter ADDR, or sign with --keystore / --private-key"))?,
    };
    let (_, now) = ctx.head().await?;
    let rentals = events::rentals(ctx, renter).await?;
    let mut items: Vec<Value> = Vec::with_capacity(rentals.len());
    let mut cells = Vec::with_capacity(rentals.len());
    for r in &rentals {
        let token = ctx.token(r.terms.token).await?;
        let status = status_of(r, now);
        let (cost, label) = match r.closure {
            Some(Closure::Settled { cost, sla_credit, .. }) => {
                let paid = cost - sla_credit;
                (paid, token.show(paid))
            }
            Some(Closure::Refunded { refund }) => {
                let paid = r.deposit - refund;
                (paid, token.show(paid))
            }
            Some(Closure::Resolved { returned, .. }) => {
                let to_renter = disputes::of_rental(ctx, r.id, now)
                    .await?
                    .to_renter()
                    .unwrap_or_default();
                let paid = r.deposit - returned - to_renter;
                (paid, token.show(paid))
            }
            None => {
                let accrued = billing::cost(r.price_per_hour(), now.min(r.end()).saturating_sub(r.started_at()));
                (accrued, format!("≤ {} so far", token.show(accrued)))
            }
        };
        items.push(j!({
            "rentalId": r.id,
            "offerId": r.terms.offerId,
            "startedAt": r.started_at(),
            "status": status,
            "token": token,
            "deposit": r.deposit.to_string(),
            "cost": cost.to_string(),
        }));
        cells.push(vec![
            format!("{:#x}", r.id),
            r.terms.offerId.to_string(),
            format_time(r.started_at()),
            status.to_owned(),
            label,
        ]);
    }
    if ctx.global.json {
        return json(&items);
    }
    if cells.is_empty() {
        out(&format!("no rentals by {renter}"));
        return Ok(());
    }
    out(&table(&["RENTAL", "OFFER", "STARTED", "STATUS", "COST"], &cells));
    Ok(())
}
