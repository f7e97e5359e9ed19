//! A rental's dispute as the dispute module tells it: its live record (`dispute(rentalId)`, while
//! open or ruled) and its events (opened, evidence, resolved, outcome paid, proven misbehaviour),
//! which stay after the record is deleted at resolution.

use alloy::{
    primitives::{Address, B256, U256},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use eyre::Result;
use protocol::bindings::{DisputeModule, IDisputeModule};
use serde_json::{json as j, Value};

use crate::{
    context::Ctx,
    events,
    token::Token,
    units::{format_bps, format_time},
};

/// `DisputeStatus` of the module: None, Open, Ruled.
const STATUS_OPEN: u8 = 1;
const STATUS_RULED: u8 = 2;

/// The renter's share of what is at stake (the cost of the seconds before the freeze not yet
/// paid out), in bps, for an arbitrator's ruling: r ≥ 1 gives r − 1 bps; 0 is a refusal (the
/// fallback then applies).
pub(crate) fn renter_share_of(ruling: u16) -> Option<u64> {
    (ruling >= 1).then(|| u64::from(ruling) - 1)
}

/// Where a rental's dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// No dispute was ever opened on the rental.
    None,
    /// Open, waiting for the arbitrator until the deadline.
    Open,
    /// Open and past its deadline without a ruling: the fallback applies (the billing rules).
    Expired,
    /// The arbitrator ruled: executable.
    Ruled,
    /// Executed (or closed by a proven objective dispute): the rental is closed.
    Resolved,
}

impl State {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Open => "open",
            Self::Expired => "expired",
            Self::Ruled => "ruled",
            Self::Resolved => "resolved",
        }
    }

    /// Whether `execute-ruling` can apply the outcome now.
    pub(crate) fn executable(self) -> bool {
        matches!(self, Self::Expired | Self::Ruled)
    }
}

/// The fallback in words, for a dispute nobody ruled on.
pub(crate) const FALLBACK: &str =
    "the billing rules apply as if no dispute had been opened: anyone settles the rental with the provider's final attestation (refund rules if none comes within the grace period), the dispute bond back to the opener";

/// A rental's dispute: the module's record and events.
#[derive(Debug, Clone)]
pub(crate) struct Dispute {
    pub(crate) state: State,
    pub(crate) module: Address,
    /// The module's live record (zeroed once resolved).
    pub(crate) record: IDisputeModule::Dispute,
    pub(crate) opened: Option<(DisputeModule::DisputeOpened, B256)>,
    /// (party, URI, tx) of each piece of evidence added after the opening.
    pub(crate) evidence: Vec<(Address, String, B256)>,
    pub(crate) resolved: Option<(DisputeModule::DisputeResolved, B256)>,
    pub(crate) outcome: Option<(DisputeModule::OutcomePaid, B256)>,
    /// A proven objective dispute (wrong GPU, equivocation) that closed the rental: what was slashed.
    pub(crate) slashed: Option<(DisputeModule::Slashed, B256)>,
}

