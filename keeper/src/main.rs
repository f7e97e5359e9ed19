//! `gpu-keeper`: run the keeper, show what is due, or rebuild the index.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand};
use eyre::WrapErr;
use keeper::{
    config::{METRICS_SECTION, PASSWORD_ENV},
    index::TxResult,
    Keeper, Metrics, Settings,
};
use tracing_subscriber::EnvFilter;

/// Keeper of the GPU rental escrow.
#[derive(Debug, Parser)]
#[command(name = "gpu-keeper", version, about)]
struct Cli {
    #[command(flatten)]
    flags: Flags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Follow the chain and settle, checkpoint and refund due rentals until SIGINT/SIGTERM.
    Run,
    /// Sync the index and print what is due for each running rental, and why.
    Status,
    /// Forget the chain data in the index and rebuild it from the chain.
    Reindex,
}

/// Flags override `GPU_KEEPER_*` variables, which override the config file.
#[derive(Debug, Args)]
struct Flags {
    /// TOML config file.
    #[arg(long, short, global = true)]
    config: Option<PathBuf>,
    /// JSON-RPC URL.
    #[arg(long, global = true)]
    rpc_url: Option<String>,
    /// Expected chain id.
    #[arg(long, global = true)]
    chain_id: Option<u64>,
    /// Escrow address (else read from `deployments/<chainId>.json`).
    #[arg(long, global = true)]
    escrow: Option<String>,
    /// Folder of deployment files.
    #[arg(long, global = true)]
    deployments_dir: Option<PathBuf>,
    /// SQLite index file.
    #[arg(long, global = true)]
    index_path: Option<PathBuf>,
    /// Blocks behind the head.
    #[arg(long, global = true)]
    confirmations: Option<u64>,
    /// Most rentals per settleBatch.
    #[arg(long, global = true)]
    batch_size: Option<u64>,
    /// Checkpoint interval in seconds (0 = never).
    #[arg(long, global = true)]
    checkpoint_interval_secs: Option<u64>,
    /// Prometheus metrics address, e.g. 127.0.0.1:9464.
    #[arg(long, global = true)]
    metrics_addr: Option<SocketAddr>,
    /// Most connections the metrics server serves at once; more are closed at once [default: 512].
    #[arg(long, global = true)]
    metrics_max_connections: Option<u64>,
    /// Seconds a metrics client has to send a request's headers, also how long a kept-alive
    /// connection may stay idle [default: 10].
    #[arg(long, global = true)]
    metrics_header_read_timeout_secs: Option<u64>,
    /// Seconds a metrics request may take before it is answered 408 [default: 10].
    #[arg(long, global = true)]
    metrics_request_timeout_secs: Option<u64>,
    /// Seconds a metrics connection is served before it is closed [default: 60].
    #[arg(long, global = true)]
    metrics_max_connection_age_secs: Option<u64>,
    /// Encrypted JSON keystore.
    #[arg(long, global = true)]
    keystore: Option<PathBuf>,
    /// File with the keystore password.
    #[arg(long, global = true)]
    keystore_password_file: Option<PathBuf>,
    /// Raw private key, for local development only (e.g. anvil's keys).
    #[arg(long, global = true)]
    private_key: Option<String>,
}

impl Flags {
    fn overrides(&self) -> toml::Table {
        let mut t = toml::Table::new();
        let mut put = |key: &str, value: Option<toml::Value>| {
            if let Some(v) = value {
                t.insert(key.to_owned(), v);
            }
        };
        let int = |n: Option<u64>| n.map(|n| toml::Value::Integer(i64::try_from(n).unwrap_or(i64::MAX)));
        let text = |s: Option<&String>| s.map(|s| toml::Value::String(s.clone()));
        let path = |p: Option<&PathBuf>| p.map(|p| toml::Value::String(p.display().to_string()));
        put("rpc_url", text(self.rpc_url.as_ref()));
        put("chain_id", int(self.chain_id));
        put("escrow", text(self.escrow.as_ref()));
        put("deployments_dir", path(self.deployments_dir.as_ref()));
        put("index_path", path(self.index_path.as_ref()));
        put("confirmations", int(self.confirmations));
        put("batch_size", int(self.batch_size));
        put("checkpoint_interval_secs", int(self.checkpoint_interval_secs));
        put(
            "metrics_addr",
            self.metrics_addr.map(|a| toml::Value::String(a.to_string())),
        );
        put("keystore", path(self.keystore.as_ref()));
        put("keystore_password_file", path(self.keystore_password_file.as_ref()));
        put("private_key", text(self.private_key.as_ref()));
        let mut metrics = toml::Table::new();
        for (key, value) in [
            ("max_connections", self.metrics_max_connections),
            ("header_read_timeout_secs", self.metrics_header_read_timeout_secs),
            ("request_timeout_secs", self.metrics_request_timeout_secs),
            ("max_connection_age_secs", self.metrics_max_connection_age_secs),
        ] {
            if let Some(v) = int(value) {
                metrics.insert(key.to_owned(), v);
            }
        }
        if !metrics.is_empty() {
            t.insert(METRICS_SECTION.to_owned(), toml::Value::Table(metrics));
        }
        t
    }
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let settings = Settings::load(cli.flags.config.as_deref(), std::env::vars(), cli.flags.overrides())
        .wrap_err("invalid configuration")?;
    let signer = settings
        .signer(std::env::var(PASSWORD_ENV).ok())
        .wrap_err("cannot load the keeper's key")?;
    let metrics_addr = settings.metrics_addr;
    let metrics_limits = settings.metrics_limits().wrap_err("invalid configuration")?;
    let metrics = Metrics::new();
    let mut keeper = Keeper::connect(settings, signer, metrics.clone())
        .await
        .wrap_err("cannot start the keeper")?;

    match cli.command {
        Command::Run => {
            if let Some(addr) = metrics_addr {
                let bound = metrics.serve(addr, metrics_limits).await?;
                tracing::info!(target: "keeper", %bound, "serving /metrics");
            }
            let (tx, rx) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                protocol::shutdown::signal().await;
                tracing::info!(target: "keeper", "shutdown requested; finishing the current round");
                let _ = tx.send(true);
            });
            keeper.run(rx).await?;
        }
        Command::Status => {
            let cursor = keeper.sync().await?;
            let due = keeper.status().await?;
            let mut lines = vec![format!(
                "escrow {} on chain {}, indexed up to block {}, keeper {}",
                keeper.escrow(),
                keeper.chain_id(),
                cursor.saturating_sub(1),
                keeper.address()
            )];
            for (status, n) in keeper.index().counts_by_status()? {
                lines.push(format!("{status}: {n}"));
            }
            for d in due {
                lines.push(format!("{} {}", d.rental.id, d.due));
            }
            // Reconciled with the chain when the keeper connected: these are still in the node's
            // pool (or behind a nonce gap).
            let pending = keeper.index().txs_with(TxResult::Pending)?;
            lines.push(format!("pending transactions: {}", pending.len()));
            lines.extend(pending.iter().map(|tx| format!("  {tx}")));
            lines.push(String::new());
            print(&lines.join("\n"));
        }
        Command::Reindex => {
            let cursor = keeper.reindex().await?;
            let rentals = keeper.index().all_rentals()?.len();
            print(&format!(
                "index rebuilt up to block {}: {rentals} rentals\n",
                cursor.saturating_sub(1)
            ));
        }
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn print(text: &str) {
    print!("{text}");
}
