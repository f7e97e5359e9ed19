//! The market as the deploy script records it, `protocol::Deployment`, and written where the
//! binaries read it: `<dir>/<chainId>.json` (`--deployments`-style folders) or any file
//! (`--deployment`).

use std::path::{Path, PathBuf};

use protocol::Deployment;

use crate::market::Market;

impl Market {
    /// The deployment: the escrow, its dispute module and arbitrator, the deploy block and the
    /// mock ERC-20s by symbol.
    pub fn deployment(&self) -> Deployment {
        Deployment {
            chain_id: self.chain.chain_id(),
            escrow: self.escrow,
            dispute_module: Some(self.dispute_module),
            arbitrator: Some(self.arbitrator),
            deploy_block: self.deploy_block,
            tokens: self.tokens.clone(),
        }
    }

    /// Writes `<dir>/<chainId>.json`, creating `dir`; returns the file's path.
    pub fn write_deployment(&self, dir: &Path) -> PathBuf {
        self.deployment()
            .write_to(dir)
            .unwrap_or_else(|e| panic!("cannot write the deployment: {e}"))
    }

    /// Writes the deployment to `path`.
    pub fn save_deployment(&self, path: &Path) {
        self.deployment()
            .save(path)
            .unwrap_or_else(|e| panic!("cannot write the deployment: {e}"));
    }
}
