//! EIP-712 usage attestations signed by a provider's attester key (SPEC 4.3).
//!
//! The oracle signs a [`UsageAttestation`] under the escrow's [`domain`]; the keeper and the
//! renter verify it off-chain with [`SignedAttestation::verify`]; the escrow rebuilds the same
//! digest from the rental's terms plus the compact [`Usage`] submitted in calldata
//! ([`SignedAttestation::onchain_usage`]). The JSON vectors under `test/vectors/` pin the digest
//! for both Rust and Solidity.

use alloy::{
    primitives::{keccak256, Address, Signature, B256, U256},
    signers::{Signer, SignerSync},
    sol,
    sol_types::{eip712_domain, Eip712Domain, SolStruct, SolValue},
};
use serde::{Deserialize, Serialize};

/// The compact form of an attestation the escrow takes in calldata (generated from its ABI):
/// `rentalId` is not repeated, the contract derives it from the rental's terms when it rebuilds the
/// digest.
pub use crate::bindings::GpuEscrow::Usage;
use crate::{
    error::AttestationError,
    terms::{rental_id, RentalTerms},
};

/// EIP-712 domain name of the escrow.
pub const DOMAIN_NAME: &str = "GpuEscrow";
/// EIP-712 domain version of the escrow.
pub const DOMAIN_VERSION: &str = "1";

sol! {
    /// Cumulative usage of one rental since its start, as measured by the provider's oracle.
    ///
    /// Rules the escrow enforces: `seq` strictly increasing per rental, `uptimeSeconds` never
    /// decreasing and never above the wall-clock seconds elapsed at `periodEnd`.
    #[derive(Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
    struct UsageAttestation {
        /// `keccak256(abi.encode(terms))` of the rental (see [`crate::terms::rental_id`]).
        bytes32 rentalId;
        /// Sequence number, strictly increasing per rental, starting at 1.
        uint64 seq;
        /// Unix time (seconds) up to which the usage is measured.
        uint64 periodEnd;
        /// Seconds since the rental start during which every assigned GPU was up and healthy.
        uint64 uptimeSeconds;
        /// [`gpu_model_hash`] of the NVML device name of the GPUs measured. One that differs from the
        /// offer's model hash is evidence for the dispute module's `proveWrongGpu`.
        bytes32 gpuModelHash;
        /// [`gpu_uuids_hash`] of the assigned GPUs' UUIDs.
        bytes32 gpuUuidsHash;
        /// Energy used by the assigned GPUs since the rental start, in joules.
        uint64 energyJoules;
        /// Average GPU utilisation since the rental start, in basis points (10000 = 100 %).
        uint16 avgUtilBps;
    }
}

/// The escrow's EIP-712 domain: name "GpuEscrow", version "1", the chain id and the escrow's
/// address as verifying contract.
pub fn domain(chain_id: u64, escrow: Address) -> Eip712Domain {
    eip712_domain! {
        name: DOMAIN_NAME,
        version: DOMAIN_VERSION,
        chain_id: chain_id,
        verifying_contract: escrow,
    }
}

/// `keccak256` of the GPU model name exactly as NVML reports it (`nvmlDeviceGetName`), e.g.
/// `"NVIDIA H100 80GB HBM3"`. No trimming or case folding: the bytes are hashed as they are.
pub fn gpu_model_hash(name: &str) -> B256 {
    keccak256(name.as_bytes())
}

/// Hash of the set of GPUs assigned to a rental.
///
/// Rule (the oracle signs exactly this, and anyone can recompute it from the UUIDs it serves):
/// take the UUID strings exactly as NVML reports them (`nvmlDeviceGetUUID`, e.g.
/// `"GPU-5d8c9a2e-…"`), sort them ascending by their UTF-8 bytes (duplicates are kept), and hash
/// the Solidity encoding `keccak256(abi.encode(string[] sortedUuids))`. Sorting makes the hash
/// independent of the order in which the GPUs were enumerated.
pub fn gpu_uuids_hash(uuids: &[String]) -> B256 {
    let mut sorted = uuids.to_vec();
    sorted.sort_unstable();
    keccak256(sorted.abi_encode())
}

