//! `offers`: the offer book with filters, and each provider's track record from the chain.

use std::collections::{BTreeMap, HashMap};

use alloy::primitives::{Address, U256};
use eyre::Result;
use serde::Serialize;

use crate::{
    args::OffersArgs,
    context::Ctx,
    events,
    output::{json, out, table},
    token::Token,
    units::{format_amount, format_bps, parse_amount},
};

/// A provider's record over its closed rentals.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Reliability {
    /// Rentals settled with an attestation.
    completed_rentals: u64,
    /// Rentals nobody settled in time (refunded).
    refunded_rentals: u64,
    /// Billed (attested up) seconds over the settled rentals.
    billed_seconds: u64,
    /// Wall-clock seconds from start to end over the settled rentals.
    wall_seconds: u64,
}

impl Reliability {
    /// billed / wall, in percent; `None` before any settled rental.
    fn uptime_percent(&self) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)] // seconds well below 2^52
        (self.wall_seconds > 0).then(|| self.billed_seconds as f64 * 100.0 / self.wall_seconds as f64)
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OfferRow {
    id: u64,
    provider: Address,
    model: String,
    vram_gib: u16,
    gpus: u16,
    token: Token,
    price_per_hour: String,
    price_per_hour_units: String,
    region: String,
    spot: bool,
    sla_bps: u16,
    active_rentals: u16,
    capacity: u16,
    retired: bool,
    min_duration_seconds: u32,
    max_duration_seconds: u32,
    reliability: Reliability,
    uptime_percent: Option<f64>,
}

/// Each provider's record, from every rental's events.
async fn reliability(ctx: &Ctx, provider_of_offer: &HashMap<u64, Address>) -> Result<HashMap<Address, Reliability>> {
    let mut out: HashMap<Address, Reliability> = HashMap::new();
    for rental in events::rentals(ctx, None).await? {
        let Some(provider) = provider_of_offer.get(&rental.terms.offerId) else {
            continue;
        };
        let r = out.entry(*provider).or_default();
        if let Some((billed, ..)) = rental.settled {
            let wall = rental.end(ctx).await?.saturating_sub(rental.started_at());
            r.completed_rentals += 1;
            r.billed_seconds += billed;
            r.wall_seconds += wall;
        } else if rental.refunded.is_some() {
            r.refunded_rentals += 1;
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_lines)] // one pass: read, filter, render each offer
pub(crate) async fn offers(ctx: &Ctx, args: OffersArgs) -> Result<()> {
    let count = ctx
        .escrow
        .offerCount()
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading the number of offers"))?;
    let created = events::offers_created(ctx, None).await?;
    let provider_of_offer: HashMap<u64, Address> = created.iter().map(|(id, c)| (*id, c.provider)).collect();
    let records = reliability(ctx, &provider_of_offer).await?;
    let model_filter = args.model.as_ref().map(|m| m.to_lowercase());
    let mut max_price: BTreeMap<Address, U256> = BTreeMap::new();

    let mut rows = Vec::new();
    for id in 1..=count {
        let offer = ctx
            .escrow
            .offer(id)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, &format!("reading offer {id}")))?;
        let account = ctx
            .escrow
            .offerAccount(id)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, &format!("reading offer {id}'s account")))?;
        let (model, region) = created
            .get(&id)
            .map(|c| (c.params.gpuModel.clone(), c.params.region.clone()))
            .unwrap_or_default();
        if offer.retired && !args.all {
            continue;
        }
        if model_filter.as_ref().is_some_and(|m| !model.to_lowercase().contains(m)) {
            continue;
        }
        if args.min_vram.is_some_and(|v| offer.vramGiB < v) {
            continue;
        }
        if args.region.as_ref().is_some_and(|r| !region.eq_ignore_ascii_case(r)) {
            continue;
        }
        if (args.spot && !offer.spot) || (args.on_demand && offer.spot) {
            continue;
        }
        let token = ctx.token(offer.token).await?;
        let price = U256::from(offer.pricePerHour);
        if let Some(text) = &args.max_price {
            let limit = if let Some(l) = max_price.get(&token.address) {
                *l
            } else {
                let l = parse_amount(text, token.decimals)?;
                max_price.insert(token.address, l);
                l
            };
            if price > limit {
                continue;
            }
        }
        let reliability = records.get(&offer.provider).copied().unwrap_or_default();
        rows.push(OfferRow {
            id,
            provider: offer.provider,
            model,
            vram_gib: offer.vramGiB,
            gpus: offer.gpuCount,
            price_per_hour: price.to_string(),
            price_per_hour_units: format_amount(price, token.decimals),
            token,
            region,
            spot: offer.spot,
            sla_bps: offer.slaBps,
            active_rentals: account.activeRentals,
            capacity: account.capacity,
            retired: offer.retired,
            min_duration_seconds: offer.minDuration,
            max_duration_seconds: offer.maxDuration,
            uptime_percent: reliability.uptime_percent(),
            reliability,
        });
    }

    if ctx.global.json {
        return json(&rows);
    }
    if rows.is_empty() {
        out("no offers match");
        return Ok(());
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.model.clone(),
                format!("{} GiB", r.vram_gib),
                r.gpus.to_string(),
                format!("{} {}", r.price_per_hour_units, r.token.symbol),
                r.region.clone(),
                if r.spot { "spot" } else { "on-demand" }.into(),
                format_bps(u64::from(r.sla_bps)),
                if r.retired {
                    "retired".into()
                } else {
                    format!("{}/{}", r.active_rentals, r.capacity)
                },
                short(r.provider),
                r.reliability.completed_rentals.to_string(),
                r.uptime_percent.map_or_else(|| "-".into(), |p| format!("{p:.1} %")),
            ]
        })
        .collect();
    out(&table(
        &[
            "ID", "MODEL", "VRAM", "GPUS", "PRICE/H", "REGION", "KIND", "SLA", "IN USE", "PROVIDER", "RENTALS",
            "UPTIME",
        ],
        &cells,
    ));
    Ok(())
}

/// `0x1234…abcd`.
pub(crate) fn short(address: Address) -> String {
    let s = format!("{address:#x}");
    format!("{}…{}", &s[..6], &s[s.len() - 4..])
}
