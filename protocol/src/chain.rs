//! Following the escrow's logs (and its dispute module's): decoding them into [`EscrowEvent`]s and
//! walking the chain in bounded `eth_getLogs` ranges behind a number of confirmations, detecting
//! reorgs.
//!
//! Shared by the oracle (which rentals run on my GPUs) and the keeper (which rentals are due).
//! A consumer keeps an index built from the events and, for each [`FollowBatch`]:
//!
//! 1. if `rewound_to` is `Some(b)`, deletes everything it derived from blocks `≥ b`;
//! 2. applies `events` in order;
//! 3. persists [`LogFollower::next_block`] and [`LogFollower::recent_blocks`] with the index, in
//!    the same transaction, so a restart resumes exactly where it stopped
//!    ([`LogFollower::with_recent_blocks`]).

use std::collections::BTreeMap;

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, Bytes, LogData, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
    transports::TransportError,
};

use crate::{
    bindings::{DisputeModule, GpuEscrow},
    terms::{rental_id, terms_from_opened, RentalTerms},
};

/// How many recent block hashes a [`LogFollower`] remembers to find the common ancestor after a
/// reorg. A reorg deeper than this (behind the confirmations too) needs a rebuild of the index.
pub const DEFAULT_HASH_HISTORY: usize = 256;

/// The escrow's and its dispute module's events that the oracle and the keeper act on, decoded
/// with the `sol!` bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscrowEvent {
    /// A rental opened; its terms are rebuilt from the event, field for field.
    RentalOpened {
        /// `keccak256(abi.encode(terms))`, as emitted (and checked against the terms).
        rental_id: B256,
        /// The immutable terms every later call passes back.
        terms: RentalTerms,
        /// The deposit escrowed at open.
        deposit: U256,
        /// The renter's SSH public key, wire format (see [`crate::access_key`]); unchecked bytes as emitted.
        access_key: Bytes,
    },
    /// The renter topped up a running rental.
    RentalExtended(GpuEscrow::RentalExtended),
    /// The renter (stop) or the provider (terminate) ended a rental.
    RentalStopped(GpuEscrow::RentalStopped),
    /// A running rental was paid up to an attested number of seconds.
    Checkpointed(GpuEscrow::Checkpointed),
    /// A rental was settled and closed.
    RentalSettled(GpuEscrow::RentalSettled),
    /// A rental nobody settled in time was refunded and closed.
    RentalRefunded(GpuEscrow::RentalRefunded),
    /// A subjective dispute froze a rental: nothing moves its money until it is resolved.
    RentalFrozen(GpuEscrow::RentalFrozen),
    /// The dispute module closed a rental by a dispute's outcome (ruling, fallback or slashing proof).
    RentalResolved(GpuEscrow::RentalResolved),
    /// A provider registered its payout address, attester and oracle endpoint.
    ProviderRegistered(GpuEscrow::ProviderRegistered),
    /// A provider changed its payout address.
    PayoutUpdated(GpuEscrow::PayoutUpdated),
    /// A provider changed its default attester.
    AttesterUpdated(GpuEscrow::AttesterUpdated),
    /// A provider changed its oracle endpoint.
    EndpointUpdated(GpuEscrow::EndpointUpdated),
    /// A provider published an offer.
    OfferCreated(GpuEscrow::OfferCreated),
    /// An offer's price changed (for rentals opened afterwards).
    OfferPriceUpdated(GpuEscrow::OfferPriceUpdated),
    /// An offer's capacity changed.
    OfferCapacityUpdated(GpuEscrow::OfferCapacityUpdated),
    /// An offer's attester changed (for rentals opened afterwards).
    OfferAttesterUpdated(GpuEscrow::OfferAttesterUpdated),
    /// An offer was retired for good.
    OfferRetired(GpuEscrow::OfferRetired),
    /// Dispute module: a renter or provider opened a subjective dispute (the rental is frozen).
    DisputeOpened(DisputeModule::DisputeOpened),
    /// Dispute module: the arbitrator ruled the dispute it knows as `disputeID`.
    Ruling(DisputeModule::Ruling),
    /// Dispute module: a dispute's outcome was executed and the rental closed.
    DisputeResolved(DisputeModule::DisputeResolved),
    /// Dispute module: a rental's attester was proven to have signed contradicting attestations.
    EquivocationProven(DisputeModule::EquivocationProven),
    /// Dispute module: a rental's attester was proven to have attested another GPU model than the offer's.
    WrongGpuProven(DisputeModule::WrongGpuProven),
}

