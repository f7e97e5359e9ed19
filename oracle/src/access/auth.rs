//! Who may read a rental's connection details: its renter, proven by an EIP-191 `personal_sign`
//! over [`access_message`] with a fresh timestamp, each signed request accepted once.
//!
//! The request carries `X-Access-Timestamp: <unix seconds>` and `X-Access-Signature: 0x<r||s||v>`
//! (65 bytes). The timestamp must be within [`MAX_SKEW_SECS`] of the oracle's clock; a request is
//! remembered (rental, timestamp, signer) for as long as its timestamp is acceptable, so replaying
//! it, or a malleated copy of its signature, is refused.

use std::collections::HashSet;

use alloy::primitives::{Address, Signature, B256};
use protocol::oracle_api::access_message;

/// How far the request's timestamp may be from the oracle's clock, seconds.
pub const MAX_SKEW_SECS: u64 = 60;
/// Most signed requests remembered at once (all within the last two minutes): beyond it new
/// requests are refused until old ones expire, so memory stays bounded.
pub const MAX_REMEMBERED: usize = 10_000;

/// Why an access request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A header is absent.
    #[error(
        "missing {0} header: send X-Access-Timestamp (unix seconds) and X-Access-Signature (the renter's personal_sign over the access request message)"
    )]
    Missing(&'static str),
    /// A header does not parse.
    #[error("malformed {header} header: {reason}")]
    Malformed {
        /// The header.
        header: &'static str,
        /// Why.
        reason: String,
    },
    /// The timestamp is too far from the oracle's clock.
    #[error(
        "timestamp {timestamp} is {skew} s away from the oracle's clock ({now}); sign a fresh request (accepted within {MAX_SKEW_SECS} s)"
    )]
    Stale {
        /// The request's timestamp.
        timestamp: u64,
        /// The oracle's time.
        now: u64,
        /// The difference.
        skew: u64,
    },
    /// No address recovers from the signature.
    #[error("the signature does not recover to an address ({0})")]
    BadSignature(String),
    /// Signed by someone else than the renter.
    #[error(
        "the request is signed by {signer}, not by the rental's renter: only the renter gets the connection details"
    )]
    NotRenter {
        /// Who signed.
        signer: Address,
    },
    /// The same signed request came before.
    #[error("this signed request was already used: sign a fresh one")]
    Replayed,
    /// Too many requests are remembered.
    #[error("too many access requests in the last {MAX_SKEW_SECS} s: retry in a minute")]
    Busy,
}

impl AuthError {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotRenter { .. } => 403,
            Self::Busy => 429,
            _ => 401,
        }
    }
}

/// The parsed headers of an access request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedRequest {
    /// The signed timestamp.
    pub timestamp: u64,
    /// The signature.
    pub signature: Signature,
}

/// Parses the two headers.
pub fn parse_headers(timestamp: Option<&str>, signature: Option<&str>) -> Result<SignedRequest, AuthError> {
    let timestamp = timestamp.ok_or(AuthError::Missing("X-Access-Timestamp"))?.trim();
    let signature = signature.ok_or(AuthError::Missing("X-Access-Signature"))?.trim();
    let timestamp = timestamp.parse::<u64>().map_err(|_| AuthError::Malformed {
        header: "X-Access-Timestamp",
        reason: format!("{timestamp:?} is not a unix time in seconds"),
    })?;
    let malformed = |reason: String| AuthError::Malformed {
        header: "X-Access-Signature",
        reason,
    };
    let hex = signature
        .strip_prefix("0x")
        .ok_or_else(|| malformed("expected 0x followed by 130 hex digits (r || s || v)".into()))?;
    let bytes = alloy::hex::decode(hex).map_err(|e| malformed(format!("not hex: {e}")))?;
    if bytes.len() != 65 {
        return Err(malformed(format!("{} bytes, expected 65 (r || s || v)", bytes.len())));
    }
    let signature = Signature::from_raw(&bytes).map_err(|e| malformed(e.to_string()))?;
    Ok(SignedRequest { timestamp, signature })
}

/// Refuses a timestamp more than [`MAX_SKEW_SECS`] from `now`.
pub fn check_fresh(timestamp: u64, now: u64) -> Result<(), AuthError> {
    let skew = timestamp.abs_diff(now);
    if skew > MAX_SKEW_SECS {
        return Err(AuthError::Stale { timestamp, now, skew });
    }
    Ok(())
}

/// The address that signed `request` for `rental` on this chain and escrow.
pub fn recover_signer(
    request: &SignedRequest,
    chain_id: u64,
    escrow: Address,
    rental: B256,
) -> Result<Address, AuthError> {
    let text = access_message(chain_id, escrow, rental, request.timestamp);
    request
        .signature
        .recover_address_from_msg(text.as_bytes())
        .map_err(|e| AuthError::BadSignature(e.to_string()))
}

/// The signed requests already served, forgotten once their timestamp is no longer acceptable.
#[derive(Debug, Default)]
pub struct ReplayCache {
    seen: HashSet<(B256, u64, Address)>,
}

impl ReplayCache {
    /// Accepts the request `(rental, timestamp, signer)` once; refuses it afterwards.
    pub fn admit(&mut self, rental: B256, timestamp: u64, signer: Address, now: u64) -> Result<(), AuthError> {
        self.seen.retain(|(_, ts, _)| ts.saturating_add(MAX_SKEW_SECS) >= now);
        if self.seen.contains(&(rental, timestamp, signer)) {
            return Err(AuthError::Replayed);
        }
        if self.seen.len() >= MAX_REMEMBERED {
            return Err(AuthError::Busy);
        }
        self.seen.insert((rental, timestamp, signer));
        Ok(())
    }

