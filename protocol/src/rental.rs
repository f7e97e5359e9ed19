//! One rental's life as the escrow's events tell it: the only fold of those events in the
//! workspace. The oracle, the keeper and the CLI keep a [`Rental`] per rental and feed it every
//! event ([`Rental::apply`]); [`Change`] says what an event did, so each can act on it (tear
//! access down, settle, print a receipt) without reading the events themselves.
//!
//! [`Rental::apply`] matches every [`EscrowEvent`] by name: an event added to the escrow is a
//! compile error here until its effect on a rental is decided. The dApp's mirror
//! (`app/src/rental.ts`) runs the same vectors (`test/vectors/rentals.json`).

use std::{fmt, str::FromStr};

use alloy::primitives::{Address, B256, U256};
use serde::{Deserialize, Serialize};

use crate::{billing, chain::EscrowEvent, error::RentalError, RentalTerms};

/// Where a rental stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RentalStatus {
    /// Open: billed until its stop or until the deposit runs out, then due for settlement.
    Running,
    /// Under a subjective dispute: its clock stopped at the freeze and nothing moves its money
    /// until the dispute module closes it.
    Frozen,
    /// Closed by a final attestation (`settle`, `stopAndSettle`, `settleBatch`, `settleFallback`).
    Settled,
    /// Closed without a final attestation: the provider keeps what checkpoints paid.
    Refunded,
    /// Closed by the dispute module: a ruling, the fallback's refund or a slashing proof.
    Resolved,
}

impl RentalStatus {
    /// Every status, in the order above (for gauges and listings).
    pub const ALL: [Self; 5] = [
        Self::Running,
        Self::Frozen,
        Self::Settled,
        Self::Refunded,
        Self::Resolved,
    ];

    /// The status's name, as stored and printed.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Frozen => "frozen",
            Self::Settled => "settled",
            Self::Refunded => "refunded",
            Self::Resolved => "resolved",
        }
    }

    /// Whether the escrow has closed the rental: nothing more to bill, settle or refund.
    pub const fn is_closed(self) -> bool {
        matches!(self, Self::Settled | Self::Refunded | Self::Resolved)
    }
}

impl fmt::Display for RentalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RentalStatus {
    type Err = RentalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| RentalError::UnknownStatus(s.to_owned()))
    }
}

/// Who stopped a rental and when its clock stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stop {
    /// When billing stopped (the stop, termination or freeze).
    pub at: u64,
    /// The renter (stop), the provider (terminate) or the dispute module (freeze).
    pub by: Address,
}

/// How the escrow closed a rental, as its closing event recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Closure {
    /// `RentalSettled`.
    #[serde(rename_all = "camelCase")]
    Settled {
        /// Seconds billed in all (checkpoints included).
        billed_seconds: u64,
        /// When billing ended (the escrow's own end: the stop, the deposit running out, or the
        /// block of a `stopAndSettle`).
        ended_at: u64,
        /// `cost(billed_seconds)`, before the SLA credit.
        cost: U256,
        /// Back to the renter, SLA credit included.
        refund: U256,
        /// Taken from the provider's share because uptime fell short of the SLA.
        sla_credit: U256,
    },
    /// `RentalRefunded`.
    Refunded {
        /// Back to the renter: the deposit less what checkpoints paid.
        refund: U256,
    },
    /// `RentalResolved`.
    #[serde(rename_all = "camelCase")]
    Resolved {
        /// When billing ended (the stop or freeze, the deposit running out, or the block of the
        /// resolution of a running rental).
        ended_at: u64,
        /// The cost of the seconds before the end not yet paid out, split by the dispute's outcome.
        at_stake: U256,
        /// The deposit for the seconds after the end, back to the renter.
        returned: U256,
    },
}

/// What one event did to a rental: what the services act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Change {
    /// `RentalOpened` of this id again (a rental opened and closed within one second and opened
    /// again with the same terms): its life starts over with `deposit`.
    Reopened {
        /// The deposit escrowed at the new open.
        deposit: U256,
    },
    /// The renter topped the deposit up to `deposit`.
    Extended {
        /// The total deposit now.
        deposit: U256,
    },
    /// The renter, the provider or a dispute's freeze stopped the clock.
    Stopped(Stop),
    /// A checkpoint paid the provider up to `paid_seconds`.
    #[serde(rename_all = "camelCase")]
    Checkpointed {
        /// The attestation's seq.
        seq: u64,
        /// Seconds paid in all.
        paid_seconds: u64,
        /// What this checkpoint paid the provider (net of fee and SLA hold-back).
        provider_net: U256,
        /// What this checkpoint paid the treasury.
        fee: U256,
    },
    /// A subjective dispute froze it.
    Frozen,
    /// The escrow closed it.
    Closed(Closure),
}

