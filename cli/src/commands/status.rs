//! `status`: a rental's live numbers, quoted from its terms and `rentalState` at one block as the
//! escrow computes them (`protocol::billing::quote`), and the provider oracle's measured uptime.

use std::{io::IsTerminal, time::Duration};

use alloy::primitives::U256;
use eyre::Result;
use protocol::{billing, oracle_api::UsageView, rental::Closure, revert::RENTAL_FROZEN};
use serde_json::{json as j, Value};

use crate::{
    args::StatusArgs,
    context::Ctx,
    disputes,
    events::{self, Rental},
    oracle::Oracle,
    output::{fields, out},
    token::Token,
    units::{format_bps, format_duration, format_time},
};

pub(crate) async fn status(ctx: &Ctx, args: StatusArgs) -> Result<()> {
    let rental = events::rental(ctx, args.rental).await?;
    let token = ctx.token(rental.terms.token).await?;
    let oracle = Oracle::of_rental(ctx, &rental).await.ok();
    if !args.watch {
        let (view, closed) = snapshot(ctx, &rental, &token, oracle.as_ref()).await?;
        out(&render(ctx, &view, &token, closed)?);
        return Ok(());
    }
    // On a terminal each refresh redraws the previous one in place; otherwise (and with --json)
    // refreshes follow each other, one JSON object per line.
    let redraw = std::io::stdout().is_terminal() && !ctx.global.json;
    let mut previous_lines = 0;
    loop {
        // Extensions and stops change the rental; read its events again each round.
        let rental = events::rental(ctx, args.rental).await?;
        let (view, closed) = snapshot(ctx, &rental, &token, oracle.as_ref()).await?;
        let text = render(ctx, &view, &token, closed)?;
        if redraw && previous_lines > 0 {
            // Cursor up to the first line of the previous refresh, then clear to the end of the screen.
            print_raw(&format!("\x1b[{previous_lines}F\x1b[J"));
        }
        out(&text);
        previous_lines = text.lines().count();
        if closed {
            return Ok(());
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

#[allow(clippy::print_stdout)]
fn print_raw(text: &str) {
    print!("{text}");
}

/// The rental's numbers at the latest block, as JSON (amounts in base units), and whether it is closed.
async fn snapshot(ctx: &Ctx, rental: &Rental, token: &Token, oracle: Option<&Oracle>) -> Result<(Value, bool)> {
    let (block, now) = ctx.head().await?;
    let mut view = j!({
        "rentalId": rental.id,
        "offerId": rental.terms.offerId,
        "renter": rental.terms.renter,
        "token": token,
        "block": block,
        "chainTime": now,
        "startedAt": rental.started_at(),
        "pricePerHour": rental.price_per_hour().to_string(),
        "feeBps": rental.terms.feeBps,
        "deposit": rental.deposit.to_string(),
    });
    let close_tx = rental.txs.close;
    match rental.closure {
        Some(Closure::Settled {
            billed_seconds,
            cost,
            refund,
            sla_credit,
            ..
        }) => {
            view["status"] = "settled".into();
            view["billedSeconds"] = billed_seconds.into();
            view["cost"] = cost.to_string().into();
            view["slaCredit"] = sla_credit.to_string().into();
            view["refund"] = refund.to_string().into();
            view["settleTx"] = j!(close_tx);
            return Ok((view, true));
        }
        Some(Closure::Resolved { returned, .. }) => {
            let dispute = disputes::of_rental(ctx, rental.id, now).await?;
            view["status"] = "resolved".into();
            view["refund"] = (returned + dispute.to_renter().unwrap_or_default()).to_string().into();
            view["dispute"] = dispute.to_json();
            view["resolveTx"] = j!(close_tx);
            return Ok((view, true));
        }
        Some(Closure::Refunded { refund }) => {
            view["status"] = "refunded".into();
            view["refund"] = refund.to_string().into();
            view["refundTx"] = j!(close_tx);
            return Ok((view, true));
        }
        None => {}
    }
    let (quote, state) = events::quote(ctx, rental, (block, now)).await?;
    if state.status == RENTAL_FROZEN {
        // A frozen rental has no quote: its money waits for the dispute's outcome.
        view["status"] = "frozen".into();
        view["deposit"] = U256::from(state.deposit).to_string().into();
        view["dispute"] = disputes::of_rental(ctx, rental.id, now).await?.to_json();
        return Ok((view, false));
    }
    let status = match (quote.ended, state.stoppedAt.to::<u64>() > 0) {
        (true, true) => "stopped",
        (true, false) => "ended",
        _ => "running",
    };
    view["status"] = status.into();
    view["deposit"] = U256::from(state.deposit).to_string().into();
    view["elapsedSeconds"] = quote.elapsed.into();
    view["accrued"] = quote.accrued_max.to_string().into();
    view["paid"] = quote.paid.to_string().into();
    view["remaining"] = quote.remaining.to_string().into();
    view["endsAt"] = quote.ends_at.into();
    view["ended"] = quote.ended.into();
    view["timeLeftSeconds"] = quote.ends_at.saturating_sub(now).into();
    if quote.ended {
        view["settleableByAnyoneAt"] = (quote.ends_at + u64::from(rental.terms.challengeWindow)).into();
    }
    if let Some(oracle) = oracle {
        view["oracle"] = match oracle.usage(rental.id).await {
            Ok(usage) => {
                let bill = billing::cost(rental.price_per_hour(), usage.uptime_seconds.min(quote.elapsed));
                j!({"url": oracle.url(), "usage": usage, "billAtMeasuredUptime": bill.to_string()})
            }
            Err(e) => j!({"url": oracle.url(), "error": format!("{e:#}")}),
        };
    }
    Ok((view, false))
}

fn amount(view: &Value, key: &str, token: &Token) -> String {
    view.get(key)
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<U256>().ok())
        .map_or_else(|| "-".into(), |a| token.show(a))
}

fn number(view: &Value, key: &str) -> u64 {
    view.get(key).and_then(Value::as_u64).unwrap_or_default()
}

/// Where a frozen rental's dispute stands and what to run next.
fn frozen_line(dispute: &Value, rental: &str) -> String {
    let deadline = dispute["deadline"].as_u64().map(format_time).unwrap_or_default();
    match dispute["state"].as_str().unwrap_or("unknown") {
        "open" => format!("open: the arbitrator rules before {deadline}; `gpu-escrow dispute-status {rental}`"),
        "expired" => format!(
            "no ruling by {deadline}: `gpu-escrow execute-ruling {rental}` settles it by the billing rules (the provider's final attestation)"
        ),
        "ruled" => format!("ruled: `gpu-escrow execute-ruling {rental}` applies it"),
        other => other.to_owned(),
    }
}

/// The view as text lines, or as one line of JSON.
fn render(ctx: &Ctx, view: &Value, token: &Token, closed: bool) -> Result<String> {
    if ctx.global.json {
        return Ok(serde_json::to_string(view)?);
    }
    let status = view["status"].as_str().unwrap_or("unknown");
    let mut rows = vec![
        ("rental", view["rentalId"].as_str().unwrap_or_default().to_owned()),
        ("status", status.to_owned()),
        ("offer", number(view, "offerId").to_string()),
        ("started", format_time(number(view, "startedAt"))),
        ("deposit", amount(view, "deposit", token)),
    ];
    if closed {
        if status == "settled" {
            rows.push(("billed", format_duration(number(view, "billedSeconds"))));
            rows.push(("cost", amount(view, "cost", token)));
            if view["slaCredit"].as_str().is_some_and(|c| c != "0") {
                rows.push(("SLA credit", amount(view, "slaCredit", token)));
            }
        }
        if status == "resolved" {
            rows.push(("closed by", "a dispute outcome".into()));
        }
        rows.push(("refund", amount(view, "refund", token)));
        rows.push((
            "receipt",
            format!("gpu-escrow receipt {}", view["rentalId"].as_str().unwrap_or_default()),
        ));
        return Ok(fields(&rows));
    }
    if let Some(dispute) = view.get("dispute") {
        rows.push((
            "dispute",
            frozen_line(dispute, view["rentalId"].as_str().unwrap_or_default()),
        ));
        rows.push(("money", "frozen until the dispute's outcome is executed".into()));
        return Ok(fields(&rows));
    }
    let ends = number(view, "endsAt");
    rows.extend([
        ("elapsed", format_duration(number(view, "elapsedSeconds"))),
        (
            "accrued",
            format!("{} at most (full uptime)", amount(view, "accrued", token)),
        ),
        ("remaining", amount(view, "remaining", token)),
        ("time left", format_duration(number(view, "timeLeftSeconds"))),
        (
            if view["ended"].as_bool().unwrap_or(false) {
                "ended"
            } else {
                "projected end"
            },
            format_time(ends),
        ),
    ]);
    if let Some(at) = view.get("settleableByAnyoneAt").and_then(Value::as_u64) {
        rows.push((
            "settle",
            format!(
                "now with `gpu-escrow settle`; anyone (a keeper) may settle after {}",
                format_time(at)
            ),
        ));
    }
    match view.get("oracle") {
        Some(o) if o.get("usage").is_some() => {
            let usage: Option<UsageView> = serde_json::from_value(o["usage"].clone()).ok();
            if let Some(u) = usage {
                #[allow(clippy::cast_precision_loss)]
                let pct = if u.elapsed_seconds > 0 {
                    u.uptime_seconds as f64 * 100.0 / u.elapsed_seconds as f64
                } else {
                    100.0
                };
                rows.push((
                    "uptime",
                    format!(
                        "{} of {} measured ({pct:.1} %), GPU utilization {}",
                        format_duration(u.uptime_seconds),
                        format_duration(u.elapsed_seconds),
                        format_bps(u64::from(u.avg_util_bps))
                    ),
                ));
                rows.push(("bill so far", amount(o, "billAtMeasuredUptime", token)));
            }
        }
        Some(o) => rows.push((
            "uptime",
            format!("unknown: {}", o["error"].as_str().unwrap_or("oracle unreachable")),
        )),
        None => rows.push((
            "uptime",
            "unknown: the provider's oracle endpoint is not registered".into(),
        )),
    }
    Ok(fields(&rows))
}