    /// How many requests are remembered.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alloy::{primitives::address, signers::SignerSync};

    use super::*;

    #[test]
    fn the_message_is_the_documented_text() {
        let escrow = address!("610178dA211FEF7D417bC0e6FeD39F05609AD788");
        let rental = B256::repeat_byte(0xab);
        assert_eq!(
            access_message(31_337, escrow, rental, 1_700_000_000),
            format!(
                "gpu-escrow access request\nchain: 31337\nescrow: 0x610178da211fef7d417bc0e6fed39f05609ad788\nrental: 0x{}\ntimestamp: 1700000000",
                "ab".repeat(32)
            )
        );
    }

    #[test]
    fn a_personal_sign_by_the_renter_recovers_to_the_renter() {
        let renter = alloy::signers::local::PrivateKeySigner::random();
        let (escrow, rental) = (Address::repeat_byte(1), B256::repeat_byte(2));
        let sig = renter
            .sign_message_sync(access_message(1, escrow, rental, 100).as_bytes())
            .unwrap();
        let header = format!("0x{}", alloy::hex::encode(sig.as_bytes()));
        let request = parse_headers(Some("100"), Some(&header)).unwrap();
        assert_eq!(recover_signer(&request, 1, escrow, rental).unwrap(), renter.address());
        // Any other chain, escrow, rental or timestamp recovers someone else.
        assert_ne!(recover_signer(&request, 2, escrow, rental).unwrap(), renter.address());
        assert_ne!(
            recover_signer(&request, 1, escrow, B256::repeat_byte(3)).unwrap(),
            renter.address()
        );
        let later = parse_headers(Some("101"), Some(&header)).unwrap();
        assert_ne!(recover_signer(&later, 1, escrow, rental).unwrap(), renter.address());
    }

    #[test]
    fn a_signature_made_with_cast_wallet_sign_is_accepted() {
        // `cast wallet sign --private-key <anvil key 0> "$MSG"` with MSG built by printf as in the
        // README's example.
        let sig = "0xb33acbfe5a2a2fef8802da9e6f91c6158edfd11105dd17e932d44d46b5820ce627bbdf9d88d6e8d2e86620b0819fa5ad39b7d4138192611fa7a4aa193020e70b1c";
        let request = parse_headers(Some("1700000000"), Some(sig)).unwrap();
        let escrow = address!("610178dA211FEF7D417bC0e6FeD39F05609AD788");
        assert_eq!(
            recover_signer(&request, 31_337, escrow, B256::repeat_byte(0xab)).unwrap(),
            address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
    }

    #[test]
    fn malformed_headers_are_named() {
        let sig = format!("0x{}", "11".repeat(64) + "1b");
        let cases = [
            (None, Some(sig.as_str()), "missing X-Access-Timestamp"),
            (Some("1"), None, "missing X-Access-Signature"),
            (Some("soon"), Some(sig.as_str()), "not a unix time"),
            (Some("1"), Some("11"), "expected 0x"),
            (Some("1"), Some("0xzz"), "not hex"),
            (Some("1"), Some("0x1234"), "2 bytes, expected 65"),
        ];
        for (ts, s, why) in cases {
            let err = parse_headers(ts, s).unwrap_err();
            assert_eq!(err.status(), 401);
            assert!(err.to_string().contains(why), "{err}");
        }
        let bad_v = format!("0x{}", "11".repeat(64) + "05");
        assert!(parse_headers(Some("1"), Some(&bad_v)).is_err());
    }

    #[test]
    fn timestamps_are_accepted_within_a_minute_either_way() {
        assert!(check_fresh(1_000, 1_060).is_ok());
        assert!(check_fresh(1_060, 1_000).is_ok());
        let err = check_fresh(1_000, 1_061).unwrap_err();
        assert!(err.to_string().contains("61 s away"), "{err}");
        assert!(check_fresh(1_061, 1_000).is_err());
    }

    #[test]
    fn a_request_is_served_once_and_forgotten_when_it_expires() {
        let mut cache = ReplayCache::default();
        let (r, a) = (B256::repeat_byte(1), Address::repeat_byte(2));
        cache.admit(r, 1_000, a, 1_000).unwrap();
        assert_eq!(cache.admit(r, 1_000, a, 1_030), Err(AuthError::Replayed));
        cache.admit(r, 1_001, a, 1_030).unwrap();
        cache.admit(B256::repeat_byte(9), 1_000, a, 1_030).unwrap();
        assert_eq!(cache.len(), 3);
        // Past the window nobody could present them any more: forgotten.
        cache.admit(r, 1_100, a, 1_100).unwrap();
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn memory_is_bounded() {
        let mut cache = ReplayCache::default();
        let a = Address::repeat_byte(2);
        for i in 0..MAX_REMEMBERED as u64 {
            cache
                .admit(B256::from(alloy::primitives::U256::from(i)), 1_000, a, 1_000)
                .unwrap();
        }
        assert_eq!(
            cache.admit(B256::repeat_byte(0xff), 1_000, a, 1_000),
            Err(AuthError::Busy)
        );
        cache.admit(B256::repeat_byte(0xff), 1_100, a, 1_100).unwrap();
    }
}
