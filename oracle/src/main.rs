//! `gpu-oracle`: run the daemon, list the GPUs, create an attester key, or print a rental's
//! current attestation. `gpu-oracle <command> --help` documents every flag and its
//! `GPU_ORACLE_*` environment variable.

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use alloy::primitives::{Address, B256};
use clap::{Args, Parser, Subcommand};
use eyre::{bail, WrapErr};
use oracle::{
    clock::{Clock, SystemClock},
    config::{check_gpus, check_hooks, AccessFileConfig, FileConfig, OfferConfig, Settings},
    daemon::{self, Daemon},
    engine::{Engine, EngineConfig},
    gpu::{
        mock::{FaultPlan, MockSource, DEFAULT_MOCK_MODEL},
        nvml::NvmlSource,
        GpuSource, Sampler,
    },
    key::{self, KeySource},
    metrics::{hostname, Metrics},
    startup,
    store::Store,
};
use protocol::{
    http_server::{reserve_descriptors, ServerLimitsConfig},
    LogFollower,
};

#[derive(Debug, Parser)]
#[command(
    name = "gpu-oracle",
    version,
    about = "Provider-host daemon of the GPU rental escrow"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon.
    Run(Box<RunArgs>),
    /// List the GPUs the source sees (index, UUID, name, memory, driver).
    Gpus(GpuArgs),
    /// Create a new attester key in an encrypted JSON keystore and print its address.
    Keygen(KeygenArgs),
    /// Print a rental's current signed attestation from a running oracle.
    Attest(AttestArgs),
}

