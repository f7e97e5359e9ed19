//! `receipt` and `history`: what a rental cost, from the escrow's events.

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
};
use eyre::Result;
use protocol::{billing, bindings::GpuEscrow};
use serde_json::{json as j, Value};

use crate::{
    args::HistoryArgs,
    context::Ctx,
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

fn status_of(rental: &Rental, now: u64) -> &'static str {
    if rental.settled.is_some() {
        "settled"
    } else if rental.refunded.is_some() {
        "refunded"
    } else if rental.stopped.is_some() {
        "stopped"
    } else if now >= rental.natural_end() {
        "ended"
    } else {
        "running"
    }
}

#[allow(clippy::too_many_lines)] // one receipt: gather, then print as JSON or text
pub(crate) async fn receipt(ctx: &Ctx, id: B256) -> Result<()> {
    let rental = events::rental(ctx, id).await?;
    let token = ctx.token(rental.terms.token).await?;
    let created = events::offer_created(ctx, rental.terms.offerId).await?;
    let (_, now) = ctx.head().await?;
    let status = status_of(&rental, now);
    let fee_of = |cost: U256| billing::fee(cost, rental.terms.feeBps);
    let ended_at = if rental.closed() || rental.stopped.is_some() || status == "ended" {
        Some(rental.end(ctx).await?)
    } else {
        None
    };
    let (billed, cost, refund, close_tx) = match (rental.settled, rental.refunded) {
        (Some((billed, cost, refund, tx)), _) => (Some(billed), Some(cost), Some(refund), Some(tx)),
        (None, Some((refund, tx))) => (None, Some(rental.deposit - refund), Some(refund), Some(tx)),
        _ => (None, None, None, None),
    };
    let credited = match close_tx {
        Some(tx) => credited(ctx, tx, rental.terms.renter).await?,
        None => U256::ZERO,
    };
    let fee = cost.map(fee_of);
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
        "pricePerHour": rental.price().to_string(),
        "feeBps": rental.terms.feeBps,
        "startedAt": rental.started_at(),
        "endedAt": ended_at,
        "billedSeconds": billed,
        "initialDeposit": rental.initial_deposit.to_string(),
        "deposit": rental.deposit.to_string(),
        "cost": text(cost),
        "fee": text(fee),
        "providerNet": cost.zip(fee).map(|(c, f)| (c - f).to_string()),
        "refund": text(refund),
        "credited": credited.to_string(),
        "txs": {
            "open": rental.open_tx,
            "extend": rental.extend_txs,
            "checkpoints": rental.checkpoint_txs,
            "stop": rental.stopped.map(|(_, _, tx)| tx),
            "settle": rental.settled.map(|(.., tx)| tx),
            "refund": rental.refunded.map(|(_, tx)| tx),
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
                "{} per hour, fee {}",
                token.show(rental.price()),
                format_bps(u64::from(rental.terms.feeBps))
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
        ("  provider", show(cost.zip(fee).map(|(c, f)| c - f))),
        ("  fee", show(fee)),
        ("refund", show(refund)),
    ]);
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
    rows.push(("open tx", format!("{:#x}", rental.open_tx)));
    for tx in &rental.extend_txs {
        rows.push(("extend tx", format!("{tx:#x}")));
    }
    for tx in &rental.checkpoint_txs {
        rows.push(("checkpoint tx", format!("{tx:#x}")));
    }
    if let Some((_, _, tx)) = rental.stopped {
        rows.push(("stop tx", format!("{tx:#x}")));
    }
    if let Some((.., tx)) = rental.settled {
        rows.push(("settle tx", format!("{tx:#x}")));
    }
    if let Some((_, tx)) = rental.refunded {
        rows.push(("refund tx", format!("{tx:#x}")));
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
    let rentals = events::rentals(ctx, Some(renter)).await?;
    let mut items: Vec<Value> = Vec::with_capacity(rentals.len());
    let mut cells = Vec::with_capacity(rentals.len());
    for r in &rentals {
        let token = ctx.token(r.terms.token).await?;
        let status = status_of(r, now);
        let (cost, label) = match (r.settled, r.refunded) {
            (Some((_, cost, ..)), _) => (cost, token.show(cost)),
            (None, Some((refund, _))) => {
                let paid = r.deposit - refund;
                (paid, token.show(paid))
            }
            _ => {
                let end = r.stopped.map_or(r.natural_end(), |(at, ..)| at.min(r.natural_end()));
                let accrued = billing::cost(r.price(), now.min(end).saturating_sub(r.started_at()));
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
