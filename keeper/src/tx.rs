//! Sending the keeper's transactions: simulation, its own nonce tracking (resynced from the
//! chain after any error and after a reorg), fee bumping of stuck transactions, receipts after
//! confirmations (a receipt whose block is reorged out meanwhile counts as not mined), and
//! reverts decoded into the escrow's error names. Every transaction the node accepts is reported
//! to the caller before its receipt is awaited, so that it can be recorded at once.

use std::time::Duration;

use alloy::{
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider},
    rpc::types::{TransactionReceipt, TransactionRequest},
    transports::TransportError,
};
use protocol::ContractError;

use crate::error::TxError;

/// Fee and confirmation settings.
#[derive(Debug, Clone)]
pub struct TxSettings {
    /// Blocks a receipt must have on top (1 = mined).
    pub confirmations: u64,
    /// Blocks without a receipt after which the fee is bumped.
    pub stuck_blocks: u64,
    /// Fee bump in per mille (at least 125 = 12.5 %, what nodes require to replace).
    pub bump_per_mille: u64,
    /// Highest max fee per gas the keeper pays, in wei.
    pub max_fee_per_gas: u128,
    /// Blocks after which an unmined transaction is given up (the nonce is resynced).
    pub give_up_blocks: u64,
    /// How often to ask for the receipt.
    pub poll_interval: Duration,
    /// Attempts to send (each after resyncing the nonce).
    pub send_attempts: u32,
}

/// A mined transaction.
#[derive(Debug, Clone)]
pub struct Mined {
    /// Hash of the transaction that was mined (the last bump, or an earlier one).
    pub hash: B256,
    /// Nonce.
    pub nonce: u64,
    /// The receipt.
    pub receipt: TransactionReceipt,
    /// How many times the fee was bumped.
    pub bumps: u32,
}

/// The keeper's transaction sender.
#[derive(Debug)]
pub struct TxSender {
    provider: DynProvider,
    from: Address,
    chain_id: u64,
    nonce: Option<u64>,
    settings: TxSettings,
}

fn rpc(method: &'static str) -> impl FnOnce(TransportError) -> TxError {
    move |source| TxError::Rpc { method, source }
}

impl TxSender {
    /// A sender for `from`, whose key signs in `provider`'s wallet.
    pub fn new(provider: DynProvider, from: Address, chain_id: u64, settings: TxSettings) -> Self {
        Self {
            provider,
            from,
            chain_id,
            nonce: None,
            settings,
        }
    }

    /// The account that sends.
    pub fn from(&self) -> Address {
        self.from
    }

    /// Forgets the cached nonce; the next send reads it from the chain (after an error, or a
    /// reorg that may have dropped a transaction the cache counted).
    pub fn resync(&mut self) {
        self.nonce = None;
    }

    /// The nonce the next transaction will use (from the cache or the chain's pending count).
    pub async fn next_nonce(&mut self) -> Result<u64, TxError> {
        if let Some(n) = self.nonce {
            return Ok(n);
        }
        let n = self
            .provider
            .get_transaction_count(self.from)
            .block_id(BlockId::pending())
            .await
            .map_err(rpc("eth_getTransactionCount"))?;
        self.nonce = Some(n);
        Ok(n)
    }

    /// Runs the call with `eth_call` from the keeper's account; a revert is decoded.
    pub async fn simulate(&self, to: Address, input: &Bytes) -> Result<Bytes, TxError> {
        let request = TransactionRequest::default()
            .with_from(self.from)
            .with_to(to)
            .with_input(input.clone());
        self.provider
            .call(request)
            .await
            .map_err(|e| revert_or_rpc(e, "eth_call"))
    }

    /// Simulates, estimates gas, sends with the tracked nonce, bumps the fee while stuck, and
    /// returns the receipt once it has the configured confirmations. `on_sent` is called with the
    /// hash and nonce of every transaction the node accepts (the first and each fee bump), before
    /// any receipt is awaited.
    pub async fn send(
        &mut self,
        to: Address,
        input: Bytes,
        on_sent: &mut (dyn FnMut(B256, u64) + Send),
    ) -> Result<Mined, TxError> {
        let result = self.send_inner(to, input, on_sent).await;
        if result.is_err() {
            // Whatever went wrong (nonce taken by another tx from this key, dropped tx, node
            // restart), the chain knows the right nonce.
            self.resync();
        }
        result
    }

