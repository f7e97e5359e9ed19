//! Writes `test/vectors/attestations.json`, the EIP-712 usage-attestation vectors shared by the
//! cargo and forge tests:
//!
//! ```sh
//! cargo run -p gpu-escrow-protocol --example gen_vectors
//! ```
//!
//! The format rules (integers as decimal strings, object keys in alphabetical order for
//! Solidity's `vm.parseJson`) are documented in `tests/common/vectors.rs`, which this shares
//! with the test that keeps the committed file from drifting.

#![allow(clippy::expect_used, clippy::panic, clippy::print_stdout)]

#[path = "../tests/common/vectors.rs"]
mod vectors;

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(vectors::VECTORS_FILE);
    let text = vectors::render();
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    println!("wrote {} ({} vectors)", path.display(), vectors::cases().len());
}
