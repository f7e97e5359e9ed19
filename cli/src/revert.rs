//! Contract reverts decoded into the error names of the escrow (`GpuEscrow_OfferNotFound(offerId: 9)`),
//! its dispute module, the committee arbitrator (`protocol::ContractError`) or the token, with their
//! arguments and, for the errors a user meets most, what to do; RPC failures explained with what
//! to check.

use alloy::transports::{RpcError, TransportError};
use protocol::{
    bindings::DisputeModule::DisputeModuleErrors,
    revert::{ContractError, EscrowError},
};

/// `Name(field: value, …)` of a contract error, with a hint for the errors that need one.
fn describe(e: &ContractError) -> String {
    match hint(e) {
        Some(hint) => format!("{e} ({hint})"),
        None => e.to_string(),
    }
}

/// What to do about the errors the money rules added.
fn hint(e: &ContractError) -> Option<String> {
    Some(match e {
        ContractError::Escrow(EscrowError::GpuEscrow_OfferSuspended(_)) => {
            "the provider's bond is below the minimum: the offer takes no new rentals until it is topped up".into()
        }
        ContractError::Escrow(EscrowError::GpuEscrow_RentalNotFrozen(_)) => {
            "the rental is not under a dispute".into()
        }
        ContractError::Escrow(EscrowError::GpuEscrow_RentalEnded(_)) => {
            "the rental has ended: settle it instead".into()
        }
        ContractError::EscrowOther(_) if e.name() == "SignatureCheck_InsufficientGas" => {
            "the attester is a contract wallet: send the transaction with more gas".into()
        }
        ContractError::DisputeModule(DisputeModuleErrors::DisputeModule_NoFallback(_)) => {
            "the arbitrator gave a ruling: execute it with `gpu-escrow execute-ruling`".into()
        }
        ContractError::DisputeModule(DisputeModuleErrors::DisputeModule_FallbackNeedsAttestation(x)) => format!(
            "no ruling came, so the rental settles by the billing rules with the provider's final attestation; without one it can be refunded from {}",
            crate::units::format_time(x.refundableAt.saturating_to())
        ),
        _ => return None,
    })
}

/// A readable report for a failed RPC request made to do `what`.
pub(crate) fn explain_transport(err: &TransportError, what: &str, rpc_url: &str) -> eyre::Report {
    if let Some(e) = ContractError::from_transport(err) {
        return eyre::eyre!("{what} would revert: {}", describe(&e));
    }
    #[allow(clippy::redundant_closure_for_method_calls)] // the payload type is not re-exported by `alloy`
    if let Some(data) = err.as_error_resp().and_then(|payload| payload.as_revert_data()) {
        return eyre::eyre!("{what} would revert with unknown data {data}");
    }
    match err {
        RpcError::ErrorResp(payload) => eyre::eyre!("{what} failed: the node answered: {}", payload.message),
        RpcError::Transport(_) => eyre::eyre!(
            "{what} failed: cannot reach the RPC at {rpc_url} ({err}); check --rpc-url (GPU_ESCROW_RPC_URL) and that the node is running"
        ),
        _ => eyre::eyre!("{what} failed: {err}"),
    }
}

/// A readable report for a failed contract call made to do `what`.
pub(crate) fn explain_contract(err: alloy::contract::Error, what: &str, rpc_url: &str) -> eyre::Report {
    match err {
        alloy::contract::Error::TransportError(e) => explain_transport(&e, what, rpc_url),
        other => eyre::eyre!("{what} failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use alloy::{primitives::U256, sol_types::SolError};
    use protocol::bindings::GpuEscrow;

    use super::*;

    #[test]
    fn escrow_errors_decode_with_names_and_arguments() {
        let data = GpuEscrow::GpuEscrow_OfferNotFound { offerId: 9 }.abi_encode();
        assert_eq!(
            ContractError::decode(&data).map(|e| describe(&e)).unwrap(),
            "GpuEscrow_OfferNotFound(offerId: 9)"
        );
        let data = GpuEscrow::GpuEscrow_OfferSuspended { offerId: 9 }.abi_encode();
        assert!(ContractError::decode(&data)
            .map(|e| describe(&e))
            .unwrap()
            .starts_with("GpuEscrow_OfferSuspended(offerId: 9) (the provider's bond is below the minimum"));
        let data = protocol::bindings::DisputeModule::DisputeModule_FallbackNeedsAttestation {
            rentalId: alloy::primitives::B256::ZERO,
            refundableAt: U256::from(1_700_000_000),
        }
        .abi_encode();
        assert!(ContractError::decode(&data)
            .map(|e| describe(&e))
            .unwrap()
            .contains("without one it can be refunded from"));
        let data = protocol::bindings::EscrowErrors::GpuEscrow_StaleSeq {
            rentalId: alloy::primitives::B256::ZERO,
            seq: 1,
            lastSeq: 2,
        }
        .abi_encode();
        assert!(ContractError::decode(&data)
            .map(|e| describe(&e))
            .unwrap()
            .starts_with("GpuEscrow_StaleSeq(rentalId: 0x"));
        let data = GpuEscrow::GpuEscrow_ZeroPrice {}.abi_encode();
        assert_eq!(
            ContractError::decode(&data).map(|e| describe(&e)).unwrap(),
            "GpuEscrow_ZeroPrice"
        );
        let data = crate::token::IErc20::ERC20InsufficientAllowance {
            spender: alloy::primitives::Address::ZERO,
            allowance: U256::from(1),
            needed: U256::from(2),
        }
        .abi_encode();
        assert!(ContractError::decode(&data)
            .map(|e| describe(&e))
            .unwrap()
            .starts_with("ERC20InsufficientAllowance(spender: 0x0000000000000000000000000000000000000000"));
        let data = protocol::bindings::DisputeModule::DisputeModule_InvalidScore { score: 6 }.abi_encode();
        assert_eq!(
            ContractError::decode(&data).map(|e| describe(&e)).unwrap(),
            "DisputeModule_InvalidScore(score: 6)"
        );
        assert!(ContractError::decode(&[1, 2, 3, 4]).is_none());
    }
}
