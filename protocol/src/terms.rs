//! The immutable terms of a rental and the rental id derived from them.
//!
//! The escrow never stores the terms: `rentalId = keccak256(abi.encode(terms))`, the terms are
//! emitted in full by `RentalOpened` and every call on a rental passes them back in calldata.

use alloy::{
    primitives::{keccak256, B256},
    sol_types::SolValue,
};

/// The rental terms as generated from the escrow's ABI: field for field the Solidity
/// `RentalTerms` struct (`contracts/types/DataTypes.sol`), so its ABI encoding is byte-identical.
pub use crate::bindings::GpuEscrow::RentalTerms;

/// The rental id: `keccak256(abi.encode(terms))`. `RentalTerms` is a static struct, so its
/// encoding is its eleven fields as 32-byte words, concatenated.
pub fn rental_id(terms: &RentalTerms) -> B256 {
    keccak256(terms.abi_encode())
}

/// Rebuilds a rental's terms from its `RentalOpened` event (the event carries every field, in order).
pub fn terms_from_opened(opened: &crate::bindings::GpuEscrow::RentalOpened) -> RentalTerms {
    RentalTerms {
        renter: opened.renter,
        offerId: opened.offerId,
        token: opened.token,
        pricePerHour: opened.pricePerHour,
        attester: opened.attester,
        startedAt: opened.startedAt,
        feeBps: opened.feeBps,
        slaBps: opened.slaBps,
        challengeWindow: opened.challengeWindow,
        gracePeriod: opened.gracePeriod,
        salt: opened.salt,
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{address, aliases::U96, b256, U256},
        sol_types::SolType,
    };

    use super::*;

    fn sample() -> RentalTerms {
        RentalTerms {
            renter: address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
            offerId: 7,
            token: address!("5FbDB2315678afecb367f032d93F642f64180aa3"),
            pricePerHour: U96::from(2_000_000u64),
            feeBps: 250,
            slaBps: 9_900,
            challengeWindow: 3_600,
            gracePeriod: 86_400,
            salt: b256!("0000000000000000000000000000000000000000000000000000000000000001"),
            ..Default::default()
        }
    }

    #[test]
    fn static_struct_encodes_as_its_fields_concatenated() {
        let encoded = sample().abi_encode();
        // No head/tail offsets: one 32-byte word per field, in declaration order.
        assert_eq!(Some(encoded.len()), <RentalTerms as SolType>::ENCODED_SIZE);
        assert_eq!(&encoded[12..32], sample().renter.as_slice());
        assert_eq!(U256::from_be_slice(&encoded[32..64]), U256::from(7));
        assert_eq!(&encoded[encoded.len() - 32..], sample().salt.as_slice());
        assert_eq!(rental_id(&sample()), keccak256(&encoded));
    }

    #[test]
    fn any_field_changes_the_id() {
        let mut other = sample();
        other.salt = B256::with_last_byte(2);
        assert_ne!(rental_id(&sample()), rental_id(&other));
    }
}