impl UsageAttestation {
    /// The EIP-712 digest to sign: `keccak256("\x19\x01" ‖ domainSeparator ‖ structHash)`.
    pub fn digest(&self, domain: &Eip712Domain) -> B256 {
        self.eip712_signing_hash(domain)
    }

    /// The EIP-712 struct hash: `keccak256(typeHash ‖ encodeData)`.
    pub fn struct_hash(&self) -> B256 {
        self.eip712_hash_struct()
    }

    /// `keccak256` of the EIP-712 type string, see [`UsageAttestation::type_string`].
    pub fn type_hash() -> B256 {
        keccak256(Self::type_string().as_bytes())
    }

    /// The EIP-712 type string, `UsageAttestation(bytes32 rentalId,uint64 seq,…)`.
    pub fn type_string() -> String {
        <Self as SolStruct>::eip712_encode_type().into_owned()
    }

    /// The compact form the escrow takes in calldata.
    pub fn usage(&self) -> Usage {
        Usage {
            seq: self.seq,
            periodEnd: self.periodEnd,
            uptimeSeconds: self.uptimeSeconds,
            gpuModelHash: self.gpuModelHash,
            gpuUuidsHash: self.gpuUuidsHash,
            energyJoules: self.energyJoules,
            avgUtilBps: self.avgUtilBps,
        }
    }

    /// Rebuilds the full attestation from a rental's terms and the compact usage submitted on-chain,
    /// exactly as the escrow does before it checks the signature.
    pub fn from_usage(terms: &RentalTerms, usage: &Usage) -> Self {
        Self {
            rentalId: rental_id(terms),
            seq: usage.seq,
            periodEnd: usage.periodEnd,
            uptimeSeconds: usage.uptimeSeconds,
            gpuModelHash: usage.gpuModelHash,
            gpuUuidsHash: usage.gpuUuidsHash,
            energyJoules: usage.energyJoules,
            avgUtilBps: usage.avgUtilBps,
        }
    }

    /// Whether `self` and `other` contradict each other as the dispute module's
    /// `proveEquivocation` defines it: attestations of the same rental with the same seq but
    /// different content, or where the higher seq reports less uptime. An honest oracle never
    /// signs such a pair; two signed by a rental's attester get its provider's bond slashed.
    pub fn contradicts(&self, other: &Self) -> bool {
        if self.rentalId != other.rentalId {
            return false;
        }
        match self.seq.cmp(&other.seq) {
            std::cmp::Ordering::Equal => self != other,
            std::cmp::Ordering::Less => other.uptimeSeconds < self.uptimeSeconds,
            std::cmp::Ordering::Greater => self.uptimeSeconds < other.uptimeSeconds,
        }
    }

    /// Signs the attestation under `domain` with a synchronous signer (a local or keystore key).
    pub fn sign<S>(self, signer: &S, domain: &Eip712Domain) -> Result<SignedAttestation, AttestationError>
    where
        S: SignerSync + Signer,
    {
        let digest = self.digest(domain);
        let signature = signer.sign_hash_sync(&digest)?;
        Ok(SignedAttestation {
            attestation: self,
            signature,
            signer: Signer::address(signer),
        })
    }

    /// Signs the attestation under `domain` with any signer, e.g. a remote or hardware one.
    pub async fn sign_async<S>(self, signer: &S, domain: &Eip712Domain) -> Result<SignedAttestation, AttestationError>
    where
        S: Signer + ?Sized,
    {
        let digest = self.digest(domain);
        let signature = signer.sign_hash(&digest).await?;
        Ok(SignedAttestation {
            attestation: self,
            signature,
            signer: signer.address(),
        })
    }
}

