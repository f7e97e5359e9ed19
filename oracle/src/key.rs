//! The attester key: from an encrypted JSON keystore, or a raw key only behind an explicit dev
//! flag.

use std::path::{Path, PathBuf};

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use protocol::keys::{self, Password};

use crate::error::KeyError;

/// Where the key comes from.
#[derive(Debug, Clone, Default)]
pub struct KeySource {
    /// Encrypted keystore file.
    pub keystore: Option<PathBuf>,
    /// File with the keystore password.
    pub password_file: Option<PathBuf>,
    /// The keystore password itself (from GPU_ORACLE_KEYSTORE_PASSWORD).
    pub password: Option<String>,
    /// A raw hex private key (development only).
    pub dev_private_key: Option<String>,
}

/// Loads the attester key.
pub fn load_signer(source: &KeySource) -> Result<PrivateKeySigner, KeyError> {
    if let Some(raw) = &source.dev_private_key {
        tracing::warn!(target: "oracle::key", "using a raw private key from --dev-private-key: development only");
        return Ok(keys::parse_private_key(raw, "--dev-private-key")?);
    }
    let keystore = source.keystore.as_ref().ok_or(KeyError::Missing)?;
    let password = match (&source.password_file, &source.password) {
        (Some(file), _) => Password::File(file.clone()),
        (None, Some(password)) => Password::Given(password.clone()),
        (None, None) => return Err(KeyError::NoPassword(keystore.clone())),
    };
    Ok(keys::decrypt_keystore(keystore, &password)?)
}

/// Creates a new random key in an encrypted keystore `dir/name`; returns its address and path.
pub fn keygen(dir: &Path, name: &str, password: &str) -> Result<(Address, PathBuf), KeyError> {
    std::fs::create_dir_all(dir).map_err(|e| KeyError::Create {
        path: dir.to_owned(),
        reason: e.to_string(),
    })?;
    let path = dir.join(name);
    if path.exists() {
        return Err(KeyError::Create {
            path,
            reason: "the file exists already; refusing to overwrite a key".into(),
        });
    }
    let (signer, _) =
        PrivateKeySigner::new_keystore(dir, &mut rand::thread_rng(), password, Some(name)).map_err(|e| {
            KeyError::Create {
                path: path.clone(),
                reason: e.to_string(),
            }
        })?;
    Ok((signer.address(), path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keygen_then_load_gives_the_same_address_and_a_wrong_password_is_explained() {
        let dir = std::env::temp_dir().join(format!("gpu-oracle-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (address, path) = keygen(&dir, "attester.json", "correct horse").unwrap();
        let pw = dir.join("pw");
        std::fs::write(&pw, "correct horse\n").unwrap();
        let loaded = load_signer(&KeySource {
            keystore: Some(path.clone()),
            password_file: Some(pw),
            ..KeySource::default()
        })
        .unwrap();
        assert_eq!(loaded.address(), address);
        let err = load_signer(&KeySource {
            keystore: Some(path.clone()),
            password: Some("wrong".into()),
            ..KeySource::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("cannot decrypt keystore") && err.contains("wrong password"),
            "{err}"
        );
        assert!(keygen(&dir, "attester.json", "x").is_err(), "never overwrites a key");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn no_key_says_how_to_get_one() {
        let err = load_signer(&KeySource::default()).unwrap_err().to_string();
        assert!(err.contains("keygen") && err.contains("--dev-private-key"), "{err}");
        let err = load_signer(&KeySource {
            keystore: Some("k.json".into()),
            ..KeySource::default()
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("GPU_ORACLE_KEYSTORE_PASSWORD"), "{err}");
    }
}
