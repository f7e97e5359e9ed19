//! Deploying the escrow with its dispute module and committee arbitrator, in the order the
//! contracts require (the same core as `script/Deploy.s.sol`): the escrow, the committee, the
//! module wired to both, then `setDisputeModule` on the escrow, after which tokens may be allowed.
//!
//! Used by every test fixture that needs a real market on a local chain, and by anything that
//! deploys from Rust rather than with forge.

use alloy::{
    contract::{CallBuilder, CallDecoder},
    primitives::{Address, Bytes, U256},
    providers::Provider,
};

use crate::{
    bindings::{CommitteeArbitrator, DisputeModule, GpuEscrow},
    error::DeployError,
};

/// What [`deploy_stack`] deploys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackParams {
    /// Owner of the escrow and of the dispute module. It must be the account `provider` signs
    /// with: it sets the module on the escrow and, afterwards, allows tokens and sets bonds.
    pub owner: Address,
    /// Where the escrow's fees and the treasury's share of slashes go.
    pub treasury: Address,
    /// Members of the committee arbitrator (1 to its `MAX_MEMBERS`).
    pub committee: Vec<Address>,
    /// Votes that decide a committee ruling (1 to the committee's size).
    pub quorum: u64,
    /// Seconds the arbitrator has to rule a dispute before the fallback applies.
    pub ruling_period: u64,
    /// Seconds between a bond's unbonding request and its withdrawal; more than 7 days plus the
    /// ruling period.
    pub unbonding_delay: u64,
}

/// Seconds the arbitrator has to rule by default (`script/Deploy.s.sol`'s `RULING_PERIOD`): 3 days.
pub const DEFAULT_RULING_PERIOD: u64 = 3 * 86_400;
/// Default unbonding delay (`script/Deploy.s.sol`'s `UNBONDING_DELAY`): 14 days.
pub const DEFAULT_UNBONDING_DELAY: u64 = 14 * 86_400;

impl StackParams {
    /// The deploy script's defaults: `committee` decides by a majority, the ruling period and
    /// unbonding delay are [`DEFAULT_RULING_PERIOD`] and [`DEFAULT_UNBONDING_DELAY`].
    pub fn new(owner: Address, treasury: Address, committee: Vec<Address>) -> Self {
        Self {
            owner,
            treasury,
            quorum: committee.len() as u64 / 2 + 1,
            committee,
            ruling_period: DEFAULT_RULING_PERIOD,
            unbonding_delay: DEFAULT_UNBONDING_DELAY,
        }
    }
}

/// Addresses of a deployed market.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stack {
    /// The escrow.
    pub escrow: Address,
    /// Its dispute module.
    pub dispute_module: Address,
    /// The committee arbitrator the module asks for rulings.
    pub arbitrator: Address,
    /// Block of the escrow's deployment: where log scans start.
    pub deploy_block: u64,
}

/// Deploys GpuEscrow, CommitteeArbitrator and DisputeModule and sets the module on the escrow.
/// No token is allowed yet: follow with [`Stack::allow_token`] (or the escrow's
/// `setTokenAllowed`).
pub async fn deploy_stack<P: Provider + Clone>(provider: &P, params: &StackParams) -> Result<Stack, DeployError> {
    let receipt = GpuEscrow::deploy_builder(provider.clone(), params.owner, params.treasury)
        .send()
        .await
        .map_err(|source| DeployError::Send {
            step: "deploy GpuEscrow",
            source,
        })?
        .get_receipt()
        .await
        .map_err(|source| DeployError::Receipt {
            step: "deploy GpuEscrow",
            source,
        })?;
    let escrow = receipt.contract_address.ok_or(DeployError::Reverted {
        step: "deploy GpuEscrow",
    })?;
    let deploy_block = receipt.block_number.unwrap_or_default();

    let ruling_period =
        u32::try_from(params.ruling_period).map_err(|_| DeployError::RulingPeriodTooLong(params.ruling_period))?;
    let arbitrator = CommitteeArbitrator::deploy(
        provider.clone(),
        params.committee.clone(),
        U256::from(params.quorum),
        ruling_period,
    )
    .await
    .map_err(|source| DeployError::Send {
        step: "deploy CommitteeArbitrator",
        source,
    })?;
    let module = DisputeModule::deploy(
        provider.clone(),
        params.owner,
        escrow,
        *arbitrator.address(),
        Bytes::new(),
        U256::from(params.ruling_period),
        U256::from(params.unbonding_delay),
    )
    .await
    .map_err(|source| DeployError::Send {
        step: "deploy DisputeModule",
        source,
    })?;
    let stack = Stack {
        escrow,
        dispute_module: *module.address(),
        arbitrator: *arbitrator.address(),
        deploy_block,
    };
    let escrow = GpuEscrow::new(escrow, provider.clone());
    mined(escrow.setDisputeModule(stack.dispute_module), "setDisputeModule").await?;
    Ok(stack)
}

impl Stack {
    /// Allows `token` on the escrow (the zero address: the native coin) and sets the bond an offer
    /// in it requires and the bond a dispute opener posts. `provider` signs as the owner.
    pub async fn allow_token<P: Provider + Clone>(
        &self,
        provider: &P,
        token: Address,
        min_bond: U256,
        dispute_bond: U256,
    ) -> Result<(), DeployError> {
        let escrow = GpuEscrow::new(self.escrow, provider.clone());
        let module = DisputeModule::new(self.dispute_module, provider.clone());
        mined(escrow.setTokenAllowed(token, true), "setTokenAllowed").await?;
        mined(module.setMinBond(token, min_bond), "setMinBond").await?;
        mined(module.setDisputeBond(token, dispute_bond), "setDisputeBond").await?;
        Ok(())
    }
}

/// Sends a call and waits for a successful receipt.
async fn mined<P: Provider, D: CallDecoder>(call: CallBuilder<P, D>, step: &'static str) -> Result<(), DeployError> {
    let receipt = call
        .send()
        .await
        .map_err(|source| DeployError::Send { step, source })?
        .get_receipt()
        .await
        .map_err(|source| DeployError::Receipt { step, source })?;
    if receipt.status() {
        Ok(())
    } else {
        Err(DeployError::Reverted { step })
    }
}
