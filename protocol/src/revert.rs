//! The contracts' custom errors, decoded from a revert's data or from the reason of a
//! `SettlementSkipped` log, into typed `sol!` errors: the escrow's (its `Errors` library, plus
//! what its ABI adds: OpenZeppelin's and `SignatureCheck`'s), its dispute module's and the
//! committee arbitrator's. Shared by the keeper (what to do about a skip or a revert) and the CLI
//! (readable refusals).

use std::fmt;

use alloy::{
    primitives::{Address, Bytes, LogData, B256},
    rpc::types::TransactionReceipt,
    sol_types::{SolEvent, SolInterface},
    transports::TransportError,
};

use crate::bindings::{
    CommitteeArbitrator::CommitteeArbitratorErrors, DisputeModule::DisputeModuleErrors,
    EscrowErrors::EscrowErrorsErrors, GpuEscrow, GpuEscrow::GpuEscrowErrors, MockERC20::MockERC20Errors,
};

/// Every `GpuEscrow_*` error of the escrow (`contracts/libraries/Errors.sol`).
pub type EscrowError = EscrowErrorsErrors;

/// `RentalStatus.Frozen`: a rental under a subjective dispute.
pub const RENTAL_FROZEN: u8 = 2;

/// A custom error of one of the contracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractError {
    /// The escrow's own errors (`GpuEscrow_*`).
    Escrow(EscrowError),
    /// What else the escrow may revert with: OpenZeppelin's (ownership, reentrancy, SafeERC20)
    /// and `SignatureCheck_InsufficientGas`.
    EscrowOther(GpuEscrowErrors),
    /// The dispute module's (`DisputeModule_*`).
    DisputeModule(DisputeModuleErrors),
    /// The committee arbitrator's (`CommitteeArbitrator_*`).
    Arbitrator(CommitteeArbitratorErrors),
    /// An OpenZeppelin ERC-20's (ERC-6093 `ERC20Insufficient*`, EIP-2612 `ERC2612*`), as the
    /// rental's token reverts a transfer or a permit.
    Token(MockERC20Errors),
}

impl ContractError {
    /// Decodes `data` (selector and arguments) as one of the contracts' errors.
    pub fn decode(data: &[u8]) -> Option<Self> {
        if let Ok(e) = EscrowError::abi_decode(data) {
            return Some(Self::Escrow(e));
        }
        if let Ok(e) = GpuEscrowErrors::abi_decode(data) {
            return Some(Self::EscrowOther(e));
        }
        if let Ok(e) = DisputeModuleErrors::abi_decode(data) {
            return Some(Self::DisputeModule(e));
        }
        if let Ok(e) = CommitteeArbitratorErrors::abi_decode(data) {
            return Some(Self::Arbitrator(e));
        }
        MockERC20Errors::abi_decode(data).ok().map(Self::Token)
    }

    /// The contracts' error in a failed RPC call (`eth_call`, `eth_estimateGas`), when the node
    /// returned revert data that decodes.
    pub fn from_transport(err: &TransportError) -> Option<Self> {
        #[allow(clippy::redundant_closure_for_method_calls)] // the payload type is not re-exported by `alloy`
        let data = err.as_error_resp().and_then(|payload| payload.as_revert_data())?;
        Self::decode(&data)
    }

    /// The error's name in the contract, e.g. `GpuEscrow_StaleSeq`.
    pub fn name(&self) -> &'static str {
        let name = match self {
            Self::Escrow(e) => EscrowError::name_by_selector(e.selector()),
            Self::EscrowOther(e) => GpuEscrowErrors::name_by_selector(e.selector()),
            Self::DisputeModule(e) => DisputeModuleErrors::name_by_selector(e.selector()),
            Self::Arbitrator(e) => CommitteeArbitratorErrors::name_by_selector(e.selector()),
            Self::Token(e) => MockERC20Errors::name_by_selector(e.selector()),
        };
        name.unwrap_or("unknown")
    }

    /// Whether the error says the rental (or its dispute) is no longer there to act on: closed
    /// (or frozen) by someone else first. For a keeper that is done, not a failure.
    pub fn closed_by_someone_else(&self) -> bool {
        matches!(
            self,
            Self::Escrow(EscrowError::GpuEscrow_RentalNotActive(_))
                | Self::DisputeModule(
                    DisputeModuleErrors::DisputeModule_RentalNotLive(_)
                        | DisputeModuleErrors::DisputeModule_NoDispute(_)
                )
        )
    }
}

impl fmt::Display for ContractError {
    /// `Name(field: value, …)`, or `Name` for an error without arguments.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let debug = match self {
            Self::Escrow(e) => format!("{e:?}"),
            Self::EscrowOther(e) => format!("{e:?}"),
            Self::DisputeModule(e) => format!("{e:?}"),
            Self::Arbitrator(e) => format!("{e:?}"),
            Self::Token(e) => format!("{e:?}"),
        };
        // The `sol!` enums print `Variant(Variant { a: 1, b: 2 })`.
        match (debug.find('{'), debug.rfind('}')) {
            (Some(open), Some(close)) if close > open => {
                write!(f, "{}({})", self.name(), debug[open + 1..close].trim())
            }
            _ => f.write_str(self.name()),
        }
    }
}

/// A rental that `settleBatch` left alone (`SettlementSkipped`), with the escrow's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedSettlement {
    /// The rental.
    pub rental_id: B256,
    /// The error `settle` would have reverted with, or the raw bytes if they do not decode.
    pub reason: Result<EscrowError, Bytes>,
}