    #[allow(clippy::too_many_lines)] // one loop: send, then wait / bump until mined
    async fn send_inner(
        &mut self,
        to: Address,
        input: Bytes,
        on_sent: &mut (dyn FnMut(B256, u64) + Send),
    ) -> Result<Mined, TxError> {
        let request = TransactionRequest::default()
            .with_from(self.from)
            .with_to(to)
            .with_input(input.clone());
        let gas = self
            .provider
            .estimate_gas(request.clone())
            .await
            .map_err(|e| revert_or_rpc(e, "eth_estimateGas"))?;
        let gas_limit = gas.saturating_mul(12) / 10 + 10_000;

        let fees = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(rpc("eth_feeHistory"))?;
        let cap = self.settings.max_fee_per_gas;
        let mut max_fee = fees.max_fee_per_gas.min(cap);
        let mut priority = fees.max_priority_fee_per_gas.min(max_fee);

        let mut attempt = 0;
        let (nonce, first_hash) = loop {
            let nonce = self.next_nonce().await?;
            let tx = request
                .clone()
                .with_nonce(nonce)
                .with_chain_id(self.chain_id)
                .with_gas_limit(gas_limit)
                .with_max_fee_per_gas(max_fee)
                .with_max_priority_fee_per_gas(priority);
            match self.provider.send_transaction(tx).await {
                Ok(pending) => break (nonce, *pending.tx_hash()),
                Err(e) if attempt + 1 < self.settings.send_attempts => {
                    tracing::warn!(target: "keeper::tx", nonce, error = %e, "send failed; resyncing the nonce and retrying");
                    self.resync();
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                }
                Err(e) => {
                    return Err(TxError::Rpc {
                        method: "eth_sendRawTransaction",
                        source: e,
                    })
                }
            }
        };
        self.nonce = Some(nonce + 1);
        on_sent(first_hash, nonce);

        let mut hashes = vec![first_hash];
        let sent_at = self.block_number().await?;
        // Also a wall-clock limit, for a chain that stops producing blocks (e.g. anvil automine
        // after the transaction was dropped).
        let give_up_at =
            std::time::Instant::now() + Duration::from_secs(self.settings.give_up_blocks.saturating_mul(15));
        let mut last_bump_at = sent_at;
        let mut bumps = 0;
        let mut capped = false;
        loop {
            for hash in hashes.iter().rev() {
                let receipt = self
                    .provider
                    .get_transaction_receipt(*hash)
                    .await
                    .map_err(rpc("eth_getTransactionReceipt"))?;
                let Some(receipt) = receipt else { continue };
                if let Some(receipt) = self.confirmed(receipt).await? {
                    return Ok(Mined {
                        hash: *hash,
                        nonce,
                        receipt,
                        bumps,
                    });
                }
                // Its block was replaced while confirmations were awaited: not mined after all;
                // wait (and bump, which sends it again) as for any unmined transaction.
                tracing::warn!(target: "keeper::tx", nonce, tx = %hash, "receipt's block reorged out; waiting for the transaction again");
            }
            let head = self.block_number().await?;
            if head.saturating_sub(sent_at) >= self.settings.give_up_blocks || std::time::Instant::now() > give_up_at {
                return Err(TxError::NotMined {
                    nonce,
                    waited_blocks: head.saturating_sub(sent_at),
                    capped,
                });
            }
            if head.saturating_sub(last_bump_at) >= self.settings.stuck_blocks {
                last_bump_at = head;
                let bump = |fee: u128| {
                    let per_mille = u128::from(self.settings.bump_per_mille.max(125));
                    fee.saturating_mul(1_000 + per_mille).div_ceil(1_000)
                };
                let (new_max, new_priority) = (bump(max_fee), bump(priority));
                if new_max > cap {
                    if !capped {
                        tracing::warn!(target: "keeper::tx", nonce, max_fee, cap, "transaction stuck but the max fee is reached");
                    }
                    capped = true;
                } else {
                    max_fee = new_max;
                    priority = new_priority.min(max_fee);
                    let tx = request
                        .clone()
                        .with_nonce(nonce)
                        .with_chain_id(self.chain_id)
                        .with_gas_limit(gas_limit)
                        .with_max_fee_per_gas(max_fee)
                        .with_max_priority_fee_per_gas(priority);
                    match self.provider.send_transaction(tx).await {
                        Ok(pending) => {
                            bumps += 1;
                            tracing::info!(target: "keeper::tx", nonce, max_fee, priority, hash = %pending.tx_hash(), "fee bumped");
                            on_sent(*pending.tx_hash(), nonce);
                            hashes.push(*pending.tx_hash());
                        }
                        // Typically "nonce too low": an earlier version was just mined.
                        Err(e) => tracing::debug!(target: "keeper::tx", nonce, error = %e, "bump not accepted"),
                    }
                }
            }
            tokio::time::sleep(self.settings.poll_interval).await;
        }
    }

    async fn block_number(&self) -> Result<u64, TxError> {
        self.provider.get_block_number().await.map_err(rpc("eth_blockNumber"))
    }

    /// The receipt once its block has the configured confirmations, or `None` when by then the
    /// transaction is no longer in that block (a reorg replaced it): not mined.
    async fn confirmed(&self, receipt: TransactionReceipt) -> Result<Option<TransactionReceipt>, TxError> {
        let (Some(block), Some(block_hash)) = (receipt.block_number, receipt.block_hash) else {
            return Ok(Some(receipt));
        };
        loop {
            let head = self.block_number().await?;
            if head + 1 >= block + self.settings.confirmations {
                break;
            }
            tokio::time::sleep(self.settings.poll_interval).await;
        }
        let again = self
            .provider
            .get_transaction_receipt(receipt.transaction_hash)
            .await
            .map_err(rpc("eth_getTransactionReceipt"))?;
        Ok(again.filter(|r| r.block_hash == Some(block_hash)))
    }
}

fn revert_or_rpc(source: TransportError, method: &'static str) -> TxError {
    if let Some(error) = ContractError::from_transport(&source) {
        return TxError::Reverted {
            reason: error.to_string(),
            error: Some(Box::new(error)),
        };
    }
    if let Some(payload) = source.as_error_resp() {
        if payload.message.contains("revert") {
            return TxError::Reverted {
                reason: payload.message.to_string(),
                error: None,
            };
        }
    }
    TxError::Rpc { method, source }
}
