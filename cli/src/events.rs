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
    RentalTerms,
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

/// A rental as its events tell it.
#[derive(Debug, Clone)]
pub(crate) struct Rental {
    pub(crate) id: B256,
    pub(crate) terms: RentalTerms,
    /// The deposit at open.
    pub(crate) initial_deposit: U256,
    /// The deposit after every extension.
    pub(crate) deposit: U256,
    pub(crate) open_tx: B256,
    pub(crate) extend_txs: Vec<B256>,
    pub(crate) checkpoint_txs: Vec<B256>,
    /// What checkpoints paid the provider and the treasury: (net, fee).
    pub(crate) checkpointed: (U256, U256),
    pub(crate) stopped: Option<(u64, Address, B256)>,
    pub(crate) settled: Option<Settled>,
    /// (refund, tx).
    pub(crate) refunded: Option<(U256, B256)>,
    /// The transaction that froze it under a dispute.
    pub(crate) frozen: Option<B256>,
    /// Closed by a dispute outcome or a proof.
    pub(crate) resolved: Option<Resolved>,
}

/// What `RentalResolved` recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolved {
    /// The cost of the seconds before the end not yet paid out: handed to the dispute module to split.
    pub(crate) at_stake: U256,
    /// The deposit for the seconds after the end: straight back to the renter.
    pub(crate) returned: U256,
    pub(crate) tx: B256,
}

/// What `RentalSettled` recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settled {
    pub(crate) billed_seconds: u64,
    pub(crate) cost: U256,
    /// Back to the renter, SLA credit included.
    pub(crate) refund: U256,
    /// Taken from the provider's share because uptime fell short of the SLA.
    pub(crate) sla_credit: U256,
    pub(crate) tx: B256,
    /// Block of the settling transaction.
    pub(crate) block: u64,
}

impl Rental {
    fn from_events(id: B256, events: &[LoggedEvent]) -> Option<Self> {
        let mut rental = events.iter().find_map(|e| match &e.event {
            EscrowEvent::RentalOpened {
                rental_id,
                terms,
                deposit,
                ..
            } if *rental_id == id => Some(Self {
                id,
                terms: terms.clone(),
                initial_deposit: *deposit,
                deposit: *deposit,
                open_tx: e.tx_hash,
                extend_txs: Vec::new(),
                checkpoint_txs: Vec::new(),
                checkpointed: (U256::ZERO, U256::ZERO),
                stopped: None,
                settled: None,
                refunded: None,
                frozen: None,
                resolved: None,
            }),
            _ => None,
        })?;
        for e in events.iter().filter(|e| e.event.rental_id() == Some(id)) {
            match &e.event {
                EscrowEvent::RentalExtended(x) => {
                    rental.deposit = x.deposit;
                    rental.extend_txs.push(e.tx_hash);
                }
                EscrowEvent::RentalStopped(x) => rental.stopped = Some((x.stoppedAt.to(), x.by, e.tx_hash)),
                EscrowEvent::Checkpointed(x) => {
                    rental.checkpoint_txs.push(e.tx_hash);
                    rental.checkpointed.0 += x.providerNet;
                    rental.checkpointed.1 += x.fee;
                }
                EscrowEvent::RentalSettled(x) => {
                    rental.settled = Some(Settled {
                        billed_seconds: x.billedSeconds,
                        cost: x.cost,
                        refund: x.refund,
                        sla_credit: x.slaCredit,
                        tx: e.tx_hash,
                        block: e.block_number,
                    });
                }
                EscrowEvent::RentalRefunded(x) => rental.refunded = Some((x.refund, e.tx_hash)),
                EscrowEvent::RentalFrozen(_) => rental.frozen = Some(e.tx_hash),
                EscrowEvent::RentalResolved(x) => {
                    rental.resolved = Some(Resolved {
                        at_stake: x.atStake,
                        returned: x.returned,
                        tx: e.tx_hash,
                    });
                }
                _ => {}
            }
        }
        Some(rental)
    }

    pub(crate) fn started_at(&self) -> u64 {
        self.terms.startedAt.to()
    }

    pub(crate) fn price(&self) -> U256 {
        U256::from(self.terms.pricePerHour)
    }

    /// When the deposit runs out.
    pub(crate) fn natural_end(&self) -> u64 {
        billing::end_of(self.started_at(), self.price(), self.deposit, 0)
    }

    pub(crate) fn closed(&self) -> bool {
        self.settled.is_some() || self.refunded.is_some() || self.resolved.is_some()
    }

    /// When billing ended: the stop (or a dispute's freeze), the deposit running out, or, for a
    /// running rental the renter stopped and settled in one `stopAndSettle`, the block of that
    /// transaction (billing ends at the settling block, not at the attestation's period end).
    pub(crate) async fn end(&self, ctx: &Ctx) -> Result<u64> {
        let mut end = self.natural_end();
        if let Some((stopped_at, _, _)) = self.stopped {
            end = end.min(stopped_at);
        } else if let Some(settled) = self.settled {
            end = end.min(block_time(ctx, settled.block).await?);
        }
        Ok(end)
    }
}

/// The timestamp of block `number`.
pub(crate) async fn block_time(ctx: &Ctx, number: u64) -> Result<u64> {
    Ok(ctx
        .provider
        .get_block_by_number(number.into())
        .await
        .map_err(|e| ctx.rpc_error(&e, &format!("reading block {number}")))?
        .ok_or_else(|| eyre!("the node does not know block {number}"))?
        .header
        .timestamp)
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
