//! The renter's access key: an SSH public key, carried on-chain in the SSH wire format (RFC 4253 section 6.6, the
//! base64-decoded middle field of an OpenSSH `.pub` line, without the comment). `open` takes those bytes and emits
//! them in `RentalOpened`; the provider's host turns them back into an `authorized_keys` line.

use ssh_key::PublicKey;

use crate::error::AccessKeyError;

/// The longest key the escrow accepts, in bytes (`MAX_ACCESS_KEY_LENGTH`).
pub const MAX_ACCESS_KEY_LENGTH: usize = 1024;

/// Wire-format bytes of an OpenSSH public key line (`ssh-ed25519 AAAA… comment`), as `open` takes them.
pub fn to_wire(openssh_line: &str) -> Result<Vec<u8>, AccessKeyError> {
    let key = PublicKey::from_openssh(openssh_line.trim()).map_err(|e| AccessKeyError::Parse(e.to_string()))?;
    let wire = key.to_bytes().map_err(|e| AccessKeyError::Parse(e.to_string()))?;
    check_length(wire.len())?;
    Ok(wire)
}

/// The OpenSSH line (`ssh-ed25519 AAAA… comment`) for wire-format bytes read from `RentalOpened`. Refuses bytes that
/// are not a well-formed SSH public key: a host must never write garbage into an `authorized_keys` file.
pub fn to_openssh(wire: &[u8], comment: &str) -> Result<String, AccessKeyError> {
    check_length(wire.len())?;
    let mut key = PublicKey::from_bytes(wire).map_err(|e| AccessKeyError::Parse(e.to_string()))?;
    if comment.contains(['\n', '\r']) {
        return Err(AccessKeyError::Parse("the comment must be one line".into()));
    }
    key.set_comment(comment);
    key.to_openssh().map_err(|e| AccessKeyError::Parse(e.to_string()))
}

fn check_length(len: usize) -> Result<(), AccessKeyError> {
    if len == 0 || len > MAX_ACCESS_KEY_LENGTH {
        return Err(AccessKeyError::Length {
            len,
            max: MAX_ACCESS_KEY_LENGTH,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const LINE: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK renter@example";
    /// The same key as `test/utils/AccessKeys.sol`.
    const WIRE: &str =
        "0000000b7373682d6564323535313900000020fc702e4bdaec8b81f9704fb7d22c6fa5c4a454a9ed24c9a20e488a0e5685e70a";

    #[test]
    fn openssh_line_to_wire_matches_the_solidity_fixture() {
        let wire = to_wire(LINE).unwrap();
        assert_eq!(alloy::hex::encode(&wire), WIRE);
        assert_eq!(wire.len(), 51);
    }

    #[test]
    fn wire_back_to_openssh_with_a_new_comment() {
        let wire = alloy::hex::decode(WIRE).unwrap();
        let line = to_openssh(&wire, "gpu-escrow-rental").unwrap();
        assert_eq!(
            line,
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPxwLkva7IuB+XBPt9Isb6XEpFSp7STJog5Iig5WhecK gpu-escrow-rental"
        );
    }

    #[test]
    fn garbage_and_bad_lengths_are_refused() {
        assert!(matches!(to_wire("not a key"), Err(AccessKeyError::Parse(_))));
        assert!(matches!(to_openssh(&[1, 2, 3], ""), Err(AccessKeyError::Parse(_))));
        assert!(matches!(
            to_openssh(&[], ""),
            Err(AccessKeyError::Length { len: 0, .. })
        ));
        assert!(matches!(
            to_openssh(&[0; 1025], ""),
            Err(AccessKeyError::Length { len: 1025, .. })
        ));
        let wire = alloy::hex::decode(WIRE).unwrap();
        assert!(to_openssh(&wire, "two\nlines").is_err());
    }
}