/// Where GPU readings come from (the flag names are the CLI contract).
#[allow(clippy::struct_field_names)]
#[derive(Debug, Args)]
struct GpuArgs {
    /// Use N mock GPUs instead of NVML (machines without GPUs, tests).
    #[arg(long, env = "GPU_ORACLE_MOCK_GPUS")]
    mock_gpus: Option<u32>,
    /// NVML name of the mock GPUs.
    #[arg(long, env = "GPU_ORACLE_MOCK_MODEL", default_value = DEFAULT_MOCK_MODEL)]
    mock_model: String,
    /// Fault plan for the mock GPUs (TOML or JSON).
    #[arg(long, env = "GPU_ORACLE_MOCK_FAULT_PLAN", requires = "mock_gpus")]
    mock_fault_plan: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Config file (TOML, see oracle/oracle.example.toml).
    #[arg(long, short, env = "GPU_ORACLE_CONFIG")]
    config: Option<PathBuf>,
    #[arg(long, env = "GPU_ORACLE_RPC_URL")]
    rpc_url: Option<String>,
    /// deployments/<chainId>.json of the escrow.
    #[arg(long, env = "GPU_ORACLE_DEPLOYMENT")]
    deployment: Option<PathBuf>,
    #[arg(long, env = "GPU_ORACLE_ESCROW")]
    escrow: Option<Address>,
    #[arg(long, env = "GPU_ORACLE_STATE_DIR")]
    state_dir: Option<PathBuf>,
    #[arg(long, env = "GPU_ORACLE_LISTEN")]
    listen: Option<SocketAddr>,
    #[arg(long, env = "GPU_ORACLE_KEYSTORE")]
    keystore: Option<PathBuf>,
    #[arg(long, env = "GPU_ORACLE_PASSWORD_FILE")]
    password_file: Option<PathBuf>,
    /// Keystore password (prefer --password-file).
    #[arg(
        long = "keystore-password",
        env = "GPU_ORACLE_KEYSTORE_PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,
    /// Raw hex private key of the attester: development only.
    #[arg(long, env = "GPU_ORACLE_DEV_PRIVATE_KEY", hide_env_values = true)]
    dev_private_key: Option<String>,
    #[arg(long, env = "GPU_ORACLE_CONFIRMATIONS")]
    confirmations: Option<u64>,
    #[arg(long, env = "GPU_ORACLE_MAX_BLOCK_RANGE")]
    max_block_range: Option<u64>,
    #[arg(long, env = "GPU_ORACLE_POLL_INTERVAL_MS")]
    poll_interval_ms: Option<u64>,
    #[arg(long, env = "GPU_ORACLE_ATTEST_INTERVAL_SECS")]
    attest_interval_secs: Option<u64>,
    #[arg(long, env = "GPU_ORACLE_RELEASE_AFTER_SECS")]
    release_after_secs: Option<u64>,
    /// A served offer and its GPUs, `ID=UUID[,UUID…]`; repeatable; replaces the file's offers.
    #[arg(long = "offer", value_parser = parse_offer)]
    offers: Vec<OfferConfig>,
    /// Provisioning hook (a program, run without arguments); overrides `[access] provision`.
    #[arg(long, env = "GPU_ORACLE_PROVISION_HOOK")]
    provision_hook: Option<String>,
    /// Teardown hook (a program, run without arguments); overrides `[access] teardown`.
    #[arg(long, env = "GPU_ORACLE_TEARDOWN_HOOK")]
    teardown_hook: Option<String>,
    /// Seconds a hook may run before it is killed.
    #[arg(long, env = "GPU_ORACLE_HOOK_TIMEOUT_SECS")]
    hook_timeout_secs: Option<u64>,
    /// Seconds before the first retry of a failed hook.
    #[arg(long, env = "GPU_ORACLE_HOOK_RETRY_INITIAL_SECS")]
    hook_retry_initial_secs: Option<u64>,
    /// Most seconds between two retries of a failed hook.
    #[arg(long, env = "GPU_ORACLE_HOOK_RETRY_MAX_SECS")]
    hook_retry_max_secs: Option<u64>,
    /// Most HTTP connections served at once; more are closed at once.
    #[arg(long, env = "GPU_ORACLE_HTTP_MAX_CONNECTIONS")]
    http_max_connections: Option<u64>,
    /// Seconds an HTTP client has to send a request's headers (also how long a kept-alive
    /// connection may stay idle).
    #[arg(long, env = "GPU_ORACLE_HTTP_HEADER_READ_TIMEOUT_SECS")]
    http_header_read_timeout_secs: Option<u64>,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, env = "GPU_ORACLE_HTTP_REQUEST_TIMEOUT_SECS")]
    http_request_timeout_secs: Option<u64>,
    /// Seconds an HTTP connection is served before it is closed.
    #[arg(long, env = "GPU_ORACLE_HTTP_MAX_CONNECTION_AGE_SECS")]
    http_max_connection_age_secs: Option<u64>,
    #[command(flatten)]
    gpus: GpuArgs,
}

impl RunArgs {
    /// What the flags and the environment set, as a config layer over the file.
    fn overrides(&self) -> FileConfig {
        FileConfig {
            rpc_url: self.rpc_url.clone(),
            deployment: self.deployment.clone(),
            escrow: self.escrow,
            state_dir: self.state_dir.clone(),
            listen: self.listen,
            keystore: self.keystore.clone(),
            password_file: self.password_file.clone(),
            confirmations: self.confirmations,
            max_block_range: self.max_block_range,
            poll_interval_ms: self.poll_interval_ms,
            attest_interval_secs: self.attest_interval_secs,
            release_after_secs: self.release_after_secs,
            offers: self.offers.clone(),
            access: AccessFileConfig {
                provision: self.provision_hook.clone().map(|p| vec![p]),
                teardown: self.teardown_hook.clone().map(|p| vec![p]),
                timeout_secs: self.hook_timeout_secs,
                retry_initial_secs: self.hook_retry_initial_secs,
                retry_max_secs: self.hook_retry_max_secs,
                env: std::collections::BTreeMap::new(),
            },
            http: ServerLimitsConfig {
                max_connections: self.http_max_connections,
                header_read_timeout_secs: self.http_header_read_timeout_secs,
                request_timeout_secs: self.http_request_timeout_secs,
                max_connection_age_secs: self.http_max_connection_age_secs,
            },
        }
    }
}

