//! The keeper's test market: testkit's market as every keeper test sets it up (a 2.5 % fee, USDC
//! bonds, a fake oracle, an offer with room for as many rentals as a test opens), and what only the
//! keeper needs on it: keepers configured for it and final attestations served for its rentals.

#![allow(
    dead_code,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    async_fn_in_trait
)]

use alloy::primitives::U256;
use keeper::{Keeper, Metrics, Settings};
use protocol::{rental_id, RentalTerms, SignedAttestation};
use testkit::{Chain, Market, Reply};

pub const PRICE_PER_HOUR: u64 = 2_500_000;
pub const HOUR: u64 = 3_600;
/// The provider's bond: the minimum an offer in USDC needs, 100 USDC.
pub const BOND: u64 = 100_000_000;
/// What opening a dispute costs in USDC: 5 USDC.
pub const DISPUTE_BOND: u64 = 5_000_000;

/// The market every keeper test starts from.
pub async fn market() -> Market {
    market_with(&[]).await
}

/// As [`market`], with `anvil_args` for anvil (e.g. a larger block gas limit).
pub async fn market_with(anvil_args: &[&str]) -> Market {
    Market::builder()
        .name("gpu-keeper-test")
        .chain(Chain::builder().args(anvil_args.iter().copied()))
        .fee_bps(250)
        .bonds(U256::from(BOND), U256::from(DISPUTE_BOND))
        .fake_oracle()
        .offer(|o| o.capacity = u16::MAX)
        .start()
        .await
}

/// The keeper's own fixtures on a [`Market`].
pub trait KeeperMarket {
    /// Settings for a keeper on this market with its own index file.
    fn settings(&self, index_name: &str) -> Settings;

    /// A keeper with [`Self::settings`], signing as anvil account `key`.
    async fn keeper(&self, index_name: &str, key: usize) -> Keeper;

    /// The fake oracle serves the final attestation of a rental that ran its full deposit, with
    /// `down` seconds of downtime.
    fn serve_final(&self, terms: &RentalTerms, seconds: u64, down: u64) -> SignedAttestation;
}

impl KeeperMarket for Market {
    fn settings(&self, index_name: &str) -> Settings {
        Settings {
            rpc_url: self.chain.endpoint(),
            escrow: Some(self.escrow),
            start_block: Some(0),
            index_path: self.dir.join(index_name),
            confirmations: 0,
            poll_interval_ms: 50,
            http_timeout_ms: 400,
            http_retries: 1,
            http_backoff_ms: 10,
            retry_after_secs: 0,
            min_balance_wei: 0,
            stuck_blocks: 2,
            give_up_blocks: 20,
            ..Settings::default()
        }
    }

    async fn keeper(&self, index_name: &str, key: usize) -> Keeper {
        Keeper::connect(self.settings(index_name), self.key(key), Metrics::new())
            .await
            .unwrap()
    }

    fn serve_final(&self, terms: &RentalTerms, seconds: u64, down: u64) -> SignedAttestation {
        let started: u64 = terms.startedAt.to();
        let signed = self.attest(terms, (1, started + seconds, seconds - down));
        self.fake().reply(rental_id(terms), Reply::Attestation(signed.clone()));
        signed
    }
}
