//! Loading the key that signs (the oracle's attester, the keeper's and the CLI's transaction
//! signers): an encrypted JSON keystore (EIP-2335-style scrypt/pbkdf2, as `cast wallet` and
//! geth write them) with its password, or a raw hex key for local development. Where the
//! password comes from (a file, the environment, a prompt) is each program's configuration.

use std::path::{Path, PathBuf};

use alloy::signers::local::PrivateKeySigner;

use crate::error::KeyError;

/// Where a keystore's password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    /// A file holding it (a trailing newline is not part of it).
    File(PathBuf),
    /// The password itself (from the environment or a prompt).
    Given(String),
}

impl Password {
    /// The password.
    pub fn read(&self) -> Result<String, KeyError> {
        match self {
            Self::File(path) => std::fs::read_to_string(path)
                .map(|text| text.trim_end_matches(['\r', '\n']).to_owned())
                .map_err(|source| KeyError::PasswordFile {
                    path: path.clone(),
                    source,
                }),
            Self::Given(password) => Ok(password.clone()),
        }
    }
}

/// Decrypts the keystore at `path` with `password`.
pub fn decrypt_keystore(path: &Path, password: &Password) -> Result<PrivateKeySigner, KeyError> {
    let password = password.read()?;
    PrivateKeySigner::decrypt_keystore(path, password).map_err(|e| KeyError::Keystore {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// A raw hex private key given with `flag` (development only).
pub fn parse_private_key(raw: &str, flag: &'static str) -> Result<PrivateKeySigner, KeyError> {
    raw.trim().parse().map_err(|_| KeyError::BadPrivateKey { flag })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_keystore_decrypts_with_its_password_from_a_file_or_given_and_a_wrong_one_is_explained() {
        let dir = std::env::temp_dir().join(format!("gpu-escrow-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (signer, _) =
            PrivateKeySigner::new_keystore(&dir, &mut rand::thread_rng(), "correct horse", Some("key.json")).unwrap();
        let path = dir.join("key.json");
        std::fs::write(dir.join("pw"), "correct horse\n").unwrap();
        let from_file = decrypt_keystore(&path, &Password::File(dir.join("pw"))).unwrap();
        assert_eq!(from_file.address(), signer.address());
        let given = decrypt_keystore(&path, &Password::Given("correct horse".into())).unwrap();
        assert_eq!(given.address(), signer.address());
        let err = decrypt_keystore(&path, &Password::Given("wrong".into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot decrypt keystore") && err.contains("wrong password"),
            "{err}"
        );
        let err = decrypt_keystore(&path, &Password::File(dir.join("none")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read password file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_raw_key_must_be_32_bytes_of_hex() {
        let key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        assert!(parse_private_key(key, "--private-key").is_ok());
        let err = parse_private_key("0x1234", "--private-key").unwrap_err().to_string();
        assert!(err.contains("--private-key"), "{err}");
    }
}
