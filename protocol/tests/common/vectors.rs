//! Generator of `test/vectors/attestations.json`, the EIP-712 vectors shared with the forge
//! tests. Used by `examples/gen_vectors.rs` (writes the file) and `tests/attestation_vectors.rs`
//! (checks that the committed file is exactly what this produces).
//!
//! File format rules, both for Solidity's `vm.parseJson` and for exact reading in Rust:
//! - every integer is a decimal *string* (a u64 does not fit a JSON number's 2^53 safe range);
//! - hashes, addresses and signatures are `0x` hex strings;
//! - the keys of every object, in particular of `attestation`, are in alphabetical order,
//!   because `vm.parseJson` decodes an object into a struct by alphabetical key order.
//!
//! The signatures are deterministic (RFC 6979), so regenerating never changes the file.

#![allow(dead_code)] // shared by a test and an example; each uses a part

use alloy::{
    primitives::{address, b256, keccak256, Address, B256},
    signers::local::PrivateKeySigner,
    sol_types::Eip712Domain,
};
use protocol::{attestation, gpu_model_hash, gpu_uuids_hash, UsageAttestation};
use serde_json::{Map, Value};

/// Path of the vectors file relative to the protocol crate's manifest dir.
pub(crate) const VECTORS_FILE: &str = "../test/vectors/attestations.json";

/// Chain id of the vectors' domain (anvil's).
pub(crate) const CHAIN_ID: u64 = 31_337;
/// Verifying contract of the vectors' domain: the first contract anvil account 0 deploys.
pub(crate) const ESCROW: Address = address!("5FbDB2315678afecb367f032d93F642f64180aa3");

