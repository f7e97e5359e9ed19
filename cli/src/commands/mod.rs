//! One module per group of commands; [`run`] dispatches.

mod access;
mod bond;
mod dispute;
pub(crate) mod offers;
mod provider;
mod receipt;
mod rent;
mod settle;
mod status;

use eyre::Result;

use crate::{
    args::{Cli, Command, OfferCommand},
    context::Ctx,
};

/// Whether the command needs the signer (read-only commands never ask for a keystore password).
fn signs(command: &Command) -> bool {
    match command {
        Command::Offers(_) | Command::Status(_) | Command::Receipt(_) | Command::DisputeStatus(_) => false,
        Command::History(a) => a.renter.is_none(),
        Command::Earnings(a) => a.provider.is_none(),
        Command::BondStatus(a) => a.provider.is_none(),
        _ => true,
    }
}

/// Connects and runs the command.
pub(crate) async fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx::connect(cli.global, signs(&cli.command)).await?;
    match cli.command {
        Command::Offers(a) => offers::offers(&ctx, a).await,
        Command::Rent(a) => rent::rent(&ctx, a).await,
        Command::Status(a) => status::status(&ctx, a).await,
        Command::Extend(a) => rent::extend(&ctx, a).await,
        Command::Stop(a) => settle::stop(&ctx, a).await,
        Command::Settle(a) => settle::settle(&ctx, a.rental).await,
        Command::Receipt(a) => receipt::receipt(&ctx, a.rental).await,
        Command::History(a) => receipt::history(&ctx, a).await,
        Command::Access(a) => access::access(&ctx, a.rental).await,
        Command::Register(a) => provider::register(&ctx, a).await,
        Command::Offer(OfferCommand::Create(a)) => provider::create_offer(&ctx, a).await,
        Command::Offer(OfferCommand::UpdatePrice(a)) => provider::update_price(&ctx, a).await,
        Command::Offer(OfferCommand::Capacity(a)) => provider::set_capacity(&ctx, a).await,
        Command::Offer(OfferCommand::Retire(a)) => provider::retire(&ctx, a.offer).await,
        Command::Earnings(a) => provider::earnings(&ctx, a).await,
        Command::Claim(a) => provider::claim(&ctx, a.offer).await,
        Command::Withdraw(a) => provider::withdraw(&ctx, a).await,
        Command::Dispute(a) => dispute::open(&ctx, a).await,
        Command::Evidence(a) => dispute::evidence(&ctx, a).await,
        Command::DisputeStatus(a) => dispute::status(&ctx, a.rental).await,
        Command::ExecuteRuling(a) => dispute::execute(&ctx, a.rental).await,
        Command::Rate(a) => dispute::rate(&ctx, a).await,
        Command::ProveWrongGpu(a) => dispute::prove_wrong_gpu(&ctx, a.rental).await,
        Command::Bond(a) => bond::bond(&ctx, a).await,
        Command::Unbond(a) => bond::unbond(&ctx, a).await,
        Command::WithdrawBond(a) => bond::withdraw_bond(&ctx, a).await,
        Command::BondStatus(a) => bond::bond_status(&ctx, a).await,
    }
}
