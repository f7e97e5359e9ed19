//! The key that signs: an encrypted keystore (password from the environment or a prompt), or a raw
//! key for local development.

use std::{io::IsTerminal, path::Path};

use alloy::signers::local::PrivateKeySigner;
use eyre::{bail, eyre, Result, WrapErr};
use protocol::keys::{self, Password};

use crate::args::Global;

/// Environment variable holding the keystore's password.
pub(crate) const PASSWORD_ENV: &str = "GPU_ESCROW_KEYSTORE_PASSWORD";

/// The signer named by the global options, if any.
pub(crate) fn load(global: &Global) -> Result<Option<PrivateKeySigner>> {
    if let Some(key) = &global.private_key {
        return Ok(Some(keys::parse_private_key(key, "--private-key")?));
    }
    let Some(path) = &global.keystore else {
        return Ok(None);
    };
    let password = Password::Given(password_for(path)?);
    let signer = keys::decrypt_keystore(path, &password)
        .map_err(|e| eyre!("{e}; check the password ({PASSWORD_ENV}) and the file"))?;
    Ok(Some(signer))
}

fn password_for(path: &Path) -> Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "the keystore {} needs its password: set {PASSWORD_ENV} (no prompt because standard input is not a terminal)",
            path.display()
        );
    }
    rpassword::prompt_password(format!("Password of keystore {}: ", path.display()))
        .wrap_err("cannot read the keystore password from the terminal")
}