/// Anvil's well-known development keys (accounts 0, 1 and 2); public test keys, never funds.
const ANVIL_KEYS: [B256; 3] = [
    b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    b256!("5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
];

/// GPU model names whose hashes the file also pins.
pub(crate) const GPU_MODELS: [&str; 3] = [
    "NVIDIA H100 80GB HBM3",
    "NVIDIA A100-SXM4-80GB",
    "NVIDIA GeForce RTX 4090",
];

/// An 8-GPU host's UUIDs in enumeration (not sorted) order.
pub(crate) fn h100_host_uuids() -> Vec<String> {
    [
        "GPU-f1c2d3e4-0007-4a5b-8c9d-0e1f2a3b4c5d",
        "GPU-0a1b2c3d-0000-4e5f-8a9b-1c2d3e4f5a6b",
        "GPU-7e6d5c4b-0003-4a29-8f1e-2d3c4b5a6978",
        "GPU-3c4d5e6f-0001-4a7b-9c8d-7e6f5a4b3c2d",
        "GPU-9f8e7d6c-0005-4b5a-8c7d-6e5f4a3b2c1d",
        "GPU-5a6b7c8d-0002-4e9f-8a1b-2c3d4e5f6a7b",
        "GPU-b1a2c3d4-0006-4e5f-9a8b-7c6d5e4f3a2b",
        "GPU-2b3c4d5e-0004-4f6a-8b7c-9d0e1f2a3b4c",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The named attestations and the anvil key (index) that signs each.
pub(crate) fn cases() -> Vec<(&'static str, usize, UsageAttestation)> {
    vec![
        ("zero values", 0, UsageAttestation::default()),
        (
            "max values",
            1,
            UsageAttestation {
                rentalId: B256::repeat_byte(0xff),
                seq: u64::MAX,
                periodEnd: u64::MAX,
                uptimeSeconds: u64::MAX,
                gpuModelHash: B256::repeat_byte(0xff),
                gpuUuidsHash: B256::repeat_byte(0xff),
                energyJoules: u64::MAX,
                avgUtilBps: u16::MAX,
            },
        ),
        (
            "high bit set in every integer",
            2,
            UsageAttestation {
                rentalId: B256::with_last_byte(1),
                seq: 1 << 63,
                periodEnd: (1 << 63) + 1,
                uptimeSeconds: 1 << 63,
                gpuModelHash: B256::left_padding_from(&[0x80]),
                gpuUuidsHash: B256::right_padding_from(&[0x80]),
                energyJoules: (1 << 63) | 0x7f,
                avgUtilBps: 1 << 15,
            },
        ),
        (
            "H100 x8, 12 hours, seq 12",
            0,
            UsageAttestation {
                rentalId: keccak256("gpu-escrow test rental 1"),
                seq: 12,
                periodEnd: 1_767_268_800,
                uptimeSeconds: 43_170,
                gpuModelHash: gpu_model_hash("NVIDIA H100 80GB HBM3"),
                gpuUuidsHash: gpu_uuids_hash(&h100_host_uuids()),
                energyJoules: 241_920_000,
                avgUtilBps: 9_350,
            },
        ),
        (
            "RTX 4090 x1, first attestation",
            1,
            UsageAttestation {
                rentalId: keccak256("gpu-escrow test rental 2"),
                seq: 1,
                periodEnd: 1_767_225_660,
                uptimeSeconds: 58,
                gpuModelHash: gpu_model_hash("NVIDIA GeForce RTX 4090"),
                gpuUuidsHash: gpu_uuids_hash(&["GPU-6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b".to_owned()]),
                energyJoules: 20_300,
                avgUtilBps: 4_120,
            },
        ),
    ]
}

/// The vectors' EIP-712 domain.
pub(crate) fn vectors_domain() -> Eip712Domain {
    attestation::domain(CHAIN_ID, ESCROW)
}

fn hex(bytes: impl AsRef<[u8]>) -> Value {
    Value::String(alloy::hex::encode_prefixed(bytes))
}

fn dec(n: impl Into<u128>) -> Value {
    let n: u128 = n.into();
    Value::String(n.to_string())
}

/// Builds a JSON object with its keys inserted in the given order, which the callers keep
/// alphabetical (whether or not serde_json's `preserve_order` feature is on).
fn object(fields: Vec<(&str, Value)>) -> Value {
    assert!(
        fields.windows(2).all(|w| w[0].0 < w[1].0),
        "vector object keys must be alphabetical"
    );
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect::<Map<_, _>>(),
    )
}

/// The attestation as a JSON object: alphabetical keys, integers as decimal strings.
pub(crate) fn attestation_json(a: &UsageAttestation) -> Value {
    object(vec![
        ("avgUtilBps", dec(a.avgUtilBps)),
        ("energyJoules", dec(a.energyJoules)),
        ("gpuModelHash", hex(a.gpuModelHash)),
        ("gpuUuidsHash", hex(a.gpuUuidsHash)),
        ("periodEnd", dec(a.periodEnd)),
        ("rentalId", hex(a.rentalId)),
        ("seq", dec(a.seq)),
        ("uptimeSeconds", dec(a.uptimeSeconds)),
    ])
}

/// The whole vectors file.
pub(crate) fn generate() -> Value {
    let domain = vectors_domain();
    let vectors = cases()
        .into_iter()
        .map(|(name, key, attestation)| {
            let signer = PrivateKeySigner::from_bytes(&ANVIL_KEYS[key]).expect("valid anvil key");
            let struct_hash = attestation.struct_hash();
            let digest = attestation.digest(&domain);
            let signed = attestation
                .clone()
                .sign(&signer, &domain)
                .expect("local signing cannot fail");
            object(vec![
                ("attestation", attestation_json(&attestation)),
                ("compactSignature", hex(signed.signature_2098())),
                ("digest", hex(digest)),
                ("name", Value::String(name.to_owned())),
                ("signature", hex(signed.signature_65())),
                ("signer", Value::String(signed.signer.to_checksum(None))),
                ("structHash", hex(struct_hash)),
            ])
        })
        .collect();
    let models = GPU_MODELS
        .iter()
        .map(|name| {
            object(vec![
                ("hash", hex(gpu_model_hash(name))),
                ("name", Value::String((*name).to_owned())),
            ])
        })
        .collect();
    let uuid_sets = [
        h100_host_uuids(),
        vec!["GPU-6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b".to_owned()],
        vec![],
    ]
    .into_iter()
    .map(|uuids| {
        let hash = gpu_uuids_hash(&uuids);
        object(vec![
            ("hash", hex(hash)),
            ("uuids", Value::Array(uuids.into_iter().map(Value::String).collect())),
        ])
    })
    .collect();
    object(vec![
        (
            "domain",
            object(vec![
                ("chainId", dec(CHAIN_ID)),
                ("name", Value::String(attestation::DOMAIN_NAME.to_owned())),
                ("verifyingContract", Value::String(ESCROW.to_checksum(None))),
                ("version", Value::String(attestation::DOMAIN_VERSION.to_owned())),
            ]),
        ),
        ("domainSeparator", hex(domain.separator())),
        ("gpuModelHashes", Value::Array(models)),
        ("gpuUuidsHashes", Value::Array(uuid_sets)),
        ("typeHash", hex(UsageAttestation::type_hash())),
        ("typeString", Value::String(UsageAttestation::type_string())),
        ("vectors", Value::Array(vectors)),
    ])
}

/// The file's text: pretty JSON with a final newline.
pub(crate) fn render() -> String {
    let mut text = serde_json::to_string_pretty(&generate()).expect("JSON values always serialize");
    text.push('\n');
    text
}
