//! Reconciling the keeper's pending transactions with the chain.
//!
//! A transaction is recorded `pending` when the node accepts it; its row stays so when the keeper
//! never saw its receipt: killed while waiting, gave up after `give_up_blocks`, or the block that
//! held it was reorged out. On start and at every round, each pending row is judged by what the
//! chain knows: a receipt gives its final result; otherwise a nonce the account has used since
//! means another transaction took it (`replaced`); otherwise a transaction the node still holds
//! stays pending, and one it forgot is `dropped`. The rentals of a pending transaction the node
//! can mine are left alone meanwhile; one waiting behind a nonce gap (it cannot be mined until
//! another transaction fills the gap) holds nothing back.

use std::collections::HashSet;

use alloy::{
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
};

use crate::{
    error::KeeperError,
    index::{Index, TxRecord, TxResult},
};

/// What the chain says about a transaction recorded pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainView {
    /// From its receipt, if mined: succeeded, gas used, block.
    pub receipt: Option<(bool, u64, u64)>,
    /// How many transactions the account has mined (the next nonce in the latest block).
    pub mined_nonces: u64,
    /// Whether the node still knows the transaction (in its pool).
    pub known: bool,
}

/// The result of a pending transaction of `nonce`, given what the chain says.
pub fn judge(nonce: u64, chain: ChainView) -> TxResult {
    match chain.receipt {
        Some((true, _, _)) => TxResult::Ok,
        Some((false, _, _)) => TxResult::Reverted,
        None if nonce < chain.mined_nonces => TxResult::Replaced,
        None if chain.known => TxResult::Pending,
        None => TxResult::Dropped,
    }
}

/// What a reconciliation found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Rows given a final result, by result.
    pub settled: Vec<(B256, TxResult)>,
    /// Rentals of transactions still pending in the node's pool with no nonce gap before them:
    /// acting on them again would race the transaction already sent.
    pub in_flight: HashSet<B256>,
}

/// Judges every pending transaction of `from` recorded in `index` by the chain behind `provider`
/// and records the results.
pub async fn reconcile(provider: &DynProvider, from: Address, index: &Index) -> Result<Reconciled, KeeperError> {
    let pending = index.txs_with(TxResult::Pending)?;
    let mut out = Reconciled::default();
    if pending.is_empty() {
        return Ok(out);
    }
    let mined_nonces = provider
        .get_transaction_count(from)
        .await
        .map_err(|source| KeeperError::Rpc {
            method: "eth_getTransactionCount",
            source,
        })?;
    let mut pending_nonces = None;
    for tx in pending {
        let chain = view(provider, &tx, mined_nonces).await?;
        let result = judge(tx.nonce, chain);
        if result == TxResult::Pending {
            let next =
                match pending_nonces {
                    Some(n) => n,
                    None => *pending_nonces.insert(provider.get_transaction_count(from).pending().await.map_err(
                        |source| KeeperError::Rpc {
                            method: "eth_getTransactionCount",
                            source,
                        },
                    )?),
                };
            if tx.nonce < next {
                out.in_flight.extend(tx.rentals.iter().copied());
            } else {
                tracing::debug!(target: "keeper::reconcile", tx = %tx.hash, nonce = tx.nonce, next, "pending behind a nonce gap; its rentals are not held back");
            }
            continue;
        }
        let (gas_used, block_number) = chain
            .receipt
            .map_or((None, None), |(_, gas, block)| (Some(gas), Some(block)));
        tracing::info!(target: "keeper::reconcile", tx = %tx.hash, kind = %tx.kind, nonce = tx.nonce, %result, ?block_number, "pending transaction reconciled with the chain");
        index.record_tx(&TxRecord {
            result,
            gas_used,
            block_number,
            ..tx.clone()
        })?;
        out.settled.push((tx.hash, result));
    }
    Ok(out)
}

async fn view(provider: &DynProvider, tx: &TxRecord, mined_nonces: u64) -> Result<ChainView, KeeperError> {
    let rpc = |method| move |source| KeeperError::Rpc { method, source };
    let receipt = provider
        .get_transaction_receipt(tx.hash)
        .await
        .map_err(rpc("eth_getTransactionReceipt"))?
        .and_then(|r| Some((r.status(), r.gas_used, r.block_number?)));
    let known = receipt.is_none()
        && tx.nonce >= mined_nonces
        && provider
            .get_transaction_by_hash(tx.hash)
            .await
            .map_err(rpc("eth_getTransactionByHash"))?
            .is_some();
    Ok(ChainView {
        receipt,
        mined_nonces,
        known,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTHING: ChainView = ChainView {
        receipt: None,
        mined_nonces: 5,
        known: false,
    };

    #[test]
    fn a_receipt_decides_whatever_the_nonce() {
        let mined = ChainView {
            receipt: Some((true, 60_000, 9)),
            ..NOTHING
        };
        assert_eq!(judge(4, mined), TxResult::Ok);
        let reverted = ChainView {
            receipt: Some((false, 30_000, 9)),
            ..NOTHING
        };
        assert_eq!(judge(4, reverted), TxResult::Reverted);
    }

    #[test]
    fn without_a_receipt_a_used_nonce_means_replaced_an_unused_one_pending_or_dropped() {
        assert_eq!(judge(4, NOTHING), TxResult::Replaced, "nonce 4 < 5 mined");
        assert_eq!(judge(5, NOTHING), TxResult::Dropped, "the node forgot it");
        let in_pool = ChainView { known: true, ..NOTHING };
        assert_eq!(judge(5, in_pool), TxResult::Pending, "still in the pool");
    }
}
