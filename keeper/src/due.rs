//! What is due for a running rental at a given time, and why: the keeper's classification of
//! the rentals it follows (settle, refund, checkpoint, or wait).

use protocol::rental::Rental;

use crate::index::IndexedRental;

/// What is due for a running rental, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// Ended, past the challenge window, before the deadline: settle with the final attestation.
    Settle {
        /// Billing end.
        end: u64,
        /// Last second a settlement is accepted.
        deadline: u64,
    },
    /// Past end + grace and not settled: refund the renter.
    Refund {
        /// Billing end.
        end: u64,
    },
    /// Running with more unpaid time than the checkpoint interval.
    Checkpoint {
        /// Seconds since start not yet paid.
        unpaid: u64,
    },
    /// Ended, but others than the renter must wait for the challenge window.
    ChallengeWindow {
        /// When a keeper may settle.
        settleable_at: u64,
    },
    /// Running; nothing to do yet.
    Running {
        /// When it ends unless extended.
        ends_at: u64,
    },
}

impl std::fmt::Display for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Settle { end, deadline } => write!(
                f,
                "settle: ended at {end}, challenge window over, settleable until {deadline}"
            ),
            Self::Refund { end } => write!(f, "refund: ended at {end} and nobody settled before end + grace"),
            Self::Checkpoint { unpaid } => write!(f, "checkpoint: {unpaid} s running unpaid"),
            Self::ChallengeWindow { settleable_at } => write!(f, "wait: challenge window open until {settleable_at}"),
            Self::Running { ends_at } => write!(f, "wait: running until {ends_at}"),
        }
    }
}

/// What is due for `rental` at time `now`; `checkpoint_interval` 0 means never checkpoint.
pub fn classify(rental: &Rental, now: u64, checkpoint_interval: u64) -> Due {
    let end = rental.end();
    let window = u64::from(rental.terms.challengeWindow);
    let grace = u64::from(rental.terms.gracePeriod);
    if now > end.saturating_add(grace) {
        return Due::Refund { end };
    }
    if now >= end.saturating_add(window) {
        return Due::Settle {
            end,
            deadline: end.saturating_add(grace),
        };
    }
    if now >= end {
        return Due::ChallengeWindow {
            settleable_at: end + window,
        };
    }
    let unpaid = now
        .saturating_sub(rental.started_at())
        .saturating_sub(rental.paid_seconds);
    if checkpoint_interval > 0 && unpaid >= checkpoint_interval {
        return Due::Checkpoint { unpaid };
    }
    Due::Running { ends_at: end }
}

/// One line of `gpu-keeper status`.
#[derive(Debug, Clone)]
pub struct DueRental {
    /// The rental.
    pub rental: IndexedRental,
    /// What is due.
    pub due: Due,
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{
        aliases::{U40, U96},
        Address, B256, U256,
    };
    use protocol::{rental::Stop, RentalTerms};

    use super::*;

    fn rental(stopped_at: u64) -> Rental {
        let terms = RentalTerms {
            startedAt: U40::from(1_000),
            pricePerHour: U96::from(3_600),
            challengeWindow: 100,
            gracePeriod: 1_000,
            ..Default::default()
        };
        // One unit a second: runs 1 000 → 2 000.
        let mut rental = Rental::opened(B256::ZERO, terms, U256::from(1_000));
        rental.stopped = (stopped_at != 0).then_some(Stop {
            at: stopped_at,
            by: Address::ZERO,
        });
        rental
    }

    #[test]
    fn only_a_running_rental_is_checkpointed_an_ended_one_settles() {
        let interval = 60;
        assert_eq!(classify(&rental(0), 1_500, interval), Due::Checkpoint { unpaid: 500 });
        assert_eq!(
            classify(&rental(0), 2_000, interval),
            Due::ChallengeWindow { settleable_at: 2_100 }
        );
        assert_eq!(
            classify(&rental(0), 2_100, interval),
            Due::Settle {
                end: 2_000,
                deadline: 3_000
            }
        );
        // Stopped (or frozen by a dispute) at 1 200: ended, whatever is unpaid.
        assert_eq!(
            classify(&rental(1_200), 1_250, interval),
            Due::ChallengeWindow { settleable_at: 1_300 }
        );
        assert_eq!(classify(&rental(0), 3_001, interval), Due::Refund { end: 2_000 });
    }
}