impl EscrowEvent {
    /// Decodes an escrow or dispute module log's topics and data. `Ok(None)` for their other events
    /// (payouts, bonds, governance, ownership), which neither the oracle nor the keeper needs.
    pub fn decode(log: &LogData) -> Result<Option<Self>, alloy::sol_types::Error> {
        let Some(topic0) = log.topics().first() else {
            return Ok(None);
        };
        let event = match *topic0 {
            GpuEscrow::RentalOpened::SIGNATURE_HASH => {
                let opened = GpuEscrow::RentalOpened::decode_log_data(log)?;
                Self::RentalOpened {
                    rental_id: opened.rentalId,
                    terms: terms_from_opened(&opened),
                    deposit: opened.deposit,
                    access_key: opened.accessKey.clone(),
                }
            }
            GpuEscrow::RentalExtended::SIGNATURE_HASH => Self::RentalExtended(decode(log)?),
            GpuEscrow::RentalStopped::SIGNATURE_HASH => Self::RentalStopped(decode(log)?),
            GpuEscrow::Checkpointed::SIGNATURE_HASH => Self::Checkpointed(decode(log)?),
            GpuEscrow::RentalSettled::SIGNATURE_HASH => Self::RentalSettled(decode(log)?),
            GpuEscrow::RentalRefunded::SIGNATURE_HASH => Self::RentalRefunded(decode(log)?),
            GpuEscrow::RentalFrozen::SIGNATURE_HASH => Self::RentalFrozen(decode(log)?),
            GpuEscrow::RentalResolved::SIGNATURE_HASH => Self::RentalResolved(decode(log)?),
            GpuEscrow::ProviderRegistered::SIGNATURE_HASH => Self::ProviderRegistered(decode(log)?),
            GpuEscrow::PayoutUpdated::SIGNATURE_HASH => Self::PayoutUpdated(decode(log)?),
            GpuEscrow::AttesterUpdated::SIGNATURE_HASH => Self::AttesterUpdated(decode(log)?),
            GpuEscrow::EndpointUpdated::SIGNATURE_HASH => Self::EndpointUpdated(decode(log)?),
            GpuEscrow::OfferCreated::SIGNATURE_HASH => Self::OfferCreated(decode(log)?),
            GpuEscrow::OfferPriceUpdated::SIGNATURE_HASH => Self::OfferPriceUpdated(decode(log)?),
            GpuEscrow::OfferCapacityUpdated::SIGNATURE_HASH => Self::OfferCapacityUpdated(decode(log)?),
            GpuEscrow::OfferAttesterUpdated::SIGNATURE_HASH => Self::OfferAttesterUpdated(decode(log)?),
            GpuEscrow::OfferRetired::SIGNATURE_HASH => Self::OfferRetired(decode(log)?),
            DisputeModule::DisputeOpened::SIGNATURE_HASH => Self::DisputeOpened(decode(log)?),
            DisputeModule::Ruling::SIGNATURE_HASH => Self::Ruling(decode(log)?),
            DisputeModule::DisputeResolved::SIGNATURE_HASH => Self::DisputeResolved(decode(log)?),
            DisputeModule::EquivocationProven::SIGNATURE_HASH => Self::EquivocationProven(decode(log)?),
            DisputeModule::WrongGpuProven::SIGNATURE_HASH => Self::WrongGpuProven(decode(log)?),
            _ => return Ok(None),
        };
        Ok(Some(event))
    }

