//! Sending a transaction: simulate first (a revert is decoded before anything is signed), send,
//! then wait for the receipt with a progress indicator on stderr.

use std::{io::IsTerminal, time::Duration};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    primitives::{Address, U256},
    providers::DynProvider,
    rpc::types::TransactionReceipt,
};
use eyre::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    context::Ctx,
    output::note,
    token::{IErc20, Token},
};

/// How long to wait for a receipt before giving up (the transaction may still be mined later).
const RECEIPT_TIMEOUT: Duration = Duration::from_mins(5);

/// Simulates, sends and waits for `call`; `what` names it in progress and errors.
pub(crate) async fn send<D: CallDecoder>(
    ctx: &Ctx,
    what: &str,
    call: CallBuilder<&DynProvider, D>,
) -> Result<TransactionReceipt> {
    ctx.signer()?;
    let gas = call.estimate_gas().await.map_err(|e| ctx.call_error(e, what))?;
    let pending = call
        .gas(gas.saturating_mul(12) / 10 + 10_000)
        .send()
        .await
        .map_err(|e| ctx.call_error(e, &format!("sending {what}")))?;
    let hash = *pending.tx_hash();
    let spinner = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!("{what}: waiting for {hash} to be mined"));
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    if spinner.is_none() {
        note(&format!("{what}: sent {hash}, waiting for the receipt"));
    }
    let receipt = pending.with_timeout(Some(RECEIPT_TIMEOUT)).get_receipt().await;
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let receipt = match receipt {
        Ok(r) => r,
        Err(e) => bail!(
            "{what}: no receipt for {hash} within {} s ({e}); it may still be mined: check it on a block explorer before retrying",
            RECEIPT_TIMEOUT.as_secs()
        ),
    };
    if !receipt.status() {
        bail!(
            "{what}: transaction {hash} was mined but reverted (block {}); the state changed since the simulation, run the command again",
            receipt.block_number.unwrap_or_default()
        );
    }
    note(&format!(
        "{what}: mined in block {} ({hash})",
        receipt.block_number.unwrap_or_default()
    ));
    Ok(receipt)
}

/// Approves exactly `amount` of `token` for `spender` (named `to_whom` in progress) when the
/// signer's allowance is short of it: never an unlimited approval.
pub(crate) async fn approve_exact(
    ctx: &Ctx,
    token: &Token,
    spender: Address,
    to_whom: &str,
    amount: U256,
) -> Result<()> {
    let owner = ctx.me()?;
    let allowance = token.allowance(&ctx.provider, owner, spender).await?;
    if allowance >= amount {
        return Ok(());
    }
    let erc20 = IErc20::new(token.address, ctx.provider.clone());
    send(
        ctx,
        &format!("approve {} for {to_whom}", token.show(amount)),
        erc20.approve(spender, amount),
    )
    .await?;
    Ok(())
}
