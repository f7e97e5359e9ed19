//! Contract reverts decoded into the error names of the escrow (`GpuEscrow_OfferNotFound(offerId: 9)`),
//! its dispute module, the committee arbitrator or the token, with their arguments; RPC failures
//! explained with what to check.

use alloy::{
    primitives::Bytes,
    sol_types::SolInterface,
    transports::{RpcError, TransportError},
};
use protocol::bindings::{
    CommitteeArbitrator::CommitteeArbitratorErrors, DisputeModule::DisputeModuleErrors, GpuEscrow::GpuEscrowErrors,
};

use crate::token::IErc20::IErc20Errors;

/// `Name(field: value, …)` of a revert's data, if the escrow, its dispute module, the committee
/// arbitrator or an ERC-20 defines that error.
pub(crate) fn decode_data(data: &[u8]) -> Option<String> {
    if let Ok(e) = GpuEscrowErrors::abi_decode(data) {
        return Some(pretty(&format!("{e:?}")));
    }
    if let Ok(e) = DisputeModuleErrors::abi_decode(data) {
        return Some(pretty(&format!("{e:?}")));
    }
    if let Ok(e) = CommitteeArbitratorErrors::abi_decode(data) {
        return Some(pretty(&format!("{e:?}")));
    }
    if let Ok(e) = IErc20Errors::abi_decode(data) {
        return Some(pretty(&format!("{e:?}")));
    }
    None
}

/// `Variant(Variant { a: 1, b: 2 })` → `Variant(a: 1, b: 2)`; `Variant(Variant)` → `Variant`.
fn pretty(debug: &str) -> String {
    let name = debug.split('(').next().unwrap_or(debug);
    match (debug.find('{'), debug.rfind('}')) {
        (Some(open), Some(close)) if close > open => {
            format!("{name}({})", debug[open + 1..close].trim())
        }
        _ => name.to_owned(),
    }
}

pub(crate) fn revert_data(err: &TransportError) -> Option<Bytes> {
    #[allow(clippy::redundant_closure_for_method_calls)] // the payload type is not re-exported by `alloy`
    err.as_error_resp().and_then(|payload| payload.as_revert_data())
}

/// A readable report for a failed RPC request made to do `what`.
pub(crate) fn explain_transport(err: &TransportError, what: &str, rpc_url: &str) -> eyre::Report {
    if let Some(data) = revert_data(err) {
        if let Some(decoded) = decode_data(&data) {
            return eyre::eyre!("{what} would revert: {decoded}");
        }
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
        assert_eq!(decode_data(&data).unwrap(), "GpuEscrow_OfferNotFound(offerId: 9)");
        let data = GpuEscrow::GpuEscrow_ZeroPrice {}.abi_encode();
        assert_eq!(decode_data(&data).unwrap(), "GpuEscrow_ZeroPrice");
        let data = crate::token::IErc20::ERC20InsufficientAllowance {
            spender: alloy::primitives::Address::ZERO,
            allowance: U256::from(1),
            needed: U256::from(2),
        }
        .abi_encode();
        assert!(decode_data(&data)
            .unwrap()
            .starts_with("ERC20InsufficientAllowance(spender: 0x0000000000000000000000000000000000000000"));
        let data = protocol::bindings::DisputeModule::DisputeModule_InvalidScore { score: 6 }.abi_encode();
        assert_eq!(decode_data(&data).unwrap(), "DisputeModule_InvalidScore(score: 6)");
        assert!(decode_data(&[1, 2, 3, 4]).is_none());
    }
}