    /// The log's topics and data as the escrow emitted them: the inverse of [`Self::decode`], for
    /// consumers that store raw logs and decode them again (e.g. to replay an index after a reorg).
    pub fn encode_log_data(&self) -> LogData {
        match self {
            Self::RentalOpened {
                rental_id,
                terms,
                deposit,
                access_key,
            } => GpuEscrow::RentalOpened {
                rentalId: *rental_id,
                renter: terms.renter,
                offerId: terms.offerId,
                token: terms.token,
                pricePerHour: terms.pricePerHour,
                attester: terms.attester,
                startedAt: terms.startedAt,
                feeBps: terms.feeBps,
                slaBps: terms.slaBps,
                challengeWindow: terms.challengeWindow,
                gracePeriod: terms.gracePeriod,
                salt: terms.salt,
                deposit: *deposit,
                accessKey: access_key.clone(),
            }
            .encode_log_data(),
            Self::RentalExtended(e) => e.encode_log_data(),
            Self::RentalStopped(e) => e.encode_log_data(),
            Self::Checkpointed(e) => e.encode_log_data(),
            Self::RentalSettled(e) => e.encode_log_data(),
            Self::RentalRefunded(e) => e.encode_log_data(),
            Self::RentalFrozen(e) => e.encode_log_data(),
            Self::RentalResolved(e) => e.encode_log_data(),
            Self::ProviderRegistered(e) => e.encode_log_data(),
            Self::PayoutUpdated(e) => e.encode_log_data(),
            Self::AttesterUpdated(e) => e.encode_log_data(),
            Self::EndpointUpdated(e) => e.encode_log_data(),
            Self::OfferCreated(e) => e.encode_log_data(),
            Self::OfferPriceUpdated(e) => e.encode_log_data(),
            Self::OfferCapacityUpdated(e) => e.encode_log_data(),
            Self::OfferAttesterUpdated(e) => e.encode_log_data(),
            Self::OfferRetired(e) => e.encode_log_data(),
            Self::DisputeOpened(e) => e.encode_log_data(),
            Self::Ruling(e) => e.encode_log_data(),
            Self::DisputeResolved(e) => e.encode_log_data(),
            Self::EquivocationProven(e) => e.encode_log_data(),
            Self::WrongGpuProven(e) => e.encode_log_data(),
        }
    }

    /// The rental this event is about, if it is about one. A [`Self::Ruling`] names the
    /// arbitrator's dispute id, which the preceding [`Self::DisputeOpened`] maps to its rental.
    pub fn rental_id(&self) -> Option<B256> {
        match self {
            Self::RentalOpened { rental_id, .. } => Some(*rental_id),
            Self::RentalExtended(e) => Some(e.rentalId),
            Self::RentalStopped(e) => Some(e.rentalId),
            Self::Checkpointed(e) => Some(e.rentalId),
            Self::RentalSettled(e) => Some(e.rentalId),
            Self::RentalRefunded(e) => Some(e.rentalId),
            Self::RentalFrozen(e) => Some(e.rentalId),
            Self::RentalResolved(e) => Some(e.rentalId),
            Self::DisputeOpened(e) => Some(e.rentalId),
            Self::DisputeResolved(e) => Some(e.rentalId),
            Self::EquivocationProven(e) => Some(e.rentalId),
            Self::WrongGpuProven(e) => Some(e.rentalId),
            _ => None,
        }
    }

