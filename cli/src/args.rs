//! Command-line arguments. Every global option can also be set with a `GPU_ESCROW_*` variable.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// The command line of the GPU rental escrow: rent GPUs paid per second from an escrowed deposit,
/// or offer them as a provider.
#[derive(Debug, Parser)]
#[command(name = "gpu-escrow", version, about)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where the escrow is, how to sign, how to print.
#[derive(Debug, Clone, Args)]
pub(crate) struct Global {
    /// JSON-RPC URL of the chain.
    #[arg(
        long,
        global = true,
        env = "GPU_ESCROW_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    pub(crate) rpc_url: String,
    /// Deployment file ({chainId, escrow, disputeModule, deployBlock, tokens}); default: <deployments-dir>/<chainId>.json.
    #[arg(long, global = true, env = "GPU_ESCROW_DEPLOYMENT", conflicts_with = "escrow")]
    pub(crate) deployment: Option<PathBuf>,
    /// Folder of deployment files, searched for <chainId>.json when neither --deployment nor --escrow is given.
    #[arg(
        long,
        global = true,
        env = "GPU_ESCROW_DEPLOYMENTS_DIR",
        default_value = "deployments"
    )]
    pub(crate) deployments_dir: PathBuf,
    /// Escrow address, instead of a deployment file (token symbols are then unknown: pass token addresses).
    #[arg(long, global = true, env = "GPU_ESCROW_ESCROW")]
    pub(crate) escrow: Option<Address>,
    /// With --escrow: the block the escrow was deployed at, where event scans start.
    #[arg(long, global = true, env = "GPU_ESCROW_FROM_BLOCK", default_value_t = 0)]
    pub(crate) from_block: u64,
    /// Largest block range per eth_getLogs request (public RPCs limit it).
    #[arg(long, global = true, env = "GPU_ESCROW_LOG_RANGE", default_value_t = 50_000)]
    pub(crate) log_range: u64,
    /// Encrypted JSON keystore that signs transactions (password from GPU_ESCROW_KEYSTORE_PASSWORD or a prompt).
    #[arg(long, global = true, env = "GPU_ESCROW_KEYSTORE", conflicts_with = "private_key")]
    pub(crate) keystore: Option<PathBuf>,
    /// Raw private key, for local development only (e.g. anvil's keys).
    #[arg(long, global = true, env = "GPU_ESCROW_PRIVATE_KEY", hide_env_values = true)]
    pub(crate) private_key: Option<String>,
    /// Machine-readable JSON on stdout (amounts in base units, as decimal strings).
    #[arg(long, global = true, env = "GPU_ESCROW_JSON")]
    pub(crate) json: bool,
    /// Timeout of requests to a provider's oracle, in seconds.
    #[arg(long, global = true, env = "GPU_ESCROW_ORACLE_TIMEOUT", default_value_t = 10)]
    pub(crate) oracle_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List the offers you can rent, with their provider's track record.
    Offers(OffersArgs),
    /// Rent an offer: escrow a deposit and start the rental now.
    Rent(RentArgs),
    /// Live view of a rental: elapsed, accrued, remaining deposit, time left, uptime from the oracle.
    Status(StatusArgs),
    /// Top up a running rental's deposit so it runs longer.
    Extend(ExtendArgs),
    /// Stop a rental now and settle it with a fresh attestation from the provider's oracle.
    Stop(StopArgs),
    /// Settle an ended rental with the provider's latest attestation.
    Settle(RentalArg),
    /// The receipt of a rental: times, billed seconds, cost, fee, refund, transactions.
    Receipt(RentalArg),
    /// Your rentals (or another renter's).
    History(HistoryArgs),
    /// Connection details of a running rental, from the provider's host (signed request).
    Access(RentalArg),
    /// Register as a GPU provider.
    Register(RegisterArgs),
    /// Publish and manage offers.
    #[command(subcommand)]
    Offer(OfferCommand),
    /// A provider's accrued earnings per offer and credited balances per token.
    Earnings(EarningsArgs),
    /// Pay an offer's accrued earnings to the provider's payout address.
    Claim(ClaimArgs),
    /// Withdraw your credited balance of a token (undeliverable refunds, fees).
    Withdraw(WithdrawArgs),
    /// Open a dispute on a running rental (renter or provider): posts the dispute bond and freezes the rental
    /// until the arbitrator's ruling is executed.
    Dispute(DisputeArgs),
    /// Add evidence to a rental's open dispute (renter or provider): a URI the arbitrator reads.
    Evidence(EvidenceArgs),
    /// A rental's dispute: state, opener, evidence, deadline, ruling and outcome.
    DisputeStatus(RentalArg),
    /// Apply a dispute's outcome once the arbitrator ruled or the deadline passed (anyone).
    ExecuteRuling(RentalArg),
    /// Rate the provider of a closed rental 1 to 5, once (the renter).
    Rate(RateArgs),
    /// Prove that a rental's attester signed for a GPU model other than the offer's: full refund of the unpaid
    /// deposit and a slash of the provider's bond (anyone; the prover earns a bounty).
    ProveWrongGpu(RentalArg),
    /// Post a provider bond in a token (offers in that token need at least the module's minimum).
    Bond(BondArgs),
    /// Ask to withdraw part of your bond; it is withdrawable after the unbonding delay.
    Unbond(BondArgs),
    /// Withdraw the bond you asked to unbond, once the unbonding delay has passed.
    WithdrawBond(TokenArg),
    /// A provider's bonds per token, what offers need, and its reputation.
    BondStatus(BondStatusArgs),
}

