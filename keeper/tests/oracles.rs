//! The keeper asks the providers' oracles concurrently, against a real anvil: a provider whose
//! oracle accepts connections and never answers holds up none of the other providers' rentals,
//! and a round lasts about one request to it, however many rentals it has.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::{KeeperMarket, HOUR};
use keeper::{Keeper, Metrics};
use testkit::{FakeOracle, Reply};

/// Its rentals, more than the requests one oracle gets at once (4 by default).
const HUNG_RENTALS: usize = 8;
/// Due rentals of the provider whose oracle answers.
const DUE_RENTALS: usize = 50;
/// One request's timeout: a rental of the hung oracle takes two of them (one retry).
const TIMEOUT_MS: u64 = 1_000;
/// What a round may take beyond one rental's requests to the hung oracle: the other oracle's
/// 50 answers, one settleBatch, two syncs. Asking about the hung oracle's rentals one after the
/// other would take 8 × 2 s more; two waves of 4 at once, 2 s more.
const MARGIN: Duration = Duration::from_secs(2);

#[tokio::test]
async fn a_hung_oracle_delays_none_of_the_other_providers_settlements() {
    let m = common::market().await;
    let hung = FakeOracle::start().await;
    hung.set_default(Reply::Hang);
    let hung_offer = m.add_provider(7, 8, hung.url(), |o| o.capacity = u16::MAX).await;
    // The hung oracle's rentals are older: a keeper asking one oracle after the other would wait
    // on each of them before asking about any other.
    m.open_pipelined(hung_offer, HUNG_RENTALS as u64, HOUR, 1).await;
    let due = m.open_pipelined(m.offer_id, DUE_RENTALS as u64, HOUR, 1_000).await;
    for terms in &due {
        m.serve_final(terms, HOUR, 0);
    }
    let mut settings = m.settings("a.sqlite");
    settings.http_timeout_ms = TIMEOUT_MS;
    let one_rental = Duration::from_millis(2 * TIMEOUT_MS + settings.http_backoff_ms);
    let mut keeper = Keeper::connect(settings, m.key(5), Metrics::new()).await.unwrap();
    keeper.sync().await.unwrap();
    m.chain.advance(2 * HOUR + 10).await;

    let started = Instant::now();
    let report = keeper.tick().await.unwrap();
    let took = started.elapsed();
    eprintln!("round: {took:?} (one hung rental's requests: {one_rental:?}, margin {MARGIN:?})");
    assert_eq!(
        (report.settled, report.txs, report.failures),
        (DUE_RENTALS, 1, HUNG_RENTALS),
        "all of the answering oracle's rentals settle in this round, in one batch: {report:?}"
    );
    assert!(
        took < one_rental + MARGIN,
        "the round took {took:?}: more than one hung request ({one_rental:?}) + {MARGIN:?}"
    );
    assert!(
        hung.requests() <= 4 * 2,
        "the hung oracle is asked about 4 rentals at once (twice each), then not again this round: {} requests",
        hung.requests()
    );
    let metrics = keeper.metrics().render();
    let hung_provider = m.key(7).address();
    assert!(
        metrics.contains(&format!(
            "gpu_keeper_attestation_fetch_failures_total{{provider=\"{hung_provider}\"}} {HUNG_RENTALS}"
        )),
        "{metrics}"
    );
    assert_eq!(m.settled_counts().await.len(), DUE_RENTALS);
}