    /// The event's name in the contract, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RentalOpened { .. } => "RentalOpened",
            Self::RentalExtended(_) => "RentalExtended",
            Self::RentalStopped(_) => "RentalStopped",
            Self::Checkpointed(_) => "Checkpointed",
            Self::RentalSettled(_) => "RentalSettled",
            Self::RentalRefunded(_) => "RentalRefunded",
            Self::RentalFrozen(_) => "RentalFrozen",
            Self::RentalResolved(_) => "RentalResolved",
            Self::ProviderRegistered(_) => "ProviderRegistered",
            Self::PayoutUpdated(_) => "PayoutUpdated",
            Self::AttesterUpdated(_) => "AttesterUpdated",
            Self::EndpointUpdated(_) => "EndpointUpdated",
            Self::OfferCreated(_) => "OfferCreated",
            Self::OfferPriceUpdated(_) => "OfferPriceUpdated",
            Self::OfferCapacityUpdated(_) => "OfferCapacityUpdated",
            Self::OfferAttesterUpdated(_) => "OfferAttesterUpdated",
            Self::OfferRetired(_) => "OfferRetired",
            Self::DisputeOpened(_) => "DisputeOpened",
            Self::Ruling(_) => "Ruling",
            Self::DisputeResolved(_) => "DisputeResolved",
            Self::EquivocationProven(_) => "EquivocationProven",
            Self::WrongGpuProven(_) => "WrongGpuProven",
        }
    }
}

fn decode<E: SolEvent>(log: &LogData) -> Result<E, alloy::sol_types::Error> {
    E::decode_log_data(log)
}

/// An [`EscrowEvent`] with where it was logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// Block that holds the log.
    pub block_number: u64,
    /// Hash of that block (a reorg changes it).
    pub block_hash: B256,
    /// Transaction that emitted the log.
    pub tx_hash: B256,
    /// Index of the log in its block.
    pub log_index: u64,
    /// The decoded event.
    pub event: EscrowEvent,
}

/// Why following the chain failed. Every variant but [`ChainError::ReorgBeyondHistory`] is
/// transient: retry the poll later (the follower's cursor has not moved).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The JSON-RPC request failed (node down, timeout, rate limit, range too large).
    #[error("RPC request `{method}` failed: {source}; check that the node at the configured RPC URL is reachable and synced (a provider that limits eth_getLogs ranges needs a smaller max range)")]
    Rpc {
        /// What was asked.
        method: &'static str,
        /// The transport's error.
        source: TransportError,
    },

    /// The node returned a log without its position (a pending log); it should never for a mined range.
    #[error("the node returned a log without {field} for blocks {from}..={to}; is the RPC URL a full node?")]
    IncompleteLog {
        /// Missing field.
        field: &'static str,
        /// Range asked for.
        from: u64,
        /// Range asked for.
        to: u64,
    },

    /// A log of the escrow's address does not decode as the escrow event its topic names.
    #[error("log {log_index} of block {block_number} does not decode as an escrow event ({source}); is the escrow address right and are the bindings built from the deployed contract?")]
    Decode {
        /// Block of the log.
        block_number: u64,
        /// Index of the log in the block.
        log_index: u64,
        /// The ABI decoder's error.
        source: alloy::sol_types::Error,
    },

    /// The node does not know a block at or below the head it reported (lagging load balancer).
    #[error("the node does not know block {0} although it reported a later head; retry, or point the RPC URL at a single node")]
    BlockNotFound(u64),

    /// A reorg replaced every block whose hash the follower remembers.
    #[error("a reorg replaced every remembered block (oldest remembered: {oldest}); rebuild the index from the chain (e.g. `reindex`) and raise the confirmations")]
    ReorgBeyondHistory {
        /// The oldest block the follower still remembered.
        oldest: u64,
    },
}

fn rpc(method: &'static str) -> impl FnOnce(TransportError) -> ChainError {
    move |source| ChainError::Rpc { method, source }
}

/// Fetches and decodes the escrow's events in blocks `from..=to`, in chain order. Logs of events
/// the oracle and keeper do not use are skipped.
pub async fn fetch_events<P: Provider>(
    provider: &P,
    escrow: Address,
    from: u64,
    to: u64,
) -> Result<Vec<LoggedEvent>, ChainError> {
    fetch_events_of(provider, &[escrow], from, to).await
}