/// An attestation with its signature and the address that signed it, as the oracle serves it
/// over HTTP and the keeper stores it.
///
/// JSON shape (camelCase; `u64`/`u16` as JSON numbers, hashes and addresses as `0x` hex, the
/// signature as 65 bytes `r ‖ s ‖ v` hex with `v` ∈ {27, 28}):
///
/// ```json
/// {"attestation":{"rentalId":"0x…","seq":3,"periodEnd":1750000000,"uptimeSeconds":3600,
///   "gpuModelHash":"0x…","gpuUuidsHash":"0x…","energyJoules":1200000,"avgUtilBps":9300},
///  "signature":"0x…","signer":"0x…"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedAttestation {
    /// What was signed.
    pub attestation: UsageAttestation,
    /// The ECDSA signature over [`UsageAttestation::digest`].
    #[serde(with = "signature_hex")]
    pub signature: Signature,
    /// The attester address that signed (recoverable from the signature; kept for clarity).
    pub signer: Address,
}

impl SignedAttestation {
    /// Checks that the signature is a valid, non-malleable signature of the attestation under
    /// `domain`, made by the claimed signer, and that this signer is `expected_signer` (the
    /// attester the provider registered).
    pub fn verify(&self, domain: &Eip712Domain, expected_signer: Address) -> Result<(), AttestationError> {
        let recovered = self.recover(domain)?;
        if recovered != self.signer {
            return Err(AttestationError::SignerMismatch {
                claimed: self.signer,
                recovered,
            });
        }
        if recovered != expected_signer {
            return Err(AttestationError::UnexpectedSigner {
                expected: expected_signer,
                actual: recovered,
            });
        }
        Ok(())
    }

    /// Recovers the address that signed, refusing high-`s` signatures as the escrow does.
    pub fn recover(&self, domain: &Eip712Domain) -> Result<Address, AttestationError> {
        if self.signature.s() > SECP256K1_HALF_ORDER {
            return Err(AttestationError::MalleableSignature);
        }
        Ok(self
            .signature
            .recover_address_from_prehash(&self.attestation.digest(domain))?)
    }

    /// The 65-byte signature `r ‖ s ‖ v` with `v` ∈ {27, 28}.
    pub fn signature_65(&self) -> [u8; 65] {
        self.signature.as_bytes()
    }

    /// The 64-byte EIP-2098 compact signature `r ‖ vs`, where `vs` is `s` with the y-parity in
    /// its top bit. The escrow accepts both forms; the compact one is cheaper in calldata.
    pub fn signature_2098(&self) -> [u8; 64] {
        self.signature.as_erc2098()
    }

    /// The arguments the escrow's settle / checkpoint functions take: the compact usage and the
    /// EIP-2098 signature.
    pub fn onchain_usage(&self) -> (Usage, alloy::primitives::Bytes) {
        (self.attestation.usage(), self.signature_2098().to_vec().into())
    }
}

/// `n / 2` for the secp256k1 group order `n`: the largest `s` OpenZeppelin's `ECDSA` accepts.
const SECP256K1_HALF_ORDER: U256 =
    alloy::primitives::uint!(0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0_U256);