/// Reads the dispute of rental `id` at the latest block (chain time `now`).
pub(crate) async fn of_rental(ctx: &Ctx, id: B256, now: u64) -> Result<Dispute> {
    let module = ctx.disputes().await?;
    let record = module
        .dispute(id)
        .call()
        .await
        .map_err(|e| ctx.call_error(e, "reading the rental's dispute"))?;
    let filter = Filter::new()
        .event_signature(vec![
            DisputeModule::DisputeOpened::SIGNATURE_HASH,
            DisputeModule::EvidenceSubmitted::SIGNATURE_HASH,
            DisputeModule::DisputeResolved::SIGNATURE_HASH,
            DisputeModule::OutcomePaid::SIGNATURE_HASH,
            DisputeModule::Slashed::SIGNATURE_HASH,
        ])
        .topic1(id);
    let mut dispute = Dispute {
        state: State::None,
        module: *module.address(),
        record,
        opened: None,
        evidence: Vec::new(),
        resolved: None,
        outcome: None,
        slashed: None,
    };
    for log in events::logs(ctx, *module.address(), filter).await? {
        let tx = log.transaction_hash.unwrap_or_default();
        let data = &log.inner.data;
        if let Ok(e) = DisputeModule::DisputeOpened::decode_log_data(data) {
            dispute.opened = Some((e, tx));
        } else if let Ok(e) = DisputeModule::EvidenceSubmitted::decode_log_data(data) {
            dispute.evidence.push((e.party, e.evidenceURI, tx));
        } else if let Ok(e) = DisputeModule::DisputeResolved::decode_log_data(data) {
            dispute.resolved = Some((e, tx));
        } else if let Ok(e) = DisputeModule::OutcomePaid::decode_log_data(data) {
            dispute.outcome = Some((e, tx));
        } else if let Ok(e) = DisputeModule::Slashed::decode_log_data(data) {
            dispute.slashed = Some((e, tx));
        }
    }
    dispute.state = match dispute.record.status {
        STATUS_RULED => State::Ruled,
        STATUS_OPEN if now >= dispute.record.deadline.to::<u64>() => State::Expired,
        STATUS_OPEN => State::Open,
        _ if dispute.outcome.is_some() || dispute.resolved.is_some() => State::Resolved,
        _ => State::None,
    };
    Ok(dispute)
}

impl Dispute {
    pub(crate) fn deadline(&self) -> u64 {
        match &self.opened {
            Some((o, _)) => o.deadline.to(),
            None => self.record.deadline.to(),
        }
    }

    /// Whether the dispute fell back to the billing rules: refused, or unruled past its deadline.
    pub(crate) fn fallback(&self) -> bool {
        self.state == State::Expired || (self.state == State::Ruled && self.record.ruling == 0)
    }

    /// The ruling in words: `renter 70 %, provider 30 %` or `refused (fallback …)`.
    pub(crate) fn ruling_text(&self) -> Option<String> {
        if self.state != State::Ruled {
            return None;
        }
        Some(match renter_share_of(self.record.ruling) {
            Some(bps) => format!(
                "renter {}, provider {} of the cost of the seconds before the freeze (the deposit for the rest goes back to the renter)",
                format_bps(bps),
                format_bps(10_000 - bps.min(10_000))
            ),
            None => format!("refused: {FALLBACK}"),
        })
    }

    /// The dispute as JSON, amounts in base units.
    pub(crate) fn to_json(&self) -> Value {
        let opened = self.opened.as_ref().map(|(o, tx)| {
            j!({
                "opener": o.opener,
                "arbitratorDisputeId": o.arbitratorDisputeId.to_string(),
                "bond": o.bond.to_string(),
                "deadline": o.deadline.to::<u64>(),
                "evidenceURI": o.evidenceURI,
                "tx": tx,
            })
        });
        let ruling = (self.state == State::Ruled).then(|| {
            j!({
                "ruling": self.record.ruling,
                "renterShareBps": renter_share_of(self.record.ruling),
                "refused": self.record.ruling == 0,
            })
        });
        let resolved = self.resolved.as_ref().map(|(r, tx)| {
            j!({
                "renterShareBps": r.renterShareBps.to_string(),
                "fallbackApplied": r.fallbackApplied,
                "bondTo": r.bondTo,
                "tx": tx,
            })
        });
        let outcome = self.outcome.as_ref().map(|(o, tx)| {
            j!({
                "toRenter": o.toRenter.to_string(),
                "toProvider": o.toProvider.to_string(),
                "fee": o.fee.to_string(),
                "tx": tx,
            })
        });
        let slashed = self.slashed.as_ref().map(|(s, tx)| {
            j!({
                "amount": s.amount.to_string(),
                "submitter": s.submitter,
                "bounty": s.bounty.to_string(),
                "toRenter": s.toRenter.to_string(),
                "tx": tx,
            })
        });
        j!({
            "state": self.state.name(),
            "executable": self.state.executable(),
            "module": self.module,
            "deadline": (self.opened.is_some() || self.record.status != 0).then(|| self.deadline()),
            "opened": opened,
            "evidence": self.evidence.iter().map(|(party, uri, tx)| j!({"party": party, "uri": uri, "tx": tx})).collect::<Vec<_>>(),
            "ruling": ruling,
            "resolved": resolved,
            "outcome": outcome,
            "slashed": slashed,
        })
    }

