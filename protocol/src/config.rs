//! Configuration shared by the oracle and the keeper.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// Where the escrow of one chain is deployed, as the deploy script writes it to
/// `deployments/<chainId>.json`:
///
/// ```json
/// {"chainId":31337,"escrow":"0x…","disputeModule":"0x…","arbitrator":"0x…","deployBlock":1,
///  "tokens":{"USDC":"0x…","DAI":"0x…"}}
/// ```
///
/// `disputeModule` and `arbitrator` are optional (files written before disputes existed lack them).
///
/// Unknown fields are ignored, so the deploy script may record more than the services read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// The escrow contract.
    pub escrow: Address,
    /// The escrow's dispute module (bonds, slashing proofs, disputes), if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_module: Option<Address>,
    /// The ERC-792 arbitrator that rules the module's disputes, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arbitrator: Option<Address>,
    /// Block of the escrow's deployment: where log scans start.
    pub deploy_block: u64,
    /// Allowed ERC-20 tokens by symbol (native coin rentals use the zero address and are not
    /// listed here).
    #[serde(default)]
    pub tokens: BTreeMap<String, Address>,
}

impl Deployment {
    /// Path of the deployment file of `chain_id` under `dir`: `<dir>/<chainId>.json`.
    pub fn path_for(dir: impl AsRef<Path>, chain_id: u64) -> PathBuf {
        dir.as_ref().join(format!("{chain_id}.json"))
    }

    /// Loads and validates `<dir>/<chainId>.json`, checking that it is for `chain_id`.
    pub fn load(dir: impl AsRef<Path>, chain_id: u64) -> Result<Self, ConfigError> {
        let path = Self::path_for(dir, chain_id);
        let deployment = Self::from_file(&path)?;
        if deployment.chain_id != chain_id {
            return Err(ConfigError::ChainIdMismatch {
                path,
                expected: chain_id,
                found: deployment.chain_id,
            });
        }
        Ok(deployment)
    }

