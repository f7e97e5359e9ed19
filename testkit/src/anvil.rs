//! The project's anvil (from npm's platform package, `node_modules/.bin/anvil`): spawning it,
//! signing as its development accounts, sending a transaction and waiting for its success, and
//! moving chain time so that tests never wait for the clock.

use std::path::PathBuf;

use alloy::{
    contract::{CallBuilder, CallDecoder},
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::Address,
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};

use crate::repo_root;

/// The project's anvil; panics with what to run when it is missing.
pub fn anvil_path() -> PathBuf {
    let path = repo_root().join("node_modules/.bin/anvil");
    assert!(
        path.exists(),
        "anvil not found at {}: run `npm ci` in the repository root first",
        path.display()
    );
    path
}

/// A provider that signs as `signer` on `anvil`. A fresh one holds no cached nonce, so it is the
/// one to use after a snapshot was reverted.
pub fn connect(anvil: &AnvilInstance, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// Sends a contract call, waits for its receipt and checks that it succeeded.
pub async fn mined<P: Provider, D: CallDecoder>(call: CallBuilder<P, D>) -> TransactionReceipt {
    let receipt = call
        .send()
        .await
        .expect("the node accepts the transaction")
        .get_receipt()
        .await
        .expect("the transaction's receipt");
    assert!(receipt.status(), "transaction {} reverted", receipt.transaction_hash);
    receipt
}

/// How to start anvil: by default it mines one block per transaction, at once.
#[derive(Debug, Clone, Default)]
pub struct ChainBuilder {
    block_time: Option<u64>,
    args: Vec<String>,
}

impl ChainBuilder {
    /// Mines a block every `seconds` instead of one per transaction, so chain time follows the
    /// clock (what a real oracle, which samples with the clock, needs).
    #[must_use]
    pub fn block_time(mut self, seconds: u64) -> Self {
        self.block_time = Some(seconds);
        self
    }

    /// Passes `args` to anvil (e.g. `["--gas-limit", "60000000"]`).
    #[must_use]
    pub fn args(mut self, args: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Starts anvil on a free port; it stops when the [`Chain`] is dropped.
    pub fn spawn(self) -> Chain {
        let mut anvil = Anvil::at(anvil_path()).args(self.args);
        if let Some(seconds) = self.block_time {
            anvil = anvil.block_time(seconds);
        }
        let anvil = anvil
            .try_spawn()
            .unwrap_or_else(|e| panic!("anvil does not start: {e}"));
        let deployer = connect(&anvil, &PrivateKeySigner::from(anvil.keys()[0].clone()));
        Chain { anvil, deployer }
    }
}

/// A running anvil and a provider signing as its account 0, which deploys and owns the contracts.
#[derive(Debug)]
pub struct Chain {
    /// The node; killed when dropped.
    pub anvil: AnvilInstance,
    /// Signs as account 0 (the deployer and owner); also the provider to read the chain with.
    pub deployer: DynProvider,
}

impl Chain {
    /// Anvil with its defaults: one block per transaction.
    pub fn start() -> Self {
        ChainBuilder::default().spawn()
    }

    /// Anvil with options.
    pub fn builder() -> ChainBuilder {
        ChainBuilder::default()
    }

    /// The private key of development account `i`.
    pub fn key(&self, i: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[i].clone())
    }

    /// The address of development account `i`.
    pub fn address(&self, i: usize) -> Address {
        self.anvil.addresses()[i]
    }

    /// The private key of account `i` as `0x` and 64 hex digits, as the binaries take it.
    pub fn key_hex(&self, i: usize) -> String {
        alloy::hex::encode_prefixed(self.key(i).to_bytes())
    }

    /// A provider signing as `signer`.
    pub fn connect(&self, signer: &PrivateKeySigner) -> DynProvider {
        connect(&self.anvil, signer)
    }

    /// The RPC URL.
    pub fn endpoint(&self) -> String {
        self.anvil.endpoint()
    }

    /// The chain id (31337).
    pub fn chain_id(&self) -> u64 {
        self.anvil.chain_id()
    }

    /// The latest block's timestamp.
    pub async fn now(&self) -> u64 {
        self.block_at(BlockNumberOrTag::Latest).await
    }

    /// The timestamp of the block that mined `receipt`.
    pub async fn block_time(&self, receipt: &TransactionReceipt) -> u64 {
        let number = receipt.block_number.expect("a mined receipt has a block number");
        self.block_at(number.into()).await
    }

    async fn block_at(&self, block: BlockNumberOrTag) -> u64 {
        self.deployer
            .get_block_by_number(block)
            .await
            .expect("the node answers")
            .unwrap_or_else(|| panic!("block {block} exists"))
            .header
            .timestamp
    }

    /// Moves chain time forward by `seconds` and mines a block; returns that block's timestamp.
    pub async fn advance(&self, seconds: u64) -> u64 {
        self.deployer
            .anvil_increase_time(seconds)
            .await
            .expect("evm_increaseTime");
        self.deployer.evm_mine(None).await.expect("evm_mine");
        self.now().await
    }

    /// Sets the timestamp of the next block (the next transaction's).
    pub async fn next_block_at(&self, timestamp: u64) {
        self.deployer
            .anvil_set_next_block_timestamp(timestamp)
            .await
            .expect("evm_setNextBlockTimestamp");
    }

    /// Mines the next block at exactly `timestamp`.
    pub async fn mine_at(&self, timestamp: u64) {
        self.next_block_at(timestamp).await;
        self.deployer.evm_mine(None).await.expect("evm_mine");
    }

    /// From now on, mines a block every `seconds` (and no longer one per transaction).
    pub async fn interval_mining(&self, seconds: u64) {
        self.deployer
            .anvil_set_interval_mining(seconds)
            .await
            .expect("evm_setIntervalMining");
    }
}
