//! The `gpu-escrow` binary's test market: testkit's market with USDC, DAI and the native coin
//! allowed (minimum bonds of 100 units, dispute bonds of 5), a 2.5 % fee, no provider yet (the
//! tests register it through the binary: [`Market::provide`]), a deployment file, the renter's
//! SSH key in a file, and the provider's oracle a fake that signs live attestations with
//! [`DOWN_SECONDS`] down and checks access requests exactly as the oracle's HTTP contract says.

#![allow(dead_code, unreachable_pub)]

use std::{ops::Deref, path::PathBuf, process::Output};

use alloy::primitives::{Address, B256, U256};
use serde_json::{json, Value};
use testkit::{Chain, Reply, Token, ATTESTER, GPU_MODEL, PROVIDER, RENTER, RENTER_SSH_KEY};

/// One USDC in base units.
pub const USDC: u64 = 1_000_000;
/// Seconds of downtime the fake oracle attests for every rental.
pub const DOWN_SECONDS: u64 = 30;
/// Anyone but the renter and the provider.
pub const OTHER: usize = testkit::KEEPER;

/// Seconds the arbitrator has to rule on a dispute.
pub const RULING_PERIOD: u64 = protocol::deploy::DEFAULT_RULING_PERIOD;
/// Seconds between an unbond request and the withdrawal (more than 7 days + the ruling period).
pub const UNBONDING_DELAY: u64 = protocol::deploy::DEFAULT_UNBONDING_DELAY;
/// The bond an offer needs per token: 100 units (0.05 ETH).
pub const MIN_BOND_UNITS: u64 = 100;
/// The bond a dispute opener posts: 5 units (0.0025 ETH).
pub const DISPUTE_BOND_UNITS: u64 = 5;

