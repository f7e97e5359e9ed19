//! The fixtures every crate's tests share, written once: a local chain, a deployed market on it,
//! a fake oracle that answers as the test says, the real `gpu-oracle` as a child process, and the
//! guards that clean up after a test.
//!
//! | module | its one duty |
//! |---|---|
//! | [`anvil`] | spawn the project's anvil, sign as its accounts, send and wait for transactions, move chain time |
//! | [`market`] | deploy the stack with a mock USDC, register and bond a provider, publish an H100 offer, open rentals |
//! | [`deployment`] | the market as a `protocol::Deployment`, written to `deployments/<chainId>.json` |
//! | [`fake_oracle`] | an HTTP server on the oracle's routes that replies as the test says (queued, fixed, live, hanging, errors) |
//! | [`gpu_oracle`] | the real `gpu-oracle run` for a market's offer as a child process, healthy before it is returned |
//! | [`process`] | child processes killed on drop with their log's tail, free ports, temporary folders, workspace binaries |
//! | [`proxy`] | a TCP proxy in front of a server that a test cuts and restores |
//! | [`wait`] | asking again until something happens, failing after a deadline with what was seen |
//!
//! Used only as a dev-dependency: a test starts what it needs with [`Market::builder`] and drops
//! it at the end, which stops every process and server it started.
//!
//! Needs the forge artifacts (`make build`) and anvil at `node_modules/.bin/anvil` (`npm ci`).

// Test support: a fixture that cannot be set up has nothing better to do than stop the test with a
// message that says why, so panicking shortcuts are the point here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod anvil;
pub mod deployment;
pub mod fake_oracle;
pub mod gpu_oracle;
pub mod market;
pub mod process;
pub mod proxy;
pub mod wait;

use std::path::PathBuf;

pub use anvil::{connect, mined, Chain, ChainBuilder};
pub use fake_oracle::{Access, FakeOracle, Reply};
pub use gpu_oracle::{GpuOracle, RunningOracle};
pub use market::{
    renter_access_key, Market, MarketBuilder, Token, ARBITER, ATTESTER, DEPLOYER, GPU_MODEL, KEEPER, MOCK_GPU,
    PROVIDER, RENTER, RENTER_SSH_KEY, TREASURY,
};
pub use process::{free_port, ChildGuard, TempDir};
pub use proxy::Proxy;

/// The repository's root folder (where `node_modules/`, `hooks/` and `deployments/` are).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ lies in the repository's root")
        .to_path_buf()
}
