//! `gpu-escrow`: the command line of the GPU rental escrow. Renters browse offers, rent, watch,
//! stop, settle, read receipts, dispute and rate; providers bond, register, publish offers and
//! collect earnings.
//! Every command works against any RPC; transactions are signed with an encrypted keystore (or a
//! raw key for local development).

mod args;
mod commands;
mod context;
mod disputes;
mod events;
mod oracle;
mod output;
mod revert;
mod signer;
mod token;
mod tx;
mod units;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::args::Cli;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("GPU_ESCROW_LOG").unwrap_or_else(|_| EnvFilter::new("warn")))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let cli = Cli::parse();
    match commands::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            for cause in err.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
