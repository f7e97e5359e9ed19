//! Closing and paying rentals by the billing rules: `refund` after end + grace, `settle` or
//! `settleBatch` with the final attestation after the challenge window (a batch the escrow partly
//! skipped, or would skip whole, is sorted out rental by rental), and `checkpoint` of long
//! running rentals.

use alloy::{
    primitives::{Bytes, B256},
    rpc::types::TransactionReceipt,
    sol_types::{SolCall, SolEvent},
};
use protocol::{
    acceptance::Purpose,
    bindings::GpuEscrow::{self, checkpointCall, refundCall, settleBatchCall, settleCall},
    ContractError, SkippedSettlement, Usage,
};

use super::{executor::Outcome, oracles::Answers, Keeper, TickReport};
use crate::{
    error::{KeeperError, TxError},
    index::IndexedRental,
};

impl Keeper {
    pub(super) async fn refund_all(
        &mut self,
        rentals: Vec<IndexedRental>,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        for rental in rentals {
            let input: Bytes = refundCall {
                terms: rental.terms.clone(),
            }
            .abi_encode()
            .into();
            match self.execute(self.escrow, "refund", &[rental.id], input).await? {
                Outcome::Mined(receipt) => {
                    report.refunded +=
                        self.count_closed::<GpuEscrow::RentalRefunded>("refund", &receipt, &[rental.id], report);
                    self.mark_done(rental.id);
                    tracing::info!(target: "keeper::refund", rental = %rental.id, tx = %receipt.transaction_hash, "refunded");
                }
                Outcome::AlreadyClosed => {
                    report.already_closed += 1;
                    self.mark_done(rental.id);
                }
                Outcome::Failed | Outcome::NothingSettles | Outcome::Ended => report.failures += 1,
            }
        }
        Ok(())
    }

    /// Settles `rentals` with their oracles' `answers` (or stored attestations), in batches of
    /// `batch_size`; proves a provider's misbehaviour instead where the evidence shows it.
    pub(super) async fn settle_all(
        &mut self,
        rentals: Vec<IndexedRental>,
        answers: &mut Answers,
        now: u64,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        let mut ready: Vec<(IndexedRental, Usage, Bytes)> = Vec::new();
        for rental in rentals {
            let signed = self.attestation_for(&rental, answers.remove(&rental.id), now, Purpose::Settle)?;
            if self.prove_misbehaviour(&rental, report).await? {
                continue;
            }
            if let Some(signed) = signed {
                let (usage, signature) = signed.onchain_usage();
                ready.push((rental, usage, signature));
            } else {
                report.failures += 1;
                self.backoff(rental.id);
            }
        }
        let mut ready = ready.into_iter().peekable();
        while ready.peek().is_some() {
            let chunk: Vec<_> = ready.by_ref().take(self.settings.batch_size).collect();
            let ids: Vec<B256> = chunk.iter().map(|(r, _, _)| r.id).collect();
            let (kind, input): (&'static str, Bytes) = if let [(rental, usage, signature)] = chunk.as_slice() {
                let call = settleCall {
                    terms: rental.terms.clone(),
                    usage: usage.clone(),
                    signature: signature.clone(),
                };
                ("settle", call.abi_encode().into())
            } else {
                let call = settleBatchCall {
                    terms: chunk.iter().map(|c| c.0.terms.clone()).collect(),
                    usages: chunk.iter().map(|c| c.1.clone()).collect(),
                    signatures: chunk.iter().map(|c| c.2.clone()).collect(),
                };
                ("settleBatch", call.abi_encode().into())
            };
            match self.execute(self.escrow, kind, &ids, input).await? {
                Outcome::Mined(receipt) => {
                    let n = self.count_closed::<GpuEscrow::RentalSettled>("settle", &receipt, &ids, report);
                    report.settled += n;
                    let skipped = SkippedSettlement::in_receipt(&receipt, self.escrow);
                    for id in ids.iter().filter(|id| !skipped.iter().any(|s| s.rental_id == **id)) {
                        self.mark_done(*id);
                    }
                    for skip in &skipped {
                        report.skipped += 1;
                        self.metrics
                            .settlements_skipped
                            .with_label_values(&[skip.reason_name()])
                            .inc();
                        self.settlement_refused(skip.rental_id, skip.already_closed() || skip.frozen(), skip, report);
                    }
                    tracing::info!(target: "keeper::settle", kind, settled = n, skipped = skipped.len(), rentals = ids.len(), gas = receipt.gas_used, tx = %receipt.transaction_hash, "settled");
                }
                Outcome::AlreadyClosed => {
                    report.already_closed += ids.len();
                    for id in &ids {
                        self.mark_done(*id);
                    }
                }
                Outcome::NothingSettles => self.diagnose(chunk, report).await?,
                Outcome::Failed | Outcome::Ended => report.failures += ids.len(),
            }
        }
        Ok(())
    }

