//! End-to-end stories live in `tests/`: each starts a real anvil, deploys the escrow from the forge artifacts and
//! runs the real `gpu-oracle` and `gpu-keeper` binaries (built by `cargo build --workspace`) against it, then
//! checks balances and receipts on-chain.
