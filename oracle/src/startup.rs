//! The checks that keep the daemon from starting half-configured: the RPC answers, serves the
//! deployment file's chain, the escrow has code, every served offer exists, names this oracle's
//! key as attester, is of the GPUs' model and rents no more GPUs at a time than configured.

use std::{collections::BTreeMap, time::Duration};

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
};
use protocol::{bindings::GpuEscrow, gpu_model_hash, Deployment};

use crate::{config::Settings, error::ConfigError, gpu::Inventory};

/// What the checks learned about the chain.
#[derive(Debug, Clone)]
pub struct ChainContext {
    /// A provider on the RPC.
    pub provider: DynProvider,
    /// The chain id.
    pub chain_id: u64,
    /// The escrow address.
    pub escrow: Address,
    /// Where log scans start on a fresh state.
    pub deploy_block: u64,
    /// Served offers: their GPUs and how many GPUs one rental gets.
    pub offers: BTreeMap<u64, (Vec<String>, u16)>,
}

const RPC_TIMEOUT: Duration = Duration::from_secs(10);

fn read_err(what: impl Into<String>) -> impl FnOnce(String) -> ConfigError {
    let what = what.into();
    move |reason| ConfigError::ChainRead { what, reason }
}

/// Runs every chain check for `settings` with the key `attester` and the GPUs of `inventory`.
pub async fn check_chain(
    settings: &Settings,
    attester: Address,
    inventory: &Inventory,
) -> Result<ChainContext, ConfigError> {
    let unreachable = |reason: String| ConfigError::RpcUnreachable {
        url: settings.rpc_url.clone(),
        reason,
    };
    let url = settings.rpc_url.parse().map_err(|e| unreachable(format!("{e}")))?;
    let provider = ProviderBuilder::new().connect_http(url).erased();
    let chain_id = tokio::time::timeout(RPC_TIMEOUT, provider.get_chain_id())
        .await
        .map_err(|_| unreachable("no answer within 10 s".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let deployment = Deployment::from_file(&settings.deployment)?;
    if deployment.chain_id != chain_id {
        return Err(ConfigError::ChainMismatch {
            url: settings.rpc_url.clone(),
            rpc: chain_id,
            path: settings.deployment.clone(),
            file: deployment.chain_id,
        });
    }
    let escrow = settings.escrow.unwrap_or(deployment.escrow);
    let code = provider
        .get_code_at(escrow)
        .await
        .map_err(|e| read_err("the escrow's code")(e.to_string()))?;
    if code.is_empty() {
        return Err(ConfigError::NoEscrowCode { escrow, chain_id });
    }
    let contract = GpuEscrow::new(escrow, provider.clone());
    let count = contract
        .offerCount()
        .call()
        .await
        .map_err(|e| read_err("offerCount")(e.to_string()))?;
    let mut offers = BTreeMap::new();
    for (id, gpus) in &settings.offers {
        if *id == 0 || *id > count {
            return Err(ConfigError::OfferNotFound { offer: *id, escrow });
        }
        let offer = contract
            .offer(*id)
            .call()
            .await
            .map_err(|e| read_err(format!("offer {id}"))(e.to_string()))?;
        if offer.attester != attester {
            return Err(ConfigError::NotAttester {
                offer: *id,
                ours: attester,
                onchain: offer.attester,
            });
        }
        for uuid in gpus {
            if let Some(gpu) = inventory.gpus.iter().find(|g| &g.uuid == uuid) {
                let hash = gpu_model_hash(&gpu.name);
                if hash != offer.gpuModelHash {
                    return Err(ConfigError::WrongModel {
                        offer: *id,
                        offer_hash: offer.gpuModelHash,
                        uuid: uuid.clone(),
                        name: gpu.name.clone(),
                        gpu_hash: hash,
                    });
                }
            }
        }
        if usize::from(offer.gpuCount) > gpus.len() {
            return Err(ConfigError::TooFewGpus {
                offer: *id,
                needed: offer.gpuCount,
                configured: gpus.len(),
            });
        }
        if offer.retired {
            tracing::warn!(target: "oracle::startup", offer = id, "offer is retired: only its running rentals remain");
        }
        offers.insert(*id, (gpus.clone(), offer.gpuCount));
    }
    Ok(ChainContext {
        provider,
        chain_id,
        escrow,
        deploy_block: deployment.deploy_block,
        offers,
    })
}