impl SkippedSettlement {
    /// Decodes a `SettlementSkipped` log; `None` for any other log.
    pub fn from_log(log: &LogData) -> Option<Self> {
        let skipped = GpuEscrow::SettlementSkipped::decode_log_data(log).ok()?;
        let reason = EscrowError::abi_decode(&skipped.reason).map_err(|_| skipped.reason.clone());
        Some(Self {
            rental_id: skipped.rentalId,
            reason,
        })
    }

    /// Every `SettlementSkipped` the escrow at `escrow` logged in a transaction.
    pub fn in_receipt(receipt: &TransactionReceipt, escrow: Address) -> Vec<Self> {
        receipt
            .inner
            .logs()
            .iter()
            .filter(|log| log.address() == escrow)
            .filter_map(|log| Self::from_log(&log.inner.data))
            .collect()
    }

    /// The reason's error name (`GpuEscrow_StaleSeq`), `unknown` when it does not decode: a
    /// metric label.
    pub fn reason_name(&self) -> &'static str {
        match &self.reason {
            Ok(e) => ContractError::Escrow(e.clone()).name(),
            Err(_) => "unknown",
        }
    }

    /// Someone else closed the rental first (`GpuEscrow_RentalNotActive` with status None):
    /// nothing left to do.
    pub fn already_closed(&self) -> bool {
        matches!(&self.reason, Ok(EscrowError::GpuEscrow_RentalNotActive(e)) if e.status == 0)
    }

    /// A dispute froze the rental since (`GpuEscrow_RentalNotActive` with status Frozen): its
    /// dispute decides now.
    pub fn frozen(&self) -> bool {
        matches!(&self.reason, Ok(EscrowError::GpuEscrow_RentalNotActive(e)) if e.status == RENTAL_FROZEN)
    }
}

impl fmt::Display for SkippedSettlement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Ok(e) => ContractError::Escrow(e.clone()).fmt(f),
            Err(raw) => write!(f, "undecoded reason {raw}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{Address, U256},
        sol_types::SolError,
    };

    use super::*;
    use crate::bindings::{DisputeModule, EscrowErrors};

    #[test]
    fn escrow_errors_decode_with_names_and_arguments() {
        let data = EscrowErrors::GpuEscrow_OfferNotFound { offerId: 9 }.abi_encode();
        let e = ContractError::decode(&data).unwrap();
        assert_eq!(e.name(), "GpuEscrow_OfferNotFound");
        assert_eq!(e.to_string(), "GpuEscrow_OfferNotFound(offerId: 9)");
        let data = EscrowErrors::GpuEscrow_ZeroPrice {}.abi_encode();
        assert_eq!(ContractError::decode(&data).unwrap().to_string(), "GpuEscrow_ZeroPrice");
        // Only in the Errors library, not in the escrow's ABI: the settle checks returned as data.
        let data = EscrowErrors::GpuEscrow_StaleSeq {
            rentalId: B256::ZERO,
            seq: 1,
            lastSeq: 2,
        }
        .abi_encode();
        assert_eq!(ContractError::decode(&data).unwrap().name(), "GpuEscrow_StaleSeq");
        let data = GpuEscrow::SignatureCheck_InsufficientGas {
            gasLeft: U256::from(1),
            needed: U256::from(2),
        }
        .abi_encode();
        assert_eq!(
            ContractError::decode(&data).unwrap().to_string(),
            "SignatureCheck_InsufficientGas(gasLeft: 1, needed: 2)"
        );
        let data = DisputeModule::DisputeModule_FallbackNeedsAttestation {
            rentalId: B256::ZERO,
            refundableAt: U256::from(7),
        }
        .abi_encode();
        assert_eq!(
            ContractError::decode(&data).unwrap().name(),
            "DisputeModule_FallbackNeedsAttestation"
        );
        assert!(ContractError::decode(&[1, 2, 3, 4]).is_none());
    }

    fn skipped(reason: Vec<u8>) -> SkippedSettlement {
        let log = GpuEscrow::SettlementSkipped {
            rentalId: B256::with_last_byte(1),
            reason: reason.into(),
        }
        .encode_log_data();
        SkippedSettlement::from_log(&log).unwrap()
    }

    #[test]
    fn settlement_skipped_reasons_decode_into_the_escrow_errors() {
        let closed = skipped(
            EscrowErrors::GpuEscrow_RentalNotActive {
                rentalId: B256::with_last_byte(1),
                status: 0,
            }
            .abi_encode(),
        );
        assert_eq!(closed.rental_id, B256::with_last_byte(1));
        assert!(closed.already_closed() && !closed.frozen());
        assert_eq!(closed.reason_name(), "GpuEscrow_RentalNotActive");
        let frozen = skipped(
            EscrowErrors::GpuEscrow_RentalNotActive {
                rentalId: B256::with_last_byte(1),
                status: RENTAL_FROZEN,
            }
            .abi_encode(),
        );
        assert!(frozen.frozen() && !frozen.already_closed());
        let stale = skipped(
            EscrowErrors::GpuEscrow_StaleSeq {
                rentalId: B256::with_last_byte(1),
                seq: 3,
                lastSeq: 4,
            }
            .abi_encode(),
        );
        assert_eq!(stale.reason_name(), "GpuEscrow_StaleSeq");
        assert!(
            stale.to_string().starts_with("GpuEscrow_StaleSeq(rentalId: 0x"),
            "{stale}"
        );
        let garbage = skipped(vec![0xde, 0xad]);
        assert_eq!(garbage.reason_name(), "unknown");
        assert!(
            SkippedSettlement::from_log(&GpuEscrow::RentalFrozen { rentalId: B256::ZERO }.encode_log_data()).is_none()
        );
        let _ = Address::ZERO;
    }
}
