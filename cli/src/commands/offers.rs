//! `offers`: the offer book with filters, and each provider's track record from the chain.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use alloy::primitives::{Address, U256};
use eyre::Result;
use protocol::bindings::IDisputeModule;
use serde::Serialize;

use crate::{
    args::OffersArgs,
    context::Ctx,
    events,
    output::{json, out, table},
    token::Token,
    units::{format_amount, format_bps, parse_amount},
};

/// A provider's record, from the dispute module's `reputation(provider)`: settled rentals with
/// their seconds rented and up (counted by the escrow at settlement), disputes and ratings.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Reliability {
    /// Rentals settled with an attestation.
    completed_rentals: u64,
    /// Wall-clock seconds from start to end over the settled rentals.
    seconds_rented: u64,
    /// Attested up seconds over the settled rentals.
    seconds_up: u64,
    /// Uptime = seconds up / seconds rented, in percent; `None` before any settled rental.
    uptime_percent: Option<f64>,
    disputes_opened: u32,
    /// Disputes whose outcome gave the renter more than half.
    disputes_lost: u32,
    /// Proven wrong-GPU or equivocation slashes.
    slashes: u32,
    /// On-demand rentals the provider ended early.
    terminations: u32,
    rating_count: u32,
    /// Average of the renters' 1–5 ratings; `None` before any rating.
    average_rating: Option<f64>,
}

impl From<&IDisputeModule::Reputation> for Reliability {
    #[allow(clippy::cast_precision_loss)] // counts and seconds well below 2^52
    fn from(r: &IDisputeModule::Reputation) -> Self {
        Self {
            completed_rentals: r.rentalsCompleted,
            seconds_rented: r.secondsRented,
            seconds_up: r.secondsUp,
            uptime_percent: (r.secondsRented > 0).then(|| r.secondsUp as f64 * 100.0 / r.secondsRented as f64),
            disputes_opened: r.disputesOpened,
            disputes_lost: r.disputesLost,
            slashes: r.slashes,
            terminations: r.terminations,
            rating_count: r.ratingCount,
            average_rating: (r.ratingCount > 0).then(|| r.ratingSum as f64 / f64::from(r.ratingCount)),
        }
    }
}

impl Reliability {
    fn uptime_text(&self) -> String {
        self.uptime_percent.map_or_else(|| "-".into(), |p| format!("{p:.1} %"))
    }

    fn rating_text(&self) -> String {
        self.average_rating
            .map_or_else(|| "-".into(), |a| format!("{a:.1}/5 ({})", self.rating_count))
    }

    /// One line: `settled rentals 3, uptime 97.5 %, rated 4.5/5 (2), disputes lost 0 of 1, …`.
    pub(crate) fn summary(&self) -> String {
        format!(
            "settled rentals {}, uptime {}, rated {}, disputes lost {} of {}, slashes {}, early terminations {}",
            self.completed_rentals,
            self.uptime_text(),
            self.rating_text(),
            self.disputes_lost,
            self.disputes_opened,
            self.slashes,
            self.terminations
        )
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
    /// Suspended by the dispute module while the provider's bond is below the minimum: not rentable.
    suspended: bool,
    min_duration_seconds: u32,
    max_duration_seconds: u32,
    reliability: Reliability,
}

/// `OfferStanding.Suspended`: the provider's bond in the offer's token is below the minimum.
pub(crate) const OFFER_SUSPENDED: u8 = 2;

/// Each provider's record, one `reputation` call per provider.
async fn reliability(ctx: &Ctx, providers: BTreeSet<Address>) -> Result<HashMap<Address, Reliability>> {
    let module = ctx.disputes().await?;
    let mut out = HashMap::new();
    for provider in providers {
        let rep = module
            .reputation(provider)
            .call()
            .await
            .map_err(|e| ctx.call_error(e, &format!("reading the reputation of {provider}")))?;
        out.insert(provider, Reliability::from(&rep));
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
    let records = reliability(ctx, created.values().map(|c| c.provider).collect()).await?;
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
        let account = ctx.offer_account(id).await?;
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
            capacity: offer.capacity,
            retired: offer.retired,
            suspended: account.standing == OFFER_SUSPENDED,
            min_duration_seconds: offer.minDuration.to(),
            max_duration_seconds: offer.maxDuration,
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
                } else if r.suspended {
                    "suspended".into()
                } else {
                    format!("{}/{}", r.active_rentals, r.capacity)
                },
                short(r.provider),
                r.reliability.completed_rentals.to_string(),
                r.reliability.uptime_text(),
                r.reliability.disputes_lost.to_string(),
                r.reliability.rating_text(),
            ]
        })
        .collect();
    out(&table(
        &[
            "ID", "MODEL", "VRAM", "GPUS", "PRICE/H", "REGION", "KIND", "SLA", "IN USE", "PROVIDER", "RENTALS",
            "UPTIME", "LOST", "RATING",
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