/// [`fetch_events`] of several contracts at once (the escrow and its dispute module), merged in
/// chain order.
pub async fn fetch_events_of<P: Provider>(
    provider: &P,
    contracts: &[Address],
    from: u64,
    to: u64,
) -> Result<Vec<LoggedEvent>, ChainError> {
    let filter = Filter::new().address(contracts.to_vec()).from_block(from).to_block(to);
    let logs = provider.get_logs(&filter).await.map_err(rpc("eth_getLogs"))?;
    let mut events = Vec::with_capacity(logs.len());
    for log in logs {
        if log.removed {
            continue;
        }
        if let Some(event) = logged_event(&log, from, to)? {
            events.push(event);
        }
    }
    events.sort_by_key(|e| (e.block_number, e.log_index));
    Ok(events)
}

fn logged_event(log: &Log, from: u64, to: u64) -> Result<Option<LoggedEvent>, ChainError> {
    let missing = |field| ChainError::IncompleteLog { field, from, to };
    let block_number = log.block_number.ok_or_else(|| missing("blockNumber"))?;
    let log_index = log.log_index.ok_or_else(|| missing("logIndex"))?;
    let event = EscrowEvent::decode(&log.inner.data).map_err(|source| ChainError::Decode {
        block_number,
        log_index,
        source,
    })?;
    let Some(event) = event else {
        return Ok(None);
    };
    if let EscrowEvent::RentalOpened {
        rental_id: id, terms, ..
    } = &event
    {
        if rental_id(terms) != *id {
            return Err(ChainError::Decode {
                block_number,
                log_index,
                source: alloy::sol_types::Error::custom("RentalOpened: rentalId is not keccak256(abi.encode(terms))"),
            });
        }
    }
    Ok(Some(LoggedEvent {
        block_number,
        block_hash: log.block_hash.ok_or_else(|| missing("blockHash"))?,
        tx_hash: log.transaction_hash.ok_or_else(|| missing("transactionHash"))?,
        log_index,
        event,
    }))
}

/// The hash of block `number`, or `None` when the node does not have it (any more).
async fn block_hash<P: Provider>(provider: &P, number: u64) -> Result<Option<B256>, ChainError> {
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .map_err(rpc("eth_getBlockByNumber"))?;
    Ok(block.map(|b| b.header.hash))
}

/// What one [`LogFollower::poll`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowBatch {
    /// The escrow events of the range just read, in chain order (empty after a rewind).
    pub events: Vec<LoggedEvent>,
    /// A reorg was detected: forget everything derived from blocks `≥` this number. The events
    /// of those blocks come again in the next polls.
    pub rewound_to: Option<u64>,
    /// The range read, `from..=to`; `None` when there was nothing new (or after a rewind).
    pub range: Option<(u64, u64)>,
    /// `head − confirmations` at the time of the poll.
    pub safe_head: u64,
    /// The latest head the node reported.
    pub head: u64,
    /// Whether the follower has reached `safe_head` (poll again later rather than at once).
    pub caught_up: bool,
}

/// Walks the escrow's logs (and its dispute module's, see [`Self::with_dispute_module`]) from a
/// start block up to `head − confirmations`, one bounded range per [`poll`](Self::poll), and
/// detects reorgs by remembering the hashes of the blocks it read.
#[derive(Debug, Clone)]
pub struct LogFollower {
    escrow: Address,
    dispute_module: Option<Address>,
    next_block: u64,
    confirmations: u64,
    max_range: u64,
    history: usize,
    /// Block number → hash of blocks already read: each range's last block, and every block
    /// that held an event.
    recent: BTreeMap<u64, B256>,
}

impl LogFollower {
    /// Follows `escrow` from `start_block` (inclusive), staying `confirmations` blocks behind the
    /// head and reading at most `max_range` blocks (at least 1) per `eth_getLogs`.
    pub fn new(escrow: Address, start_block: u64, confirmations: u64, max_range: u64) -> Self {
        Self {
            escrow,
            dispute_module: None,
            next_block: start_block,
            confirmations,
            max_range: max_range.max(1),
            history: DEFAULT_HASH_HISTORY,
            recent: BTreeMap::new(),
        }
    }