#[derive(Debug, Args)]
pub(crate) struct OffersArgs {
    /// Only GPU models containing this text (case-insensitive).
    #[arg(long)]
    pub(crate) model: Option<String>,
    /// Only offers with at least this much VRAM per GPU, GiB.
    #[arg(long)]
    pub(crate) min_vram: Option<u16>,
    /// Only offers at most this price per hour, in token units (e.g. 3.5).
    #[arg(long)]
    pub(crate) max_price: Option<String>,
    /// Only offers in this region (case-insensitive).
    #[arg(long)]
    pub(crate) region: Option<String>,
    /// Only spot offers.
    #[arg(long, conflicts_with = "on_demand")]
    pub(crate) spot: bool,
    /// Only on-demand (non-spot) offers.
    #[arg(long)]
    pub(crate) on_demand: bool,
    /// Also list retired offers.
    #[arg(long)]
    pub(crate) all: bool,
}

/// How an ERC-20 deposit reaches the escrow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PayWith {
    /// An `approve` of exactly the deposit, then `open` (two transactions; any ERC-20).
    Approve,
    /// An EIP-2612 permit signed off-chain for exactly the deposit (one transaction).
    Permit,
}

#[derive(Debug, Args)]
pub(crate) struct RentArgs {
    /// The offer to rent.
    pub(crate) offer: u64,
    /// Rent for this many hours (the deposit then pays exactly that long), e.g. 1 or 0.5.
    #[arg(long, required_unless_present = "deposit", conflicts_with = "deposit")]
    pub(crate) hours: Option<String>,
    /// Escrow this deposit, in token units (e.g. 2.5); the rental runs as long as it pays for.
    #[arg(long)]
    pub(crate) deposit: Option<String>,
    /// How an ERC-20 deposit is paid (native-coin offers always pay with the transaction's value).
    #[arg(long, value_enum, default_value_t = PayWith::Approve)]
    pub(crate) pay: PayWith,
    /// Your SSH public key (OpenSSH .pub line) the provider's host grants access to.
    #[arg(long, env = "GPU_ESCROW_SSH_KEY")]
    pub(crate) ssh_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct RentalArg {
    /// Rental id (0x + 64 hex digits), as `rent` printed it.
    pub(crate) rental: B256,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// Rental id.
    pub(crate) rental: B256,
    /// Refresh every second until Ctrl-C (or until the rental closes).
    #[arg(long)]
    pub(crate) watch: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExtendArgs {
    /// Rental id.
    pub(crate) rental: B256,
    /// Amount to add to the deposit, in token units.
    pub(crate) amount: String,
}

#[derive(Debug, Args)]
pub(crate) struct StopArgs {
    /// Rental id.
    pub(crate) rental: B256,
    /// Only stop the rental (billing ends now); settle later with `settle`.
    #[arg(long)]
    pub(crate) no_settle: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Whose rentals (default: the signer's).
    #[arg(long)]
    pub(crate) renter: Option<Address>,
}

#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// Address that receives claimed earnings.
    #[arg(long)]
    pub(crate) payout: Address,
    /// Key that signs usage attestations (the oracle's key).
    #[arg(long)]
    pub(crate) attester: Address,
    /// Base URL of your gpu-oracle, e.g. https://gpu1.example.com:8080.
    #[arg(long)]
    pub(crate) endpoint: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OfferCommand {
    /// Publish an offer.
    Create(OfferCreateArgs),
    /// Change an offer's price for rentals opened from now on.
    UpdatePrice(UpdatePriceArgs),
    /// Change how many rentals may run on an offer at once (0 pauses it).
    Capacity(CapacityArgs),
    /// Retire an offer for good (running rentals are unaffected).
    Retire(OfferIdArg),
}

#[derive(Debug, Args)]
pub(crate) struct OfferCreateArgs {
    /// GPU model exactly as NVML names it (the oracle attests it), e.g. "NVIDIA H100 80GB HBM3".
    #[arg(long)]
    pub(crate) model: String,
    /// VRAM per GPU, GiB.
    #[arg(long)]
    pub(crate) vram: u16,
    /// GPUs per rental.
    #[arg(long, default_value_t = 1)]
    pub(crate) gpus: u16,
    /// Payment token: a symbol of the deployment file (e.g. USDC), an address, or ETH for the native coin.
    #[arg(long)]
    pub(crate) token: String,
    /// Price per hour, in token units (e.g. 2.5).
    #[arg(long)]
    pub(crate) price: String,
    /// Shortest rental: seconds or with a unit (90s, 30m, 1h, 7d).
    #[arg(long, default_value = "1m")]
    pub(crate) min_duration: String,
    /// Longest rental: seconds or with a unit.
    #[arg(long, default_value = "7d")]
    pub(crate) max_duration: String,
    /// Region label, e.g. eu-west.
    #[arg(long)]
    pub(crate) region: String,
    /// Uptime the provider commits to, basis points (9900 = 99 %).
    #[arg(long, default_value_t = 9_900)]
    pub(crate) sla_bps: u16,
    /// Rentals that may run at once.
    #[arg(long, default_value_t = 1)]
    pub(crate) capacity: u16,
    /// A spot offer (the provider may terminate early).
    #[arg(long)]
    pub(crate) spot: bool,
}

#[derive(Debug, Args)]
pub(crate) struct UpdatePriceArgs {
    /// Offer id.
    pub(crate) offer: u64,
    /// New price per hour, in token units.
    #[arg(long)]
    pub(crate) price: String,
}

#[derive(Debug, Args)]
pub(crate) struct CapacityArgs {
    /// Offer id.
    pub(crate) offer: u64,
    /// Rentals that may run at once.
    pub(crate) capacity: u16,
}

#[derive(Debug, Args)]
pub(crate) struct OfferIdArg {
    /// Offer id.
    pub(crate) offer: u64,
}

#[derive(Debug, Args)]
pub(crate) struct EarningsArgs {
    /// Whose earnings (default: the signer's).
    #[arg(long)]
    pub(crate) provider: Option<Address>,
}

#[derive(Debug, Args)]
pub(crate) struct ClaimArgs {
    /// Offer whose accrued earnings to pay out.
    pub(crate) offer: u64,
}

#[derive(Debug, Args)]
pub(crate) struct DisputeArgs {
    /// Rental id.
    pub(crate) rental: B256,
    /// Where the arbitrator reads your case: a URI (https://…, ipfs://…) to a document with your evidence.
    #[arg(long)]
    pub(crate) evidence: String,
}

#[derive(Debug, Args)]
pub(crate) struct EvidenceArgs {
    /// Rental id.
    pub(crate) rental: B256,
    /// Where the arbitrator reads the new evidence: a URI (https://…, ipfs://…) to a document.
    #[arg(long)]
    pub(crate) evidence: String,
}

#[derive(Debug, Args)]
pub(crate) struct RateArgs {
    /// Rental id.
    pub(crate) rental: B256,
    /// Score from 1 (worst) to 5 (best).
    #[arg(value_parser = clap::value_parser!(u8).range(1..=5))]
    pub(crate) score: u8,
}

#[derive(Debug, Args)]
pub(crate) struct BondArgs {
    /// Amount in token units (e.g. 100).
    pub(crate) amount: String,
    /// Token: a symbol of the deployment file, an address, or ETH.
    #[arg(long, default_value = "USDC")]
    pub(crate) token: String,
}

#[derive(Debug, Args)]
pub(crate) struct TokenArg {
    /// Token: a symbol of the deployment file, an address, or ETH.
    #[arg(long, default_value = "USDC")]
    pub(crate) token: String,
}

#[derive(Debug, Args)]
pub(crate) struct BondStatusArgs {
    /// Whose bonds (default: the signer's).
    #[arg(long)]
    pub(crate) provider: Option<Address>,
}

#[derive(Debug, Args)]
pub(crate) struct WithdrawArgs {
    /// Token: a symbol of the deployment file, an address, or ETH.
    pub(crate) token: String,
    /// Amount in token units (default: the whole credited balance).
    #[arg(long)]
    pub(crate) amount: Option<String>,
}
