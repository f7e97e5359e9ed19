//! The transaction executor: simulates a call, sends it, awaits and records its receipt, and says
//! what came of it for the keeper ([`Outcome`]); a revert meaning "already closed" is success.

use alloy::{
    primitives::{Address, Bytes, B256},
    rpc::types::TransactionReceipt,
    sol_types::SolCall,
};
use protocol::{bindings::GpuEscrow::settleBatchCall, ContractError, EscrowError};

use super::Keeper;
use crate::{
    error::{KeeperError, TxError},
    index::{TxRecord, TxResult},
    tx::Mined,
};

impl Keeper {
    /// Simulates, sends, records. A revert meaning "already closed" is success for a keeper.
    pub(super) async fn execute(
        &mut self,
        to: Address,
        kind: &'static str,
        rentals: &[B256],
        input: Bytes,
    ) -> Result<Outcome, KeeperError> {
        match self.tx.simulate(to, &input).await {
            Ok(output) => {
                // Nothing would settle: every item would be skipped (`SettlementSkipped`).
                if kind == "settleBatch" && settleBatchCall::abi_decode_returns(&output).is_ok_and(|n| n.is_zero()) {
                    return Ok(Outcome::NothingSettles);
                }
            }
            Err(TxError::Reverted { error, reason }) => {
                if error.as_deref().is_some_and(ContractError::closed_by_someone_else) {
                    tracing::info!(target: "keeper::tx", kind, rentals = rentals.len(), "already closed by someone else");
                    return Ok(Outcome::AlreadyClosed);
                }
                if matches!(
                    error.as_deref(),
                    Some(ContractError::Escrow(EscrowError::GpuEscrow_RentalEnded(_)))
                ) {
                    // A checkpoint that came too late: the rental settles instead, in its own time.
                    tracing::info!(target: "keeper::tx", kind, rentals = ?rentals, "the rental ended meanwhile; it settles instead");
                    return Ok(Outcome::Ended);
                }
                self.metrics
                    .transactions
                    .with_label_values(&[kind, "simulation_reverted"])
                    .inc();
                tracing::warn!(target: "keeper::tx", kind, rentals = ?rentals, %reason, "simulation reverted; not sending");
                for id in rentals {
                    self.backoff(*id);
                }
                return Ok(Outcome::Failed);
            }
            Err(e) => {
                tracing::warn!(target: "keeper::tx", kind, error = %e, "simulation failed");
                return Ok(Outcome::Failed);
            }
        }
        let index = &self.index;
        let mut record_sent = |hash: B256, nonce: u64| {
            if let Err(e) = index.record_tx(&TxRecord::sent(hash, kind, nonce, rentals)) {
                // The transaction is out: its receipt is still awaited (and then recorded).
                tracing::error!(target: "keeper::tx", kind, tx = %hash, nonce, error = %e, "cannot record the sent transaction");
            }
        };
        let result = self.tx.send(to, input, &mut record_sent).await;
        match result {
            Ok(Mined {
                hash,
                nonce,
                receipt,
                bumps,
            }) => {
                let ok = receipt.status();
                let result = if ok { TxResult::Ok } else { TxResult::Reverted };
                let label = result.as_str();
                self.metrics.transactions.with_label_values(&[kind, label]).inc();
                self.metrics
                    .gas_used
                    .with_label_values(&[kind])
                    .inc_by(receipt.gas_used);
                self.index.record_tx(&TxRecord {
                    result,
                    gas_used: Some(receipt.gas_used),
                    block_number: receipt.block_number,
                    ..TxRecord::sent(hash, kind, nonce, rentals)
                })?;
                if bumps > 0 {
                    tracing::info!(target: "keeper::tx", kind, bumps, "mined after fee bumps");
                }
                if ok {
                    Ok(Outcome::Mined(Box::new(receipt)))
                } else {
                    // Lost a race between simulation and inclusion: the next round re-checks.
                    tracing::warn!(target: "keeper::tx", kind, tx = %hash, "mined but reverted (lost a race?)");
                    self.tx.resync();
                    Ok(Outcome::Failed)
                }
            }
            Err(TxError::Reverted { error, reason }) => {
                if error.as_deref().is_some_and(ContractError::closed_by_someone_else) {
                    return Ok(Outcome::AlreadyClosed);
                }
                self.metrics
                    .transactions
                    .with_label_values(&[kind, "simulation_reverted"])
                    .inc();
                tracing::warn!(target: "keeper::tx", kind, %reason, "gas estimation reverted; not sending");
                Ok(Outcome::Failed)
            }
            Err(e) => {
                self.metrics.transactions.with_label_values(&[kind, "failed"]).inc();
                tracing::warn!(target: "keeper::tx", kind, error = %e, "transaction failed; nonce resynced");
                Ok(Outcome::Failed)
            }
        }
    }
}

/// What came of a transaction.
pub(super) enum Outcome {
    /// Mined and succeeded.
    Mined(Box<TransactionReceipt>),
    /// Closed (or frozen) by someone else first: nothing left to do.
    AlreadyClosed,
    /// A batch whose every item the escrow would skip: not sent.
    NothingSettles,
    /// A checkpoint of a rental that ended meanwhile: it settles instead.
    Ended,
    /// Not done: the simulation reverted or the transaction failed; tried again later.
    Failed,
}