    /// Restores the block hashes remembered before a restart (see [`Self::recent_blocks`]).
    #[must_use]
    pub fn with_recent_blocks(mut self, blocks: impl IntoIterator<Item = (u64, B256)>) -> Self {
        self.recent
            .extend(blocks.into_iter().filter(|(n, _)| *n < self.next_block));
        self.trim();
        self
    }

    /// Also follows the escrow's dispute module (its disputes, rulings and slashing proofs).
    #[must_use]
    pub fn with_dispute_module(mut self, module: Option<Address>) -> Self {
        self.dispute_module = module;
        self
    }

    /// How many block hashes to remember (at least 1; default [`DEFAULT_HASH_HISTORY`]).
    #[must_use]
    pub fn with_history(mut self, history: usize) -> Self {
        self.history = history.max(1);
        self.trim();
        self
    }

    /// The escrow followed.
    pub fn escrow(&self) -> Address {
        self.escrow
    }

    /// The first block not read yet: the cursor to persist.
    pub fn next_block(&self) -> u64 {
        self.next_block
    }

    /// The remembered `(block number, hash)` pairs, oldest first: persist them with the cursor.
    pub fn recent_blocks(&self) -> impl Iterator<Item = (u64, B256)> + '_ {
        self.recent.iter().map(|(n, h)| (*n, *h))
    }

    fn trim(&mut self) {
        while self.recent.len() > self.history {
            self.recent.pop_first();
        }
    }

    /// Checks for a reorg, then reads the next range of at most `max_range` blocks up to
    /// `head − confirmations`. On a reorg, rewinds the cursor to the first replaced block and
    /// returns no events. On error the cursor is unchanged: poll again later.
    pub async fn poll<P: Provider>(&mut self, provider: &P) -> Result<FollowBatch, ChainError> {
        let head = provider.get_block_number().await.map_err(rpc("eth_blockNumber"))?;
        let safe_head = head.saturating_sub(self.confirmations);
        let mut batch = FollowBatch {
            safe_head,
            head,
            ..FollowBatch::default()
        };

        if let Some(rewind) = self.find_reorg(provider).await? {
            self.recent.retain(|n, _| *n < rewind);
            self.next_block = rewind;
            batch.rewound_to = Some(rewind);
            return Ok(batch);
        }

        if self.next_block > safe_head {
            batch.caught_up = true;
            return Ok(batch);
        }
        let from = self.next_block;
        let to = safe_head.min(from.saturating_add(self.max_range - 1));
        let contracts: Vec<Address> = std::iter::once(self.escrow).chain(self.dispute_module).collect();
        let events = fetch_events_of(provider, &contracts, from, to).await?;
        let to_hash = block_hash(provider, to).await?.ok_or(ChainError::BlockNotFound(to))?;

        // A log from a block that the chain no longer has at `to` means the range straddled a
        // reorg while it was read: read it again.
        if events.iter().any(|e| e.block_number == to && e.block_hash != to_hash) {
            return Ok(batch);
        }
        for event in &events {
            self.recent.insert(event.block_number, event.block_hash);
        }
        self.recent.insert(to, to_hash);
        self.trim();
        self.next_block = to + 1;
        batch.events = events;
        batch.range = Some((from, to));
        batch.caught_up = to >= safe_head;
        Ok(batch)
    }

    /// The first block to read again when the chain replaced remembered blocks, if it did.
    async fn find_reorg<P: Provider>(&self, provider: &P) -> Result<Option<u64>, ChainError> {
        let Some((&newest, &hash)) = self.recent.last_key_value() else {
            return Ok(None);
        };
        // The newest remembered block still on the chain implies all earlier ones are (hash chain).
        if block_hash(provider, newest).await? == Some(hash) {
            return Ok(None);
        }
        for (&number, &hash) in self.recent.iter().rev().skip(1) {
            if block_hash(provider, number).await? == Some(hash) {
                return Ok(Some(number + 1));
            }
        }
        let oldest = self.recent.first_key_value().map_or(newest, |(n, _)| *n);
        Err(ChainError::ReorgBeyondHistory { oldest })
    }
}