    /// Counts a mined closing transaction (`how`: refund or settle) in `report`, and the rentals it
    /// closed (its `E` events about `rentals`) in the `rentals_closed` metric; returns how many.
    fn count_closed<E: SolEvent>(
        &self,
        how: &'static str,
        receipt: &TransactionReceipt,
        rentals: &[B256],
        report: &mut TickReport,
    ) -> usize {
        let n = count_logs::<E>(receipt, rentals);
        report.txs += 1;
        report.gas_used += receipt.gas_used;
        self.metrics.rentals_closed.with_label_values(&[how]).inc_by(n as u64);
        n
    }

    /// A settlement the escrow did not make (a batch item it skipped, or one whose simulation
    /// reverts): done when someone else closed the rental or a dispute froze it first (its
    /// dispute decides now); otherwise retried after the backoff, with a fresh attestation.
    fn settlement_refused(&mut self, id: B256, closed: bool, reason: &dyn std::fmt::Display, report: &mut TickReport) {
        if closed {
            report.already_closed += 1;
            self.mark_done(id);
            tracing::info!(target: "keeper::settle", rental = %id, %reason, "not settled: closed or frozen by someone else first");
        } else {
            report.failures += 1;
            self.backoff(id);
            tracing::warn!(target: "keeper::settle", rental = %id, %reason, "the escrow refused the settlement; retrying after the backoff");
        }
    }

    /// When a batch would settle nothing, finds out why from each settlement alone.
    async fn diagnose(
        &mut self,
        chunk: Vec<(IndexedRental, Usage, Bytes)>,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        for (rental, usage, signature) in chunk {
            let single: Bytes = settleCall {
                terms: rental.terms.clone(),
                usage,
                signature,
            }
            .abi_encode()
            .into();
            match self.tx.simulate(self.escrow, &single).await {
                // Settleable alone after all (the chain moved on): the next round settles it.
                Ok(_) => {}
                Err(TxError::Reverted { error, reason }) => {
                    let closed = error.as_deref().is_some_and(ContractError::closed_by_someone_else);
                    self.settlement_refused(rental.id, closed, &reason, report);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Checkpoints `rentals` with the newest stored attestation past its challenge window (their
    /// oracles' `answers` stored first); proves a provider's misbehaviour instead where the
    /// evidence shows it.
    pub(super) async fn checkpoint_all(
        &mut self,
        rentals: Vec<IndexedRental>,
        answers: &mut Answers,
        now: u64,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        for rental in rentals {
            // Store the latest; checkpoint with the newest stored one whose challenge window is over.
            let _latest = self.attestation_for(&rental, answers.remove(&rental.id), now, Purpose::Checkpoint)?;
            if self.prove_misbehaviour(&rental, report).await? {
                continue;
            }
            let window = u64::from(rental.terms.challengeWindow);
            let usable = self.index.attestations(rental.id)?.into_iter().find(|a| {
                a.attestation.periodEnd + window <= now
                    && a.attestation.uptimeSeconds > rental.paid_seconds
                    && rental
                        .check_attestation(a, &self.domain, now, Purpose::Checkpoint)
                        .is_ok()
            });
            let Some(signed) = usable else {
                tracing::debug!(target: "keeper::checkpoint", rental = %rental.id, "no attestation past its challenge window yet");
                continue;
            };
            let (usage, signature) = signed.onchain_usage();
            let input: Bytes = checkpointCall {
                terms: rental.terms.clone(),
                usage,
                signature,
            }
            .abi_encode()
            .into();
            match self.execute(self.escrow, "checkpoint", &[rental.id], input).await? {
                Outcome::Mined(receipt) => {
                    report.checkpointed += count_logs::<GpuEscrow::Checkpointed>(&receipt, &[rental.id]);
                    report.txs += 1;
                    report.gas_used += receipt.gas_used;
                    tracing::info!(target: "keeper::checkpoint", rental = %rental.id, seq = signed.attestation.seq, tx = %receipt.transaction_hash, "checkpointed");
                }
                Outcome::AlreadyClosed => report.already_closed += 1,
                Outcome::Ended => {}
                Outcome::Failed | Outcome::NothingSettles => report.failures += 1,
            }
        }
        Ok(())
    }
}

/// How many logs of event `E` about one of `rentals` the receipt holds.
fn count_logs<E: SolEvent>(receipt: &TransactionReceipt, rentals: &[B256]) -> usize {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.topics().first() == Some(&E::SIGNATURE_HASH))
        .filter(|log| log.topics().get(1).is_some_and(|id| rentals.contains(id)))
        .count()
}