/// What one run of the binary did.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        assert!(self.ok, "command failed: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    pub fn expect_ok(self) -> Self {
        assert!(
            self.ok,
            "command failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn expect_err(self) -> Self {
        assert!(!self.ok, "command should have failed:\nstdout: {}", self.stdout);
        self
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// testkit's market plus what the binary reads: a deployment file and an SSH key file.
pub struct Market {
    kit: testkit::Market,
    pub deployment_file: PathBuf,
    pub ssh_key: PathBuf,
}

/// The tests read the market through this one: its chain, contracts, keys and fake oracle.
impl Deref for Market {
    type Target = testkit::Market;

    fn deref(&self) -> &testkit::Market {
        &self.kit
    }
}

impl Market {
    /// One block per transaction.
    pub async fn setup() -> Self {
        Self::setup_with(None).await
    }

    /// With `block_time`, anvil mines a block every that many seconds, so chain time follows the
    /// clock (as a real oracle needs); without, it mines one block per transaction.
    pub async fn setup_with(block_time: Option<u64>) -> Self {
        let units = |decimals: u32| U256::from(10).pow(U256::from(decimals));
        let bonds = |unit: U256| (unit * U256::from(MIN_BOND_UNITS), unit * U256::from(DISPUTE_BOND_UNITS));
        let (usdc_min, usdc_dispute) = bonds(units(6));
        let (dai_min, dai_dispute) = bonds(units(18));
        let (eth_min, eth_dispute) = bonds(units(18) / U256::from(2_000));
        let mut builder = testkit::Market::builder()
            .name("cli")
            .fee_bps(250)
            .bonds(usdc_min, usdc_dispute)
            .token(Token::erc20("Dai Stablecoin", "DAI", 18).bonds(dai_min, dai_dispute))
            .token(Token::native().bonds(eth_min, eth_dispute))
            .without_provider()
            .fake_oracle();
        if let Some(seconds) = block_time {
            builder = builder.chain(Chain::builder().block_time(seconds));
        }
        let market = builder.start().await;
        market.fake().set_default(Reply::Live);
        market.fake().set_down_seconds(DOWN_SECONDS);
        let deployment_file = market.dir.join("deployment.json");
        market.save_deployment(&deployment_file);
        let ssh_key = market.dir.join("id_ed25519.pub");
        std::fs::write(&ssh_key, RENTER_SSH_KEY).unwrap();
        Self {
            kit: market,
            deployment_file,
            ssh_key,
        }
    }

    /// The binary with the market's RPC and deployment, signing as account `key`, HOME in the
    /// test folder (no ~/.ssh there).
    pub fn command(&self, key: Option<usize>, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_gpu-escrow"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path());
        if !args.contains(&"--rpc-url") {
            cmd.args(["--rpc-url", &self.chain.endpoint()]);
        }
        if !args.contains(&"--deployment") && !args.contains(&"--escrow") {
            cmd.args(["--deployment", self.deployment_file.to_str().unwrap()]);
        }
        if let Some(k) = key {
            cmd.args(["--private-key", &self.chain.key_hex(k)]);
        }
        cmd.args(args).stdin(std::process::Stdio::null());
        cmd
    }

    pub async fn run(&self, key: Option<usize>, args: &[&str]) -> Run {
        self.command(key, args).output().await.unwrap().into()
    }

    pub fn ssh_key_arg(&self) -> String {
        self.ssh_key.display().to_string()
    }

    /// Registers the provider, bonds the minimum in USDC, DAI and ETH and creates the three offers
    /// of the tests, through the binary: 1 = H100 80 GiB 2.50 USDC/h eu-west; 2 = A100 40 GiB
    /// 1.20 DAI/h us-east spot; 3 = H100 0.001 ETH/h.
    pub async fn provide(&self) {
        self.provide_at(self.fake().url()).await;
    }

    /// As [`Self::provide`], with the oracle endpoint `endpoint`.
    pub async fn provide_at(&self, endpoint: &str) {
        self.run(
            Some(PROVIDER),
            &[
                "register",
                "--payout",
                &self.address(PROVIDER).to_string(),
                "--attester",
                &self.address(ATTESTER).to_string(),
                "--endpoint",
                endpoint,
            ],
        )
        .await
        .expect_ok();
        self.mint_usdc(self.address(PROVIDER), MIN_BOND_UNITS * USDC).await;
        self.mint_token(
            self.tokens["DAI"],
            self.address(PROVIDER),
            U256::from(MIN_BOND_UNITS) * U256::from(10).pow(U256::from(18)),
        )
        .await;
        for (amount, token) in [("100", "USDC"), ("100", "DAI"), ("0.05", "ETH")] {
            self.run(Some(PROVIDER), &["bond", amount, "--token", token])
                .await
                .expect_ok();
        }
        let offers: [&[&str]; 3] = [
            &[
                "--model",
                GPU_MODEL,
                "--vram",
                "80",
                "--token",
                "USDC",
                "--price",
                "2.5",
                "--region",
                "eu-west",
                "--capacity",
                "10",
            ],
            &[
                "--model",
                "NVIDIA A100-SXM4-40GB",
                "--vram",
                "40",
                "--gpus",
                "2",
                "--token",
                "DAI",
                "--price",
                "1.2",
                "--region",
                "us-east",
                "--spot",
                "--capacity",
                "5",
            ],
            &[
                "--model",
                GPU_MODEL,
                "--vram",
                "80",
                "--token",
                "ETH",
                "--price",
                "0.001",
                "--region",
                "eu-west",
                "--capacity",
                "3",
            ],
        ];
        for (i, args) in offers.iter().enumerate() {
            let mut full = vec![
                "--json",
                "offer",
                "create",
                "--min-duration",
                "1m",
                "--max-duration",
                "7d",
            ];
            full.extend_from_slice(args);
            let created = self.run(Some(PROVIDER), &full).await.json();
            assert_eq!(created["offerId"], json!(i + 1));
        }
    }

    /// Rents offer `offer` for an hour as the renter; returns the rental id as `0x…`.
    pub async fn rent_an_hour(&self, offer: u64) -> String {
        let opened = self
            .run(
                Some(RENTER),
                &[
                    "--json",
                    "rent",
                    &offer.to_string(),
                    "--hours",
                    "1",
                    "--ssh-key",
                    &self.ssh_key_arg(),
                ],
            )
            .await
            .json();
        format!("{:#x}", b256(&opened["rentalId"]))
    }

    /// Mints `units` base units of USDC to `to`.
    pub async fn mint_usdc(&self, to: Address, units: u64) {
        self.mint(to, U256::from(units)).await;
    }

    /// `name` in the market's folder.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// The `0x…` value of a JSON field as a `B256`.
pub fn b256(v: &Value) -> B256 {
    v.as_str().unwrap().parse().unwrap()
}

/// A decimal-string amount of a JSON field.
pub fn amount(v: &Value) -> U256 {
    v.as_str()
        .unwrap_or_else(|| panic!("not an amount: {v}"))
        .parse()
        .unwrap()
}
