//! What every command starts from: the RPC (its chain id checked against the deployment), the
//! escrow, the signer if any, and the tokens met so far.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Mutex,
};

use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use eyre::{bail, eyre, Result, WrapErr};
use protocol::{
    bindings::{DisputeModule::DisputeModuleInstance, GpuEscrow::GpuEscrowInstance},
    Deployment,
};

use crate::{args::Global, revert::explain_transport, signer, token::Token};

/// The connection and settings shared by the commands.
pub(crate) struct Ctx {
    pub(crate) global: Global,
    pub(crate) provider: DynProvider,
    pub(crate) signer: Option<PrivateKeySigner>,
    pub(crate) chain_id: u64,
    pub(crate) deployment: Deployment,
    pub(crate) escrow: GpuEscrowInstance<DynProvider>,
    tokens: Mutex<HashMap<Address, Token>>,
    dispute_module: Mutex<Option<Address>>,
}

impl Ctx {
    /// Connects to the RPC, loads the deployment (and the signer when `signs`), and checks that
    /// they agree.
    pub(crate) async fn connect(global: Global, signs: bool) -> Result<Self> {
        let signer = if signs { signer::load(&global)? } else { None };
        let url = global
            .rpc_url
            .parse()
            .map_err(|e| eyre!("--rpc-url `{}` is not a URL: {e}", global.rpc_url))?;
        let provider = match &signer {
            Some(s) => ProviderBuilder::new()
                .wallet(EthereumWallet::from(s.clone()))
                .connect_http(url)
                .erased(),
            None => ProviderBuilder::new().connect_http(url).erased(),
        };
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|e| explain_transport(&e, "reading the chain id", &global.rpc_url))?;
        let deployment = deployment(&global, chain_id)?;
        let code = provider
            .get_code_at(deployment.escrow)
            .await
            .map_err(|e| explain_transport(&e, "reading the escrow's code", &global.rpc_url))?;
        if code.is_empty() {
            bail!(
                "no contract at the escrow address {} on chain {chain_id}: is --rpc-url the chain it was deployed to?",
                deployment.escrow
            );
        }
        let escrow = GpuEscrowInstance::new(deployment.escrow, provider.clone());
        Ok(Self {
            global,
            provider,
            signer,
            chain_id,
            deployment,
            escrow,
            tokens: Mutex::new(HashMap::new()),
            dispute_module: Mutex::new(None),
        })
    }

    /// The signer, or an error saying how to give one.
    pub(crate) fn signer(&self) -> Result<&PrivateKeySigner> {
        self.signer.as_ref().ok_or_else(|| {
            eyre!("this command signs: pass --keystore FILE (GPU_ESCROW_KEYSTORE) or, for local development, --private-key")
        })
    }

    /// The signer's address.
    pub(crate) fn me(&self) -> Result<Address> {
        Ok(self.signer()?.address())
    }

    /// The token at `address`, read once per run.
    pub(crate) async fn token(&self, address: Address) -> Result<Token> {
        if let Some(t) = self.tokens.lock().ok().and_then(|m| m.get(&address).cloned()) {
            return Ok(t);
        }
        let token = Token::read(&self.provider, address).await?;
        if let Ok(mut m) = self.tokens.lock() {
            m.insert(address, token.clone());
        }
        Ok(token)
    }

    /// The escrow's dispute module (bonds, disputes, ratings, reputation): the deployment file's
    /// `disputeModule`, else what the escrow says.
    pub(crate) async fn disputes(&self) -> Result<DisputeModuleInstance<DynProvider>> {
        let known = self.dispute_module.lock().ok().and_then(|m| *m);
        let address = match known.or(self.deployment.dispute_module) {
            Some(a) => a,
            None => self
                .escrow
                .disputeModule()
                .call()
                .await
                .map_err(|e| self.call_error(e, "reading the escrow's dispute module"))?,
        };
        if address.is_zero() {
            bail!(
                "the escrow {} has no dispute module yet (its owner sets one with setDisputeModule)",
                self.deployment.escrow
            );
        }
        if let Ok(mut m) = self.dispute_module.lock() {
            *m = Some(address);
        }
        Ok(DisputeModuleInstance::new(address, self.provider.clone()))
    }

    /// Token symbols of the deployment file.
    pub(crate) fn token_symbols(&self) -> &BTreeMap<String, Address> {
        &self.deployment.tokens
    }

    /// The latest block's number and timestamp: the chain's "now".
    pub(crate) async fn head(&self) -> Result<(u64, u64)> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(|e| self.rpc_error(&e, "reading the latest block"))?
            .ok_or_else(|| eyre!("the node has no latest block"))?;
        Ok((block.header.number, block.header.timestamp))
    }

    /// The escrow's record of offer `id` (accrued earnings, active rentals, standing).
    pub(crate) async fn offer_account(&self, id: u64) -> Result<protocol::bindings::GpuEscrow::OfferAccount> {
        self.escrow
            .offerAccount(id)
            .call()
            .await
            .map_err(|e| self.call_error(e, &format!("reading offer {id}'s account")))
    }

    pub(crate) fn rpc_error(&self, err: &alloy::transports::TransportError, what: &str) -> eyre::Report {
        explain_transport(err, what, &self.global.rpc_url)
    }

    pub(crate) fn call_error(&self, err: alloy::contract::Error, what: &str) -> eyre::Report {
        crate::revert::explain_contract(err, what, &self.global.rpc_url)
    }
}

fn deployment(global: &Global, chain_id: u64) -> Result<Deployment> {
    if let Some(escrow) = global.escrow {
        return Ok(Deployment {
            chain_id,
            escrow,
            deploy_block: global.from_block,
            tokens: BTreeMap::new(),
            dispute_module: None,
            arbitrator: None,
        });
    }
    if let Some(path) = &global.deployment {
        let d = Deployment::from_file(path).wrap_err("cannot load the deployment file")?;
        if d.chain_id != chain_id {
            bail!(
                "wrong chain: the RPC at {} is chain {chain_id}, but the deployment file {} is for chain {}; point --rpc-url at chain {} or use chain {chain_id}'s deployment file",
                global.rpc_url,
                path.display(),
                d.chain_id,
                d.chain_id
            );
        }
        return Ok(d);
    }
    let path = Deployment::path_for(&global.deployments_dir, chain_id);
    if !path.is_file() {
        bail!(
            "no deployment for chain {chain_id} (the chain of {}): {} does not exist; pass --deployment FILE or --escrow ADDR",
            global.rpc_url,
            path.display()
        );
    }
    Deployment::load(&global.deployments_dir, chain_id).wrap_err("cannot load the deployment file")
}