/// Serde for a [`Signature`] as a `0x`-prefixed 65-byte hex string `r ‖ s ‖ v`.
mod signature_hex {
    use alloy::primitives::{Bytes, Signature};
    use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer>(signature: &Signature, serializer: S) -> Result<S::Ok, S::Error> {
        Bytes::from(signature.as_bytes().to_vec()).serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Signature, D::Error> {
        let bytes = Bytes::deserialize(deserializer)?;
        match bytes.len() {
            65 => Signature::from_raw(&bytes).map_err(D::Error::custom),
            64 => Ok(Signature::from_erc2098(&bytes)),
            n => Err(D::Error::custom(format!("signature must be 65 or 64 bytes, got {n}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy::signers::local::PrivateKeySigner;

    use super::*;

    /// Anvil's well-known account 0 key.
    const ANVIL_KEY_0: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    const ANVIL_KEY_1: &str = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

    fn escrow_domain() -> Eip712Domain {
        domain(
            31_337,
            alloy::primitives::address!("5FbDB2315678afecb367f032d93F642f64180aa3"),
        )
    }

    fn sample() -> UsageAttestation {
        UsageAttestation {
            rentalId: keccak256(b"rental"),
            seq: 3,
            periodEnd: 1_750_000_000,
            uptimeSeconds: 3_600,
            gpuModelHash: gpu_model_hash("NVIDIA H100 80GB HBM3"),
            gpuUuidsHash: gpu_uuids_hash(&["GPU-b".to_owned(), "GPU-a".to_owned()]),
            energyJoules: 2_520_000,
            avgUtilBps: 9_300,
        }
    }

    #[test]
    fn type_string_matches_spec() {
        assert_eq!(
            UsageAttestation::type_string(),
            "UsageAttestation(bytes32 rentalId,uint64 seq,uint64 periodEnd,uint64 uptimeSeconds,\
             bytes32 gpuModelHash,bytes32 gpuUuidsHash,uint64 energyJoules,uint16 avgUtilBps)"
        );
    }

    #[test]
    fn domain_has_name_version_chain_and_contract() {
        let d = escrow_domain();
        assert_eq!(d.name.as_deref(), Some("GpuEscrow"));
        assert_eq!(d.version.as_deref(), Some("1"));
        assert_eq!(d.chain_id, Some(U256::from(31_337)));
        assert!(d.salt.is_none());
    }

    #[test]
    fn signed_attestation_verifies_against_its_signer() {
        let key: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
        let signed = sample().sign(&key, &escrow_domain()).unwrap();
        assert_eq!(signed.signer, key.address());
        signed.verify(&escrow_domain(), key.address()).unwrap();
    }

    #[test]
    fn verify_rejects_another_expected_attester() {
        let key: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
        let other: PrivateKeySigner = ANVIL_KEY_1.parse().unwrap();
        let signed = sample().sign(&key, &escrow_domain()).unwrap();
        let err = signed.verify(&escrow_domain(), other.address()).unwrap_err();
        assert!(matches!(err, AttestationError::UnexpectedSigner { .. }), "{err}");
    }

    #[test]
    fn verify_rejects_a_tampered_field() {
        let key: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
        let mut signed = sample().sign(&key, &escrow_domain()).unwrap();
        signed.attestation.uptimeSeconds += 1;
        let err = signed.verify(&escrow_domain(), key.address()).unwrap_err();
        assert!(matches!(err, AttestationError::SignerMismatch { .. }), "{err}");
    }

    #[test]
    fn verify_rejects_another_domain() {
        let key: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
        let signed = sample().sign(&key, &escrow_domain()).unwrap();
        let other_chain = domain(1, escrow_domain().verifying_contract.unwrap());
        assert!(signed.verify(&other_chain, key.address()).is_err());
    }

    #[test]
    fn verify_rejects_high_s_signature() {
        let key: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
        let mut signed = sample().sign(&key, &escrow_domain()).unwrap();
        let n = SECP256K1_HALF_ORDER * U256::from(2) + U256::from(1);
        let sig = signed.signature;
        signed.signature = Signature::new(sig.r(), n - sig.s(), !sig.v());
        let err = signed.verify(&escrow_domain(), key.address()).unwrap_err();
        assert!(matches!(err, AttestationError::MalleableSignature), "{err}");
    }

    #[test]
    fn compact_usage_and_terms_rebuild_the_attestation() {
        let terms = RentalTerms {
            slaBps: 9_900,
            ..Default::default()
        };
        let attestation = UsageAttestation {
            rentalId: rental_id(&terms),
            ..sample()
        };
        assert_eq!(UsageAttestation::from_usage(&terms, &attestation.usage()), attestation);
    }

    #[test]
    fn contradictions_are_those_the_dispute_module_proves() {
        let a = sample();
        assert!(!a.contradicts(&a), "an attestation agrees with itself");
        let same_seq = UsageAttestation {
            energyJoules: a.energyJoules + 1,
            ..a.clone()
        };
        assert!(a.contradicts(&same_seq) && same_seq.contradicts(&a));
        let later_lower = UsageAttestation {
            seq: a.seq + 1,
            uptimeSeconds: a.uptimeSeconds - 1,
            ..a.clone()
        };
        assert!(a.contradicts(&later_lower) && later_lower.contradicts(&a));
        let later_equal = UsageAttestation {
            seq: a.seq + 1,
            periodEnd: a.periodEnd + 60,
            ..a.clone()
        };
        assert!(!a.contradicts(&later_equal) && !later_equal.contradicts(&a));
        let other_rental = UsageAttestation {
            rentalId: keccak256(b"other"),
            ..same_seq
        };
        assert!(
            !a.contradicts(&other_rental),
            "only attestations of one rental can contradict"
        );
    }

    #[test]
    fn compact_signature_round_trips() {
        let key: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
        let signed = sample().sign(&key, &escrow_domain()).unwrap();
        let compact = signed.signature_2098();
        assert_eq!(compact[..32], signed.signature_65()[..32]);
        assert_eq!(Signature::from_erc2098(&compact), signed.signature);
    }

    #[test]
    fn json_uses_camel_case_numbers_and_hex() {
        let key: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
        let signed = sample().sign(&key, &escrow_domain()).unwrap();
        let json = serde_json::to_value(&signed).unwrap();
        assert_eq!(json["attestation"]["seq"], serde_json::json!(3));
        assert_eq!(json["attestation"]["avgUtilBps"], serde_json::json!(9_300));
        assert_eq!(json["signature"].as_str().unwrap().len(), 2 + 130);
        assert_eq!(
            json["signer"].as_str().unwrap().to_lowercase(),
            format!("{:#x}", key.address())
        );
        let back: SignedAttestation = serde_json::from_value(json).unwrap();
        assert_eq!(back, signed);
    }

    #[test]
    fn json_accepts_a_compact_signature() {
        let key: PrivateKeySigner = ANVIL_KEY_0.parse().unwrap();
        let signed = sample().sign(&key, &escrow_domain()).unwrap();
        let mut json = serde_json::to_value(&signed).unwrap();
        json["signature"] = serde_json::json!(alloy::hex::encode_prefixed(signed.signature_2098()));
        let back: SignedAttestation = serde_json::from_value(json).unwrap();
        assert_eq!(back.signature, signed.signature);
    }

    #[test]
    fn gpu_uuids_hash_ignores_enumeration_order() {
        let a = ["GPU-2".to_owned(), "GPU-1".to_owned(), "GPU-3".to_owned()];
        let b = ["GPU-1".to_owned(), "GPU-3".to_owned(), "GPU-2".to_owned()];
        assert_eq!(gpu_uuids_hash(&a), gpu_uuids_hash(&b));
        assert_ne!(gpu_uuids_hash(&a), gpu_uuids_hash(&a[..2]));
    }

    #[test]
    fn gpu_uuids_hash_is_keccak_of_solidity_abi_encode() {
        // `cast keccak $(cast abi-encode "f(string[])" '["GPU-a","GPU-b"]')`: abi.encode(string[])
        // starts with the 0x20 offset of the dynamic array, then its length.
        let encoded = vec!["GPU-a".to_owned(), "GPU-b".to_owned()].abi_encode();
        assert_eq!(U256::from_be_slice(&encoded[..32]), U256::from(0x20));
        assert_eq!(U256::from_be_slice(&encoded[32..64]), U256::from(2));
        assert_eq!(
            gpu_uuids_hash(&["GPU-b".to_owned(), "GPU-a".to_owned()]),
            keccak256(&encoded)
        );
    }

    #[test]
    fn gpu_model_hash_is_keccak_of_the_name_bytes() {
        assert_eq!(
            gpu_model_hash("NVIDIA H100 80GB HBM3"),
            keccak256("NVIDIA H100 80GB HBM3")
        );
    }
}