/// One rental: its terms and what its events made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rental {
    /// `keccak256(abi.encode(terms))`.
    pub id: B256,
    /// The immutable terms, as `RentalOpened` rebuilt them.
    #[serde(with = "terms_abi")]
    pub terms: RentalTerms,
    /// The deposit escrowed at open.
    pub initial_deposit: U256,
    /// The deposit after every extension.
    pub deposit: U256,
    /// Seconds paid out by checkpoints.
    pub paid_seconds: u64,
    /// The last seq a checkpoint accepted (0: none).
    pub last_seq: u64,
    /// What checkpoints paid the provider in all.
    pub checkpointed_net: U256,
    /// What checkpoints paid the treasury in all.
    pub checkpointed_fee: U256,
    /// The stop, termination or freeze, if any.
    pub stopped: Option<Stop>,
    /// Whether a subjective dispute froze it.
    pub frozen: bool,
    /// How it closed, once closed.
    pub closure: Option<Closure>,
}

impl Rental {
    /// A rental just opened with `terms` and `deposit`.
    pub fn opened(id: B256, terms: RentalTerms, deposit: U256) -> Self {
        Self {
            id,
            terms,
            initial_deposit: deposit,
            deposit,
            paid_seconds: 0,
            last_seq: 0,
            checkpointed_net: U256::ZERO,
            checkpointed_fee: U256::ZERO,
            stopped: None,
            frozen: false,
            closure: None,
        }
    }

    /// The rental `RentalOpened` starts, or `None` for any other event.
    pub fn from_opened(event: &EscrowEvent) -> Option<Self> {
        match event {
            EscrowEvent::RentalOpened {
                rental_id,
                terms,
                deposit,
                ..
            } => Some(Self::opened(*rental_id, terms.clone(), *deposit)),
            _ => None,
        }
    }

