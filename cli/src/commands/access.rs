//! `access`: the connection details of a rental, which the provider's oracle gives only to the
//! renter, proven by an EIP-191 signature over the rental id and a fresh timestamp.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy::{hex, primitives::B256, signers::Signer};
use eyre::{bail, eyre, Result};
use protocol::oracle_api::{access_message, AccessAnswer};

use crate::{
    context::Ctx,
    events,
    oracle::{Access, Oracle},
    output::{fields, json, out},
};

pub(crate) async fn access(ctx: &Ctx, id: B256) -> Result<()> {
    let signer = ctx.signer()?;
    let rental = events::rental(ctx, id).await?;
    if rental.terms.renter != signer.address() {
        bail!(
            "only the renter {} can get access to rental {id}; you sign as {}",
            rental.terms.renter,
            signer.address()
        );
    }
    let oracle = Oracle::of_rental(ctx, &rental).await?;
    let mut answer = ask(ctx, &oracle, id).await?;
    if matches!(answer, Access::Replayed) {
        // A request signed in the same second as an earlier one is the same request to the
        // oracle (it remembers rental, timestamp and signer): sign again in the next second.
        let into_second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_millis();
        tokio::time::sleep(std::time::Duration::from_millis(u64::from(
            1_000 - into_second.min(999),
        )))
        .await;
        answer = ask(ctx, &oracle, id).await?;
    }
    match answer {
        Access::Replayed => bail!(
            "the provider's oracle refused the access request as already used; run `gpu-escrow access {id:#x}` again"
        ),
        Access::Answer(answer) if ctx.global.json => json(&answer),
        Access::Answer(AccessAnswer::Ready {
            rental_id,
            ssh,
            host,
            port,
            user,
            notes,
        }) => {
            let mut rows = vec![
                ("rental", format!("{rental_id:#x}")),
                ("host", host),
                ("port", port.to_string()),
                ("user", user),
            ];
            if !notes.is_empty() {
                rows.push(("notes", notes));
            }
            rows.push(("connect", ssh));
            out(&fields(&rows));
            Ok(())
        }
        Access::Answer(AccessAnswer::Provisioning {
            attempts, last_error, ..
        }) => {
            out(&format!(
                "still provisioning, attempt {attempts}, last error: {}; run `gpu-escrow access {id:#x}` again in a few seconds",
                last_error.as_deref().unwrap_or("none")
            ));
            Ok(())
        }
    }
}

/// Signs a request with the current time and sends it.
async fn ask(ctx: &Ctx, oracle: &Oracle, id: B256) -> Result<Access> {
    let signer = ctx.signer()?;
    // The oracle checks the timestamp against its own clock (within 60 s): the local clock, not the chain's.
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| eyre!("the system clock is before 1970"))?
        .as_secs();
    let message = access_message(ctx.chain_id, ctx.deployment.escrow, id, timestamp);
    let signature = signer
        .sign_message(message.as_bytes())
        .await
        .map_err(|e| eyre!("cannot sign the access request: {e}"))?;
    oracle
        .access(id, timestamp, &hex::encode_prefixed(signature.as_bytes()))
        .await
}
