//! The dispute work: proving a provider's misbehaviour from the attestations the keeper stored
//! (`proveEquivocation`, `proveWrongGpu`), and executing dispute outcomes: a ruling
//! (`executeRuling`), or the fallback of an unruled one (`settleFallback` with the final
//! attestation, or the refund rules).

use std::time::Instant;

use alloy::{
    primitives::{Address, Bytes, B256},
    rpc::types::TransactionReceipt,
    sol_types::SolCall,
};
use protocol::{
    acceptance::{self, Purpose},
    bindings::DisputeModule::{self, executeRulingCall, proveEquivocationCall, proveWrongGpuCall, settleFallbackCall},
};

use super::{executor::Outcome, Keeper, TickReport};
use crate::{
    error::KeeperError,
    index::{Dispute, IndexedRental},
};

impl Keeper {
    /// Proves the provider's misbehaviour from the stored attestations of `rental`, if they hold
    /// evidence: a contradicting pair (`proveEquivocation`, whole bond slashed) or one of another
    /// GPU model than the offer's (`proveWrongGpu`). `true` when the rental is closed by it (or
    /// was already), so it must not be settled.
    pub(super) async fn prove_misbehaviour(
        &mut self,
        rental: &IndexedRental,
        report: &mut TickReport,
    ) -> Result<bool, KeeperError> {
        let stored = self.index.attestations(rental.id)?;
        let terms = DisputeModule::RentalTerms::from(&rental.terms);
        let (kind, label, input): (&'static str, &'static str, Bytes) = if let Some((a, b)) =
            acceptance::find_contradiction(&stored)
        {
            tracing::warn!(target: "keeper::dispute", rental = %rental.id, seq_a = a.attestation.seq, seq_b = b.attestation.seq,
                    uptime_a = a.attestation.uptimeSeconds, uptime_b = b.attestation.uptimeSeconds, "attester signed contradicting attestations");
            let ((usage_a, sig_a), (usage_b, sig_b)) = (a.onchain_usage(), b.onchain_usage());
            let call = proveEquivocationCall {
                terms,
                a: (&usage_a).into(),
                signatureA: sig_a,
                b: (&usage_b).into(),
                signatureB: sig_b,
            };
            ("proveEquivocation", "equivocation", call.abi_encode().into())
        } else if let Some(wrong) = stored
            .iter()
            .find(|s| !rental.offer_model_hash.is_zero() && s.attestation.gpuModelHash != rental.offer_model_hash)
        {
            tracing::warn!(target: "keeper::dispute", rental = %rental.id, seq = wrong.attestation.seq,
                    attested = %wrong.attestation.gpuModelHash, offered = %rental.offer_model_hash, "attester signed another GPU model than the offer's");
            let (usage, signature) = wrong.onchain_usage();
            let call = proveWrongGpuCall {
                terms,
                usage: (&usage).into(),
                signature,
            };
            ("proveWrongGpu", "wrong_gpu", call.abi_encode().into())
        } else {
            return Ok(false);
        };
        let Some(module) = self.dispute_module else {
            tracing::warn!(target: "keeper::dispute", rental = %rental.id, kind, "the escrow has no dispute module; cannot submit the proof");
            self.backoff(rental.id);
            return Ok(true);
        };
        let outcome = self.execute(module, kind, &[rental.id], input).await?;
        if let Some(receipt) = self.record_dispute(rental.id, label, "proven", outcome, report) {
            report.proven += 1;
            tracing::info!(target: "keeper::dispute", rental = %rental.id, kind, tx = %receipt.transaction_hash, "proof accepted; provider slashed, renter refunded");
        }
        Ok(true)
    }

    /// Executes the outcome of every indexed dispute that is ruled or past its deadline: a ruling
    /// with `executeRuling`, a fallback with [`Self::fall_back`].
    pub(super) async fn execute_rulings(&mut self, now: u64, report: &mut TickReport) -> Result<(), KeeperError> {
        let Some(module) = self.dispute_module else {
            return Ok(());
        };
        let wall = Instant::now();
        for Dispute {
            rental,
            arbitrator_dispute_id,
            deadline,
            ruling,
        } in self.index.pending_disputes()?
        {
            let waiting = |t: Option<&Instant>| t.is_some_and(|t| *t > wall);
            if waiting(self.done.get(&rental.id))
                || waiting(self.retry_at.get(&rental.id))
                || self.in_flight.contains(&rental.id)
            {
                continue;
            }
            let fallback = match ruling {
                Some(r) => r == 0,
                None if now >= deadline => true,
                None => continue,
            };
            if fallback {
                self.fall_back(module, &rental, now, report).await?;
                continue;
            }
            let outcome = self.execute_ruling(module, &rental).await?;
            if let Some(receipt) = self.record_dispute(rental.id, "ruling", "executed", outcome, report) {
                report.rulings_executed += 1;
                tracing::info!(target: "keeper::dispute", rental = %rental.id, dispute = %arbitrator_dispute_id, ?ruling, deadline, tx = %receipt.transaction_hash, "ruling executed");
            }
        }
        Ok(())
    }