fn parse_offer(s: &str) -> Result<OfferConfig, String> {
    let (id, gpus) = s.split_once('=').ok_or("expected ID=UUID[,UUID…]")?;
    Ok(OfferConfig {
        id: id.trim().parse().map_err(|e| format!("offer id {id:?}: {e}"))?,
        gpus: gpus
            .split(',')
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty())
            .collect(),
    })
}

#[derive(Debug, Args)]
struct KeygenArgs {
    /// Directory to write the keystore to.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// File name of the keystore.
    #[arg(long, default_value = "attester.json")]
    name: String,
    #[arg(long, env = "GPU_ORACLE_PASSWORD_FILE")]
    password_file: Option<PathBuf>,
    #[arg(
        long = "keystore-password",
        env = "GPU_ORACLE_KEYSTORE_PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,
}

#[derive(Debug, Args)]
struct AttestArgs {
    /// The rental id.
    rental: B256,
    /// The oracle's HTTP base URL.
    #[arg(long, env = "GPU_ORACLE_URL", default_value = "http://127.0.0.1:9100")]
    url: String,
    /// Sign a fresh attestation now instead of printing the latest.
    #[arg(long)]
    fresh: bool,
}

fn main() -> eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .wrap_err("starting the async runtime")?
            .block_on(run(*args)),
        Command::Gpus(args) => gpus(&args),
        Command::Keygen(args) => keygen(&args),
        Command::Attest(args) => attest(&args),
    }
}

fn open_source(args: &GpuArgs, clock: Arc<dyn Clock>) -> eyre::Result<Box<dyn GpuSource>> {
    if let Some(n) = args.mock_gpus {
        let plan = match &args.mock_fault_plan {
            Some(path) => FaultPlan::from_file(path)?,
            None => FaultPlan::default(),
        };
        tracing::warn!(target: "oracle::gpu", gpus = n, model = %args.mock_model, "using MOCK GPUs (--mock-gpus)");
        return Ok(Box::new(MockSource::new(n, &args.mock_model, plan, clock)));
    }
    Ok(Box::new(NvmlSource::open()?))
}

#[allow(clippy::print_stdout)]
fn gpus(args: &GpuArgs) -> eyre::Result<()> {
    let mut source = open_source(args, Arc::new(SystemClock))?;
    let inventory = source.inventory()?;
    println!("driver {}", inventory.driver_version);
    println!(
        "{:<5} {:<42} {:<28} {:>10} {:>10}",
        "INDEX", "UUID", "NAME", "MEM USED", "MEM TOTAL"
    );
    let readings = source.sample();
    for gpu in &inventory.gpus {
        let used = readings
            .iter()
            .find(|r| r.uuid == gpu.uuid)
            .and_then(|r| r.memory_used_bytes)
            .map_or_else(|| "-".to_owned(), |b| format!("{} MiB", b >> 20));
        println!(
            "{:<5} {:<42} {:<28} {:>10} {:>10}",
            gpu.index,
            gpu.uuid,
            gpu.name,
            used,
            format!("{} MiB", gpu.memory_total_bytes >> 20)
        );
    }
    Ok(())
}

fn password(file: Option<&PathBuf>, value: Option<&String>) -> eyre::Result<String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).wrap_err_with(|| format!("reading {}", path.display()))?;
        return Ok(text.trim_end_matches(['\r', '\n']).to_owned());
    }
    match value {
        Some(v) => Ok(v.clone()),
        None => bail!("a keystore needs a password: pass --password-file or set GPU_ORACLE_KEYSTORE_PASSWORD"),
    }
}

