//! Reading the escrow's history from its logs, with topic filters so that the node does the
//! searching: a rental's events by its id, a renter's rentals, a provider's offers. Ranges are
//! split to respect RPC limits on `eth_getLogs`.

use std::collections::BTreeMap;

use alloy::{
    eips::BlockId,
    primitives::{Address, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use eyre::{eyre, Result};
use protocol::{
    billing,
    bindings::GpuEscrow,
    chain::{EscrowEvent, LoggedEvent},
    rental::Change,
};

use crate::context::Ctx;

/// Fetches the logs of `address` matching `filter` (address and block range are set here) from
/// the deploy block to the head, in chain order, without removed ones.
pub(crate) async fn logs(ctx: &Ctx, address: Address, filter: Filter) -> Result<Vec<Log>> {
    let (head, _) = ctx.head().await?;
    let step = ctx.global.log_range.max(1);
    let mut from = ctx.deployment.deploy_block;
    let mut out = Vec::new();
    while from <= head {
        let to = head.min(from.saturating_add(step - 1));
        let f = filter.clone().address(address).from_block(from).to_block(to);
        let logs = ctx
            .provider
            .get_logs(&f)
            .await
            .map_err(|e| ctx.rpc_error(&e, &format!("reading the logs of {address} in blocks {from}..={to} (a provider that limits ranges needs a smaller --log-range)")))?;
        out.extend(logs.into_iter().filter(|l| !l.removed));
        from = to + 1;
    }
    out.sort_by_key(|l| (l.block_number, l.log_index));
    Ok(out)
}

/// Fetches and decodes the escrow's logs matching `filter`, in chain order.
pub(crate) async fn fetch(ctx: &Ctx, filter: Filter) -> Result<Vec<LoggedEvent>> {
    let mut out = Vec::new();
    for log in logs(ctx, ctx.deployment.escrow, filter).await? {
        let (Some(block_number), Some(log_index), Some(tx_hash), Some(block_hash)) =
            (log.block_number, log.log_index, log.transaction_hash, log.block_hash)
        else {
            continue;
        };
        let event = EscrowEvent::decode(&log.inner.data)
            .map_err(|e| eyre!("log {log_index} of block {block_number} does not decode as an escrow event: {e}; is the escrow address right?"))?;
        if let Some(event) = event {
            out.push(LoggedEvent {
                block_number,
                block_hash,
                tx_hash,
                log_index,
                event,
            });
        }
    }
    Ok(out)
}

/// The signatures of every event about one rental (each has the rental id as first topic).
fn rental_signatures() -> Vec<B256> {
    vec![
        GpuEscrow::RentalOpened::SIGNATURE_HASH,
        GpuEscrow::RentalExtended::SIGNATURE_HASH,
        GpuEscrow::RentalStopped::SIGNATURE_HASH,
        GpuEscrow::Checkpointed::SIGNATURE_HASH,
        GpuEscrow::RentalSettled::SIGNATURE_HASH,
        GpuEscrow::RentalRefunded::SIGNATURE_HASH,
        GpuEscrow::RentalFrozen::SIGNATURE_HASH,
        GpuEscrow::RentalResolved::SIGNATURE_HASH,
    ]
}

/// The transactions of a rental's events, for receipts.
#[derive(Debug, Clone, Default)]
pub(crate) struct RentalTxs {
    pub(crate) open: B256,
    pub(crate) extend: Vec<B256>,
    pub(crate) checkpoints: Vec<B256>,
    pub(crate) stop: Option<B256>,
    /// The transaction that froze it under a dispute.
    pub(crate) freeze: Option<B256>,
    /// The transaction that closed it: a settlement, a refund or the dispute module's resolution.
    pub(crate) close: Option<B256>,
}

/// A rental as its events tell it ([`protocol::Rental`]), with the transactions that made it.
#[derive(Debug, Clone)]
pub(crate) struct Rental {
    pub(crate) model: protocol::Rental,
    pub(crate) txs: RentalTxs,
}

impl std::ops::Deref for Rental {
    type Target = protocol::Rental;

    fn deref(&self) -> &Self::Target {
        &self.model
    }
}

impl Rental {
    fn from_events(id: B256, events: &[LoggedEvent]) -> Option<Self> {
        let mut rental: Option<Self> = None;
        for e in events {
            let Some(r) = rental.as_mut() else {
                rental = protocol::Rental::from_opened(&e.event)
                    .filter(|model| model.id == id)
                    .map(|model| Self {
                        model,
                        txs: RentalTxs {
                            open: e.tx_hash,
                            ..RentalTxs::default()
                        },
                    });
                continue;
            };
            let tx = e.tx_hash;
            match r.model.apply(&e.event) {
                Some(Change::Reopened { .. }) => {
                    r.txs = RentalTxs {
                        open: tx,
                        ..RentalTxs::default()
                    };
                }
                Some(Change::Extended { .. }) => r.txs.extend.push(tx),
                Some(Change::Stopped(_)) => r.txs.stop = Some(tx),
                Some(Change::Checkpointed { .. }) => r.txs.checkpoints.push(tx),
                Some(Change::Frozen) => r.txs.freeze = Some(tx),
                Some(Change::Closed(_)) => r.txs.close = Some(tx),
                None => {}
            }
        }
        rental
    }
}

/// A live rental's numbers at block `block` (chain time `now`), computed from its terms and
/// `rentalState` as the escrow does (`protocol::billing::quote`), with that state.
pub(crate) async fn quote(
    ctx: &Ctx,
    rental: &Rental,
    (block, now): (u64, u64),
) -> Result<(billing::Quote, GpuEscrow::RentalState)> {
    let state = ctx
        .escrow
        .rentalState(rental.id)
        .block(BlockId::number(block))
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading the rental's state"))?;
    Ok((billing::quote(&rental.terms, &state, now), state))
}

/// A rental's events, found by its id; an error that says so when there is no such rental.
pub(crate) async fn rental(ctx: &Ctx, id: B256) -> Result<Rental> {
    let events = fetch(ctx, Filter::new().event_signature(rental_signatures()).topic1(id)).await?;
    Rental::from_events(id, &events).ok_or_else(|| {
        eyre!(
            "no rental {id} on the escrow {} (chain {}): check the id (as `rent` or `history` printed it)",
            ctx.deployment.escrow,
            ctx.chain_id
        )
    })
}

/// Every rental opened by `renter` (topic 2 of `RentalOpened`), with their later events, in
/// opening order.
pub(crate) async fn rentals(ctx: &Ctx, renter: Address) -> Result<Vec<Rental>> {
    let opened = Filter::new()
        .event_signature(GpuEscrow::RentalOpened::SIGNATURE_HASH)
        .topic2(renter.into_word());
    let opened = fetch(ctx, opened).await?;
    let ids: Vec<B256> = opened.iter().filter_map(|e| e.event.rental_id()).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let later = Filter::new()
        .event_signature(rental_signatures()[1..].to_vec())
        .topic1(ids.clone());
    let mut all = opened;
    all.extend(fetch(ctx, later).await?);
    all.sort_by_key(|e| (e.block_number, e.log_index));
    Ok(ids.iter().filter_map(|id| Rental::from_events(*id, &all)).collect())
}

/// What `OfferCreated` recorded: the strings the offer itself only keeps as hashes.
#[derive(Debug, Clone)]
pub(crate) struct CreatedOffer {
    pub(crate) provider: Address,
    pub(crate) params: GpuEscrow::OfferParams,
}

/// `OfferCreated` of every offer (or of one provider's), by offer id.
pub(crate) async fn offers_created(ctx: &Ctx, provider: Option<Address>) -> Result<BTreeMap<u64, CreatedOffer>> {
    let mut filter = Filter::new().event_signature(GpuEscrow::OfferCreated::SIGNATURE_HASH);
    if let Some(p) = provider {
        filter = filter.topic2(p.into_word());
    }
    Ok(offers_created_from(fetch(ctx, filter).await?))
}

/// The `OfferCreated` of one offer.
pub(crate) async fn offer_created(ctx: &Ctx, offer_id: u64) -> Result<Option<CreatedOffer>> {
    let filter = Filter::new()
        .event_signature(GpuEscrow::OfferCreated::SIGNATURE_HASH)
        .topic1(U256::from(offer_id));
    Ok(offers_created_from(fetch(ctx, filter).await?).remove(&offer_id))
}

fn offers_created_from(events: Vec<LoggedEvent>) -> BTreeMap<u64, CreatedOffer> {
    events
        .into_iter()
        .filter_map(|e| match e.event {
            EscrowEvent::OfferCreated(o) => Some((
                o.offerId,
                CreatedOffer {
                    provider: o.provider,
                    params: o.params,
                },
            )),
            _ => None,
        })
        .collect()
}