    /// What the renter got of the amount at stake when a ruling or proof closed the rental (the
    /// deposit for the seconds after the end came back besides: `RentalResolved.returned`).
    pub(crate) fn to_renter(&self) -> Option<U256> {
        self.outcome.as_ref().map(|(o, _)| o.toRenter)
    }

    /// `key: value` lines of the dispute for text output.
    pub(crate) fn lines(&self, token: &Token, rental: B256) -> Vec<(&'static str, String)> {
        let mut rows = vec![("dispute", self.state.name().to_owned())];
        if let Some((o, tx)) = &self.opened {
            rows.push(("opener", o.opener.to_string()));
            rows.push(("evidence", o.evidenceURI.clone()));
            rows.push(("dispute bond", token.show(o.bond)));
            rows.push(("arbitrator id", o.arbitratorDisputeId.to_string()));
            rows.push(("dispute tx", format!("{tx:#x}")));
        }
        for (party, uri, _) in &self.evidence {
            rows.push(("more evidence", format!("{uri} (from {party})")));
        }
        match self.state {
            State::Open => rows.push((
                "deadline",
                format!(
                    "{}: the arbitrator rules before it; after it {FALLBACK} (`gpu-escrow execute-ruling {rental:#x}`)",
                    format_time(self.deadline())
                ),
            )),
            State::Expired => rows.push((
                "deadline",
                format!(
                    "passed at {} without a ruling: {FALLBACK}; `gpu-escrow execute-ruling {rental:#x}` does it",
                    format_time(self.deadline())
                ),
            )),
            State::Ruled => {
                rows.push(("ruling", self.ruling_text().unwrap_or_default()));
                rows.push((
                    "next",
                    format!("anyone applies it: `gpu-escrow execute-ruling {rental:#x}`"),
                ));
            }
            State::Resolved | State::None => {}
        }
        if let Some((r, tx)) = &self.resolved {
            rows.push((
                "resolved",
                if r.fallbackApplied {
                    format!("by the billing rules (no ruling), dispute bond to {}", r.bondTo)
                } else {
                    format!(
                        "renter {} of what was at stake, dispute bond to {}",
                        format_bps(r.renterShareBps.to::<u64>()),
                        r.bondTo
                    )
                },
            ));
            rows.push(("resolve tx", format!("{tx:#x}")));
        }
        if let Some((s, tx)) = &self.slashed {
            rows.push((
                "slashed",
                format!(
                    "{} of the provider's bond: {} to the prover {}, {} to the renter",
                    token.show(s.amount),
                    token.show(s.bounty),
                    s.submitter,
                    token.show(s.toRenter)
                ),
            ));
            rows.push(("slash tx", format!("{tx:#x}")));
        }
        if let Some((o, _)) = &self.outcome {
            rows.push((
                "outcome",
                format!(
                    "{} to the renter, {} to the provider, {} fee",
                    token.show(o.toRenter),
                    token.show(o.toProvider),
                    token.show(o.fee)
                ),
            ));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rulings_map_to_renter_shares() {
        assert_eq!(renter_share_of(0), None);
        assert_eq!(renter_share_of(1), Some(0));
        assert_eq!(renter_share_of(10_001), Some(10_000));
        assert_eq!(renter_share_of(7_001), Some(7_000));
    }
}