#[allow(clippy::print_stdout)]
fn keygen(args: &KeygenArgs) -> eyre::Result<()> {
    let password = password(args.password_file.as_ref(), args.password.as_ref())?;
    if password.len() < 8 {
        bail!("use a keystore password of at least 8 characters");
    }
    let (address, path) = key::keygen(&args.dir, &args.name, &password)?;
    println!("{address}");
    eprintln!(
        "keystore written to {}; register the address as the attester of your offers: setOfferAttester(offerId, {address})",
        path.display()
    );
    Ok(())
}

#[allow(clippy::print_stdout)]
fn attest(args: &AttestArgs) -> eyre::Result<()> {
    let method = if args.fresh { "POST" } else { "GET" };
    let path = protocol::oracle_api::rental_path(protocol::oracle_api::ATTESTATION_ROUTE, args.rental);
    let (status, body) = oracle::client::request(&args.url, method, &path)
        .wrap_err_with(|| format!("cannot reach the oracle at {}", args.url))?;
    if status != 200 {
        bail!("the oracle answered {status}: {body}");
    }
    println!("{body}");
    Ok(())
}

async fn run(args: RunArgs) -> eyre::Result<()> {
    let settings = Settings::resolve(FileConfig::load(args.config.as_deref(), &args.overrides())?)?;
    // Before anything opens files: the connection cap must leave descriptors to the state store.
    let nofile = reserve_descriptors(settings.http.max_connections).map_err(oracle::error::ConfigError::from)?;
    if let Some(hooks) = &settings.access {
        check_hooks(hooks)?;
    }

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut source = open_source(&args.gpus, clock.clone())?;
    let inventory = source.inventory()?;
    check_gpus(&settings.offers, &inventory)?;

    let signer = key::load_signer(&KeySource {
        keystore: settings.keystore.clone(),
        password_file: settings.password_file.clone(),
        password: args.password.clone(),
        dev_private_key: args.dev_private_key.clone(),
    })?;
    let chain = startup::check_chain(&settings, signer.address(), &inventory).await?;
    let store = Store::open(&settings.state_dir)?;
    let follower = match store.load_cursor()? {
        Some(c) if c.chain_id == chain.chain_id && c.escrow == chain.escrow => LogFollower::new(
            chain.escrow,
            c.next_block,
            settings.confirmations,
            settings.max_block_range,
        )
        .with_recent_blocks(c.recent_blocks),
        _ => LogFollower::new(
            chain.escrow,
            chain.deploy_block,
            settings.confirmations,
            settings.max_block_range,
        ),
    };

    let metrics = Arc::new(Metrics::new(&hostname()));
    let engine = Engine::new(
        EngineConfig {
            chain_id: chain.chain_id,
            escrow: chain.escrow,
            offers: chain.offers.clone(),
            attest_interval_secs: settings.attest_interval_secs,
            release_after_secs: settings.release_after_secs,
            provisioning: settings.access.is_some(),
        },
        signer,
        store,
        inventory.gpus.clone(),
        metrics.clone(),
    )?;
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .wrap_err_with(|| format!("cannot listen on {} (set `listen`)", settings.listen))?;
    tracing::info!(target: "oracle::daemon", listen = %listener.local_addr()?, attester = %engine.attester(),
        chain_id = chain.chain_id, escrow = %chain.escrow, from_block = follower.next_block(),
        access_delivery = settings.access.is_some(), http_max_connections = settings.http.max_connections,
        nofile_limit = nofile, "gpu-oracle running");
    let daemon = Daemon {
        engine: Arc::new(std::sync::Mutex::new(engine)),
        metrics,
        sampler: Sampler::new(source, clock.clone(), &inventory),
        clock,
        provider: chain.provider,
        follower,
        chain_id: chain.chain_id,
        poll_interval: settings.poll_interval,
        listener,
        http_limits: settings.http,
        access: settings.access.clone(),
    };
    daemon::run(daemon, protocol::shutdown::signal()).await?;
    Ok(())
}