    /// Folds `events` (in chain order, any rentals') into the rental `id`: `None` when none of
    /// them opens it.
    pub fn fold<'a>(id: B256, events: impl IntoIterator<Item = &'a EscrowEvent>) -> Option<Self> {
        let mut rental: Option<Self> = None;
        for event in events {
            match rental.as_mut() {
                Some(r) => {
                    r.apply(event);
                }
                None => rental = Self::from_opened(event).filter(|r| r.id == id),
            }
        }
        rental
    }

    /// Applies one event: what it changed, or `None` when it is about another rental or does not
    /// change a rental (offers, providers, the dispute module's own bookkeeping).
    pub fn apply(&mut self, event: &EscrowEvent) -> Option<Change> {
        let change = self.change_of(event)?;
        self.apply_change(change);
        Some(change)
    }

    /// What `event` does to this rental (nothing applied yet).
    fn change_of(&self, event: &EscrowEvent) -> Option<Change> {
        if event.rental_id() != Some(self.id) {
            return None;
        }
        match event {
            EscrowEvent::RentalOpened { deposit, .. } => Some(Change::Reopened { deposit: *deposit }),
            EscrowEvent::RentalExtended(e) => Some(Change::Extended { deposit: e.deposit }),
            EscrowEvent::RentalStopped(e) => Some(Change::Stopped(Stop {
                at: e.stoppedAt.to(),
                by: e.by,
            })),
            EscrowEvent::Checkpointed(e) => Some(Change::Checkpointed {
                seq: e.seq,
                paid_seconds: u64::from(e.paidSeconds),
                provider_net: e.providerNet,
                fee: e.fee,
            }),
            EscrowEvent::RentalSettled(e) => Some(Change::Closed(Closure::Settled {
                billed_seconds: e.billedSeconds,
                ended_at: e.endedAt,
                cost: e.cost,
                refund: e.refund,
                sla_credit: e.slaCredit,
            })),
            EscrowEvent::RentalRefunded(e) => Some(Change::Closed(Closure::Refunded { refund: e.refund })),
            EscrowEvent::RentalFrozen(_) => Some(Change::Frozen),
            EscrowEvent::RentalResolved(e) => Some(Change::Closed(Closure::Resolved {
                ended_at: e.endedAt,
                at_stake: e.atStake,
                returned: e.returned,
            })),
            // The dispute module's records: the rental's own events (frozen, stopped, resolved)
            // carry what they do to it.
            EscrowEvent::DisputeOpened(_)
            | EscrowEvent::Ruling(_)
            | EscrowEvent::DisputeResolved(_)
            | EscrowEvent::EquivocationProven(_)
            | EscrowEvent::WrongGpuProven(_)
            // Not about a rental.
            | EscrowEvent::ProviderRegistered(_)
            | EscrowEvent::PayoutUpdated(_)
            | EscrowEvent::AttesterUpdated(_)
            | EscrowEvent::EndpointUpdated(_)
            | EscrowEvent::OfferCreated(_)
            | EscrowEvent::OfferPriceUpdated(_)
            | EscrowEvent::OfferCapacityUpdated(_)
            | EscrowEvent::OfferAttesterUpdated(_)
            | EscrowEvent::OfferRetired(_) => None,
        }
    }

    /// Applies a change (from [`Self::apply`], or replayed from a journal of changes).
    pub fn apply_change(&mut self, change: Change) {
        match change {
            Change::Reopened { deposit } => *self = Self::opened(self.id, self.terms.clone(), deposit),
            Change::Extended { deposit } => self.deposit = deposit,
            Change::Stopped(stop) => self.stopped = Some(stop),
            Change::Checkpointed {
                seq,
                paid_seconds,
                provider_net,
                fee,
            } => {
                self.last_seq = seq;
                self.paid_seconds = paid_seconds;
                self.checkpointed_net = self.checkpointed_net.saturating_add(provider_net);
                self.checkpointed_fee = self.checkpointed_fee.saturating_add(fee);
            }
            Change::Frozen => self.frozen = true,
            Change::Closed(closure) => self.closure = Some(closure),
        }
    }

    /// Where it stands.
    pub fn status(&self) -> RentalStatus {
        match (self.closure, self.frozen) {
            (Some(Closure::Settled { .. }), _) => RentalStatus::Settled,
            (Some(Closure::Refunded { .. }), _) => RentalStatus::Refunded,
            (Some(Closure::Resolved { .. }), _) => RentalStatus::Resolved,
            (None, true) => RentalStatus::Frozen,
            (None, false) => RentalStatus::Running,
        }
    }

    /// When it started (`terms.startedAt`).
    pub fn started_at(&self) -> u64 {
        self.terms.startedAt.to()
    }

    /// `terms.pricePerHour`.
    pub fn price_per_hour(&self) -> U256 {
        U256::from(self.terms.pricePerHour)
    }

    /// When the deposit runs out.
    pub fn expiry(&self) -> u64 {
        billing::end_of(self.started_at(), self.price_per_hour(), self.deposit, 0)
    }

    /// When billing ends (the escrow's `RentalQuote.endOf`): the closing event's own end once
    /// settled or resolved; otherwise the earliest of the stop (termination, freeze) and the expiry.
    pub fn end(&self) -> u64 {
        if let Some(Closure::Settled { ended_at, .. } | Closure::Resolved { ended_at, .. }) = self.closure {
            return ended_at;
        }
        billing::end_of(
            self.started_at(),
            self.price_per_hour(),
            self.deposit,
            self.stopped.map_or(0, |s| s.at),
        )
    }

    /// Wall-clock seconds from the start to the end.
    pub fn wall_seconds(&self) -> u64 {
        self.end().saturating_sub(self.started_at())
    }

    /// Seconds the renter was billed: what the settlement billed, or what checkpoints paid
    /// (a refund or a dispute's outcome pays no more seconds than those).
    pub fn billed_seconds(&self) -> u64 {
        match self.closure {
            Some(Closure::Settled { billed_seconds, .. }) => billed_seconds,
            _ => self.paid_seconds,
        }
    }
}

/// `RentalTerms` as the hex of `abi.encode(terms)`: exact, and what hashes to the rental id.
mod terms_abi {
    use alloy::{primitives::Bytes, sol_types::SolValue};
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    use crate::RentalTerms;

    pub(super) fn serialize<S: Serializer>(terms: &RentalTerms, s: S) -> Result<S::Ok, S::Error> {
        Bytes::from(terms.abi_encode()).serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RentalTerms, D::Error> {
        let bytes = Bytes::deserialize(d)?;
        RentalTerms::abi_decode(&bytes).map_err(D::Error::custom)
    }
}