    /// A dispute nobody ruled on (refused, or no ruling by its deadline) falls back to the billing
    /// rules: the keeper settles the rental with the provider's final attestation
    /// (`settleFallback`), or, when none came by the fallback's start plus the rental's grace
    /// period, closes it by the refund rules (`executeRuling`).
    async fn fall_back(
        &mut self,
        module: Address,
        rental: &IndexedRental,
        now: u64,
        report: &mut TickReport,
    ) -> Result<(), KeeperError> {
        let signed = self.fetch_attestation_for(rental, now, Purpose::Settle).await?;
        if self.prove_misbehaviour(rental, report).await? {
            return Ok(());
        }
        if let Some(signed) = signed {
            let (usage, signature) = signed.onchain_usage();
            let input: Bytes = settleFallbackCall {
                terms: (&rental.terms).into(),
                usage: (&usage).into(),
                signature,
            }
            .abi_encode()
            .into();
            let outcome = self.execute(module, "settleFallback", &[rental.id], input).await?;
            if let Some(receipt) = self.record_dispute(rental.id, "fallback", "settled", outcome, report) {
                report.rulings_executed += 1;
                tracing::info!(target: "keeper::dispute", rental = %rental.id, seq = signed.attestation.seq, tx = %receipt.transaction_hash, "no ruling: settled by the billing rules with the final attestation");
            }
            return Ok(());
        }
        // The fallback starts at the ruling deadline, or at a refusal (the module then stores its time as the deadline).
        let record = DisputeModule::new(module, &self.provider)
            .dispute(rental.id)
            .call()
            .await
            .map_err(|e| KeeperError::Call {
                what: "the dispute module's dispute",
                source: Box::new(e),
            })?;
        let refundable_at = record.deadline.to::<u64>() + u64::from(rental.terms.gracePeriod) + 1;
        if now < refundable_at {
            tracing::info!(target: "keeper::dispute", rental = %rental.id, refundable_at, "no ruling and no final attestation yet; refundable from then");
            self.backoff(rental.id);
            return Ok(());
        }
        let outcome = self.execute_ruling(module, rental).await?;
        if let Some(receipt) = self.record_dispute(rental.id, "fallback", "executed", outcome, report) {
            report.rulings_executed += 1;
            tracing::info!(target: "keeper::dispute", rental = %rental.id, tx = %receipt.transaction_hash, "no ruling and no final attestation: closed by the refund rules");
        }
        Ok(())
    }

    async fn execute_ruling(&mut self, module: Address, rental: &IndexedRental) -> Result<Outcome, KeeperError> {
        let input: Bytes = executeRulingCall {
            terms: (&rental.terms).into(),
        }
        .abi_encode()
        .into();
        self.execute(module, "executeRuling", &[rental.id], input).await
    }

    /// Counts the outcome of a dispute transaction on `rental` (a proof or an executed ruling) in
    /// the report and in the disputes metric under `label`, a mined one as `mined`; the rental is
    /// done unless the transaction failed. Returns the receipt of a mined one.
    fn record_dispute(
        &mut self,
        rental: B256,
        label: &str,
        mined: &str,
        outcome: Outcome,
        report: &mut TickReport,
    ) -> Option<Box<TransactionReceipt>> {
        let (result, receipt) = match outcome {
            Outcome::Mined(receipt) => {
                report.txs += 1;
                report.gas_used += receipt.gas_used;
                self.mark_done(rental);
                (mined, Some(receipt))
            }
            Outcome::AlreadyClosed => {
                report.already_closed += 1;
                self.mark_done(rental);
                ("already_closed", None)
            }
            Outcome::Failed | Outcome::NothingSettles | Outcome::Ended => {
                report.failures += 1;
                ("failed", None)
            }
        };
        self.metrics.disputes.with_label_values(&[label, result]).inc();
        receipt
    }
}
