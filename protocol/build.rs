//! Makes the contract bindings follow the forge artifacts they are generated from.

use std::path::{Path, PathBuf};

/// Forge artifacts read by `src/bindings.rs`, relative to the repository root.
const ARTIFACTS: [&str; 5] = [
    "out/GpuEscrow.sol/GpuEscrow.json",
    "out/Errors.sol/Errors.json",
    "out/MockERC20.sol/MockERC20.json",
    "out/DisputeModule.sol/DisputeModule.json",
    "out/CommitteeArbitrator.sol/CommitteeArbitrator.json",
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| ".".into()));
    let repo_root = manifest_dir.parent().unwrap_or(Path::new(".."));
    let mut missing = Vec::new();
    for artifact in ARTIFACTS {
        let path = repo_root.join(artifact);
        println!("cargo:rerun-if-changed={}", path.display());
        if !path.is_file() {
            missing.push(path);
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
    if !missing.is_empty() {
        for path in &missing {
            eprintln!(
                "error: run `make build` first: forge artifacts missing at {}",
                path.display()
            );
        }
        std::process::exit(1);
    }
}
