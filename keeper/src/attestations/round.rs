//! One round of attestation fetches, concurrent: each oracle endpoint gets at most
//! `max_per_oracle` requests at once and all of them together at most `max_in_flight`, so a slow
//! or hung oracle holds up only its own rentals. An endpoint that did not answer a request (no
//! connection, or none within the timeout, after the retries) is not asked again this round: its
//! remaining rentals fail at once and are asked again in a later round, so a round takes about
//! one request's time at worst, however many rentals a hung oracle has.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex, PoisonError,
    },
};

use alloy::primitives::B256;
use protocol::{oracle_api::OracleEndpoint, SignedAttestation};
use tokio::{sync::Semaphore, task::JoinSet};

use super::AttestationClient;
use crate::error::FetchError;

/// What each rental's oracle answered in a round.
pub type Fetched = HashMap<B256, Result<SignedAttestation, FetchError>>;

/// The rentals still to ask one endpoint about, shared by its workers.
struct Queue {
    endpoint: OracleEndpoint,
    rentals: Mutex<VecDeque<B256>>,
    /// Set once a request got no answer: the rest are not asked.
    unresponsive: AtomicBool,
}

impl Queue {
    fn next(&self) -> Option<B256> {
        // Never held across an await; a panicking holder leaves a valid queue.
        self.rentals.lock().unwrap_or_else(PoisonError::into_inner).pop_front()
    }
}

impl AttestationClient {
    /// Fetches the latest attestation of each `(rental, endpoint)`, concurrently (see the
    /// module's documentation). A rental is missing from the answer only if its worker panicked.
    pub async fn fetch_round(&self, requests: impl IntoIterator<Item = (B256, OracleEndpoint)>) -> Fetched {
        let mut queues: HashMap<String, (OracleEndpoint, VecDeque<B256>)> = HashMap::new();
        for (rental, endpoint) in requests {
            queues
                .entry(endpoint.base().to_owned())
                .or_insert_with(|| (endpoint, VecDeque::new()))
                .1
                .push_back(rental);
        }
        let in_flight = Arc::new(Semaphore::new(self.settings.max_in_flight.max(1)));
        let mut workers = JoinSet::new();
        for (endpoint, rentals) in queues.into_values() {
            let count = rentals.len().min(self.settings.max_per_oracle.max(1));
            let queue = Arc::new(Queue {
                endpoint,
                rentals: Mutex::new(rentals),
                unresponsive: AtomicBool::new(false),
            });
            for _ in 0..count {
                workers.spawn(self.clone().work(queue.clone(), in_flight.clone()));
            }
        }
        let mut fetched = Fetched::new();
        while let Some(done) = workers.join_next().await {
            match done {
                Ok(answers) => fetched.extend(answers),
                Err(e) => {
                    tracing::error!(target: "keeper::fetch", error = %e, "an attestation fetch worker failed; its rentals are asked again next round");
                }
            }
        }
        fetched
    }

    /// Asks `queue`'s endpoint about its rentals one after the other, each request holding one of
    /// the round's `in_flight` permits.
    async fn work(
        self,
        queue: Arc<Queue>,
        in_flight: Arc<Semaphore>,
    ) -> Vec<(B256, Result<SignedAttestation, FetchError>)> {
        let mut answers = Vec::new();
        while let Some(rental) = queue.next() {
            if queue.unresponsive.load(Ordering::Relaxed) {
                let endpoint = queue.endpoint.base().to_owned();
                answers.push((rental, Err(FetchError::Unresponsive { endpoint })));
                continue;
            }
            // The semaphore is never closed: a permit always comes.
            let permit = in_flight.acquire().await.ok();
            let answer = self.fetch(&queue.endpoint, rental).await;
            drop(permit);
            if matches!(answer, Err(FetchError::Http { .. })) {
                queue.unresponsive.store(true, Ordering::Relaxed);
            }
            answers.push((rental, answer));
        }
        answers
    }
}
