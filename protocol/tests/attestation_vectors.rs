//! The committed `test/vectors/attestations.json` is what the generator produces, and every
//! digest, signature and signer in it checks out when recomputed from the file's own fields.
//! The forge tests read the same file, so Rust and Solidity cannot disagree on a digest.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

#[path = "common/vectors.rs"]
mod vectors;

use alloy::primitives::{Address, Signature, B256};
use protocol::{attestation, gpu_model_hash, gpu_uuids_hash, SignedAttestation, UsageAttestation};
use serde_json::Value;

fn committed() -> (String, Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(vectors::VECTORS_FILE);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; run `cargo run -p gpu-escrow-protocol --example gen_vectors`",
            path.display()
        )
    });
    let json = serde_json::from_str(&text).expect("vectors file is valid JSON");
    (text, json)
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` must be a string in {v}"))
}

fn b256_at(v: &Value, key: &str) -> B256 {
    str_at(v, key)
        .parse()
        .unwrap_or_else(|e| panic!("`{key}` is not a bytes32: {e}"))
}

fn u64_at(v: &Value, key: &str) -> u64 {
    str_at(v, key)
        .parse()
        .unwrap_or_else(|e| panic!("`{key}` is not a decimal u64 string: {e}"))
}

fn attestation_from(v: &Value) -> UsageAttestation {
    UsageAttestation {
        rentalId: b256_at(v, "rentalId"),
        seq: u64_at(v, "seq"),
        periodEnd: u64_at(v, "periodEnd"),
        uptimeSeconds: u64_at(v, "uptimeSeconds"),
        gpuModelHash: b256_at(v, "gpuModelHash"),
        gpuUuidsHash: b256_at(v, "gpuUuidsHash"),
        energyJoules: u64_at(v, "energyJoules"),
        avgUtilBps: str_at(v, "avgUtilBps")
            .parse()
            .expect("avgUtilBps is a decimal u16 string"),
    }
}

#[test]
fn committed_file_is_exactly_what_the_generator_writes() {
    let (text, _) = committed();
    assert!(
        text == vectors::render(),
        "test/vectors/attestations.json drifted from the generator; \
         run `cargo run -p gpu-escrow-protocol --example gen_vectors` and review the diff"
    );
}

#[test]
fn domain_and_type_hash_match_the_file() {
    let (_, json) = committed();
    let d = &json["domain"];
    let domain = attestation::domain(u64_at(d, "chainId"), str_at(d, "verifyingContract").parse().unwrap());
    assert_eq!(str_at(d, "name"), attestation::DOMAIN_NAME);
    assert_eq!(str_at(d, "version"), attestation::DOMAIN_VERSION);
    assert_eq!(domain.separator(), b256_at(&json, "domainSeparator"));
    assert_eq!(UsageAttestation::type_hash(), b256_at(&json, "typeHash"));
    assert_eq!(
        alloy::primitives::keccak256(str_at(&json, "typeString")),
        b256_at(&json, "typeHash"),
        "typeHash must be keccak256(typeString)"
    );
}

#[test]
fn every_vector_digest_signature_and_signer_checks_out() {
    let (_, json) = committed();
    let d = &json["domain"];
    let domain = attestation::domain(u64_at(d, "chainId"), str_at(d, "verifyingContract").parse().unwrap());
    let list = json["vectors"].as_array().expect("`vectors` is an array");
    assert!(list.len() >= 4, "at least 4 vectors");
    for v in list {
        let name = str_at(v, "name");
        let a = attestation_from(&v["attestation"]);
        assert_eq!(a.struct_hash(), b256_at(v, "structHash"), "{name}: structHash");
        assert_eq!(a.digest(&domain), b256_at(v, "digest"), "{name}: digest");

        let signer: Address = str_at(v, "signer").parse().unwrap();
        let sig65: alloy::primitives::Bytes = str_at(v, "signature").parse().unwrap();
        let sig64: alloy::primitives::Bytes = str_at(v, "compactSignature").parse().unwrap();
        assert_eq!((sig65.len(), sig64.len()), (65, 64), "{name}: signature lengths");
        assert!(matches!(sig65[64], 27 | 28), "{name}: v must be 27 or 28");

        let full = Signature::from_raw(&sig65).unwrap();
        let compact = Signature::from_erc2098(&sig64);
        assert_eq!(full, compact, "{name}: compact and full signatures differ");
        for signature in [full, compact] {
            let signed = SignedAttestation {
                attestation: a.clone(),
                signature,
                signer,
            };
            signed.verify(&domain, signer).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn gpu_hash_examples_follow_the_documented_rules() {
    let (_, json) = committed();
    for m in json["gpuModelHashes"].as_array().unwrap() {
        assert_eq!(gpu_model_hash(str_at(m, "name")), b256_at(m, "hash"));
    }
    for set in json["gpuUuidsHashes"].as_array().unwrap() {
        let mut uuids: Vec<String> = set["uuids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(gpu_uuids_hash(&uuids), b256_at(set, "hash"));
        uuids.reverse();
        assert_eq!(gpu_uuids_hash(&uuids), b256_at(set, "hash"), "order must not matter");
    }
}