    /// Loads and validates a deployment file at any path.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_json(&text, path)
    }

    /// Parses and validates deployment JSON; `origin` names the source in errors.
    pub fn from_json(json: &str, origin: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = origin.as_ref();
        let deployment: Self = serde_json::from_str(json).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        deployment.validate(path)?;
        Ok(deployment)
    }

    /// Writes the deployment to `<dir>/<chainId>.json`, creating `dir`, as the deploy script
    /// does; returns the file's path.
    pub fn write_to(&self, dir: impl AsRef<Path>) -> Result<PathBuf, ConfigError> {
        let dir = dir.as_ref();
        let path = Self::path_for(dir, self.chain_id);
        std::fs::create_dir_all(dir).map_err(|source| ConfigError::Write {
            path: path.clone(),
            source,
        })?;
        self.save(&path)?;
        Ok(path)
    }

    /// Writes the deployment as JSON to `path`. Refuses one that [`Self::from_file`] would refuse,
    /// so a file written here always loads.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ConfigError> {
        let path = path.as_ref();
        self.validate(path)?;
        let mut json = serde_json::to_string_pretty(self).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        json.push('\n');
        std::fs::write(path, json).map_err(|source| ConfigError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// The address of the token listed under `symbol`, if any.
    pub fn token(&self, symbol: &str) -> Option<Address> {
        self.tokens.get(symbol).copied()
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let zero = |field: String| ConfigError::ZeroAddress {
            path: path.to_owned(),
            field,
        };
        if self.escrow.is_zero() {
            return Err(zero("escrow".to_owned()));
        }
        for (field, address) in [("disputeModule", self.dispute_module), ("arbitrator", self.arbitrator)] {
            if address.is_some_and(|a| a.is_zero()) {
                return Err(zero(field.to_owned()));
            }
        }
        for (symbol, address) in &self.tokens {
            if symbol.trim().is_empty() {
                return Err(ConfigError::EmptyTokenSymbol { path: path.to_owned() });
            }
            if address.is_zero() {
                return Err(zero(format!("tokens.{symbol}")));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::address;

    use super::*;

    const GOOD: &str = r#"{"chainId":31337,"escrow":"0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "disputeModule":"0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        "arbitrator":"0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9","deployBlock":1,"tokens":{"USDC":"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"},"extra":true}"#;

    #[test]
    fn parses_the_deploy_script_output() {
        let d = Deployment::from_json(GOOD, "31337.json").unwrap();
        assert_eq!(d.chain_id, 31_337);
        assert_eq!(d.escrow, address!("5FbDB2315678afecb367f032d93F642f64180aa3"));
        assert_eq!(d.deploy_block, 1);
        assert_eq!(
            d.token("USDC"),
            Some(address!("e7f1725E7734CE288F8367e1Bb143E90bb3F0512"))
        );
        assert_eq!(d.token("DAI"), None);
        assert_eq!(
            d.dispute_module,
            Some(address!("9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"))
        );
        assert_eq!(d.arbitrator, Some(address!("Cf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9")));
    }

    #[test]
    fn dispute_addresses_are_optional() {
        let json = r#"{"chainId":1,"escrow":"0x5FbDB2315678afecb367f032d93F642f64180aa3","deployBlock":1}"#;
        let d = Deployment::from_json(json, "1.json").unwrap();
        assert_eq!((d.dispute_module, d.arbitrator), (None, None));
        assert!(serde_json::to_value(&d).unwrap().get("disputeModule").is_none());
    }

    #[test]
    fn rejects_a_zero_dispute_module() {
        let json = GOOD.replace(
            "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
            &format!("{:#x}", Address::ZERO),
        );
        let err = Deployment::from_json(&json, "x").unwrap_err();
        assert!(err.to_string().contains("disputeModule"), "{err}");
    }

    #[test]
    fn round_trips_in_camel_case() {
        let d = Deployment::from_json(GOOD, "x").unwrap();
        let json = serde_json::to_value(&d).unwrap();
        assert!(json.get("deployBlock").is_some() && json.get("chainId").is_some());
        assert_eq!(Deployment::from_json(&json.to_string(), "x").unwrap(), d);
    }

    #[test]
    fn rejects_a_zero_escrow() {
        let json = GOOD.replace(
            "0x5FbDB2315678afecb367f032d93F642f64180aa3",
            &format!("{:#x}", Address::ZERO),
        );
        let err = Deployment::from_json(&json, "x").unwrap_err();
        assert!(
            matches!(err, ConfigError::ZeroAddress { ref field, .. } if field == "escrow"),
            "{err}"
        );
    }

    #[test]
    fn rejects_a_zero_token() {
        let json = GOOD.replace(
            "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
            &format!("{:#x}", Address::ZERO),
        );
        let err = Deployment::from_json(&json, "x").unwrap_err();
        assert!(err.to_string().contains("tokens.USDC"), "{err}");
    }

    #[test]
    fn rejects_a_missing_field_with_its_name() {
        let err = Deployment::from_json(r#"{"chainId":1,"deployBlock":1}"#, "1.json").unwrap_err();
        assert!(err.to_string().contains("escrow"), "{err}");
        assert!(err.to_string().contains("1.json"), "{err}");
    }

    #[test]
    fn a_written_deployment_loads_back_as_it_was() {
        let dir = std::env::temp_dir().join(format!("gpu-escrow-config-write-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let written = Deployment::from_json(GOOD, "x").unwrap();
        let path = written.write_to(dir.join("deployments")).unwrap();
        assert_eq!(path, Deployment::path_for(dir.join("deployments"), 31_337));
        assert_eq!(Deployment::load(dir.join("deployments"), 31_337).unwrap(), written);
        let file = dir.join("deployment.json");
        written.save(&file).unwrap();
        assert_eq!(Deployment::from_file(&file).unwrap(), written);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn save_refuses_what_load_would_refuse_and_says_where() {
        let dir = std::env::temp_dir().join(format!("gpu-escrow-config-refuse-{}", std::process::id()));
        let zero = Deployment {
            escrow: Address::ZERO,
            ..Deployment::from_json(GOOD, "x").unwrap()
        };
        let err = zero.write_to(&dir).unwrap_err();
        assert!(
            matches!(err, ConfigError::ZeroAddress { ref field, .. } if field == "escrow"),
            "{err}"
        );
        assert!(!Deployment::path_for(&dir, 31_337).exists(), "nothing written");
        let unwritable = Deployment::from_json(GOOD, "x")
            .unwrap()
            .save(dir.join("missing/x.json"));
        let err = unwritable.unwrap_err();
        assert!(matches!(err, ConfigError::Write { .. }), "{err}");
        assert!(err.to_string().contains("missing/x.json"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn load_checks_the_chain_id_against_the_file_name() {
        let dir = std::env::temp_dir().join(format!("gpu-escrow-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Deployment::path_for(&dir, 1), GOOD).unwrap();
        let err = Deployment::load(&dir, 1).unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::ChainIdMismatch {
                    expected: 1,
                    found: 31_337,
                    ..
                }
            ),
            "{err}"
        );
        std::fs::write(Deployment::path_for(&dir, 31_337), GOOD).unwrap();
        assert_eq!(Deployment::load(&dir, 31_337).unwrap().chain_id, 31_337);
        let missing = Deployment::load(&dir, 5).unwrap_err();
        assert!(matches!(missing, ConfigError::Read { .. }), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
