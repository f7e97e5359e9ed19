//! Payment tokens: symbol and decimals read from the token (the native coin is ETH, 18
//! decimals), balances, allowances and EIP-2612 permits.

use alloy::{
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
    signers::{local::PrivateKeySigner, Signer},
    sol,
    sol_types::{Eip712Domain, SolStruct},
};
use eyre::{bail, eyre, Result, WrapErr};
use serde::Serialize;

use crate::units::format_amount;

sol! {
    /// The ERC-20 functions the CLI uses, EIP-2612 and ERC-5267 included, and OpenZeppelin's errors.
    #[sol(rpc, all_derives)]
    interface IErc20 {
        function symbol() external view returns (string);
        function decimals() external view returns (uint8);
        function name() external view returns (string);
        function balanceOf(address owner) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
        function nonces(address owner) external view returns (uint256);
        function DOMAIN_SEPARATOR() external view returns (bytes32);
        function eip712Domain() external view returns (bytes1 fields, string name, string version, uint256 chainId,
            address verifyingContract, bytes32 salt, uint256[] extensions);

        error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed);
        error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
        error ERC2612ExpiredSignature(uint256 deadline);
        error ERC2612InvalidSigner(address signer, address owner);
    }

    /// EIP-2612 permit, signed under the token's EIP-712 domain.
    struct Permit {
        address owner;
        address spender;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }
}

/// A payment token as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Token {
    /// Its address (zero for the native coin).
    pub(crate) address: Address,
    /// Its symbol (ETH for the native coin).
    pub(crate) symbol: String,
    /// Its decimals.
    pub(crate) decimals: u8,
}

impl Token {
    /// The chain's native coin.
    pub(crate) fn native() -> Self {
        Self {
            address: Address::ZERO,
            symbol: "ETH".into(),
            decimals: 18,
        }
    }

    /// Reads symbol and decimals from the token contract.
    pub(crate) async fn read(provider: &DynProvider, address: Address) -> Result<Self> {
        if address.is_zero() {
            return Ok(Self::native());
        }
        let erc20 = IErc20::new(address, provider);
        let decimals = erc20
            .decimals()
            .call()
            .await
            .wrap_err_with(|| format!("cannot read decimals() of token {address}: is it an ERC-20?"))?;
        // A token without symbol() still works; it is shown by address.
        let symbol = erc20.symbol().call().await.unwrap_or_else(|_| format!("{address:#}"));
        Ok(Self {
            address,
            symbol,
            decimals,
        })
    }

    pub(crate) fn is_native(&self) -> bool {
        self.address.is_zero()
    }

    /// `2.50 USDC`.
    pub(crate) fn show(&self, amount: U256) -> String {
        format!("{} {}", format_amount(amount, self.decimals), self.symbol)
    }

    /// The holder's balance.
    pub(crate) async fn balance(&self, provider: &DynProvider, owner: Address) -> Result<U256> {
        if self.is_native() {
            return provider
                .get_balance(owner)
                .await
                .wrap_err("cannot read the ETH balance");
        }
        IErc20::new(self.address, provider)
            .balanceOf(owner)
            .call()
            .await
            .wrap_err_with(|| format!("cannot read the {} balance of {owner}", self.symbol))
    }

    /// What `spender` may pull from `owner`.
    pub(crate) async fn allowance(&self, provider: &DynProvider, owner: Address, spender: Address) -> Result<U256> {
        IErc20::new(self.address, provider)
            .allowance(owner, spender)
            .call()
            .await
            .wrap_err_with(|| format!("cannot read the {} allowance", self.symbol))
    }

    /// Fails with what is missing, in token units, when `owner` holds less than `needed`.
    pub(crate) async fn require_balance(
        &self,
        provider: &DynProvider,
        owner: Address,
        needed: U256,
        what: &str,
    ) -> Result<()> {
        let balance = self.balance(provider, owner).await?;
        if balance < needed {
            bail!(
                "insufficient {symbol} balance: {what} needs {}, {owner} holds {} ({} missing)",
                self.show(needed),
                self.show(balance),
                self.show(needed - balance),
                symbol = self.symbol,
            );
        }
        Ok(())
    }

    /// The token's EIP-712 domain: from ERC-5267 `eip712Domain()` when it has it, else its name
    /// with version "1" or "2", whichever matches its `DOMAIN_SEPARATOR()`.
    async fn permit_domain(&self, provider: &DynProvider, chain_id: u64) -> Result<Eip712Domain> {
        let erc20 = IErc20::new(self.address, provider);
        if let Ok(d) = erc20.eip712Domain().call().await {
            return Ok(Eip712Domain::new(
                Some(d.name.into()),
                Some(d.version.into()),
                Some(d.chainId),
                Some(d.verifyingContract),
                (d.salt != B256::ZERO).then_some(d.salt),
            ));
        }
        let separator = erc20.DOMAIN_SEPARATOR().call().await.map_err(|_| {
            eyre!(
                "{} does not support EIP-2612 permits (no DOMAIN_SEPARATOR); use --pay approve",
                self.symbol
            )
        })?;
        let name = erc20
            .name()
            .call()
            .await
            .wrap_err_with(|| format!("cannot read name() of {}", self.symbol))?;
        for version in ["1", "2"] {
            let domain = Eip712Domain::new(
                Some(name.clone().into()),
                Some(version.into()),
                Some(U256::from(chain_id)),
                Some(self.address),
                None,
            );
            if domain.separator() == separator {
                return Ok(domain);
            }
        }
        bail!(
            "cannot rebuild the EIP-712 domain of {} to sign a permit; use --pay approve",
            self.symbol
        )
    }

    /// Signs an EIP-2612 permit letting `spender` pull exactly `value` until `deadline`.
    pub(crate) async fn sign_permit(
        &self,
        provider: &DynProvider,
        chain_id: u64,
        signer: &PrivateKeySigner,
        spender: Address,
        value: U256,
        deadline: U256,
    ) -> Result<alloy::primitives::Signature> {
        let domain = self.permit_domain(provider, chain_id).await?;
        let owner = signer.address();
        let nonce = IErc20::new(self.address, provider)
            .nonces(owner)
            .call()
            .await
            .map_err(|_| {
                eyre!(
                    "{} has no nonces(): it does not support permits; use --pay approve",
                    self.symbol
                )
            })?;
        let permit = Permit {
            owner,
            spender,
            value,
            nonce,
            deadline,
        };
        let hash = permit.eip712_signing_hash(&domain);
        signer.sign_hash(&hash).await.wrap_err("cannot sign the permit")
    }
}

/// Resolves a token named on the command line: `ETH` (native coin), a symbol of the deployment
/// file, or an address.
pub(crate) fn resolve(name: &str, tokens: &std::collections::BTreeMap<String, Address>) -> Result<Address> {
    if name.eq_ignore_ascii_case("ETH") || name.eq_ignore_ascii_case("native") {
        return Ok(Address::ZERO);
    }
    if let Ok(address) = name.parse::<Address>() {
        return Ok(address);
    }
    tokens
        .iter()
        .find(|(symbol, _)| symbol.eq_ignore_ascii_case(name))
        .map(|(_, a)| *a)
        .ok_or_else(|| {
            let known: Vec<&str> = tokens.keys().map(String::as_str).collect();
            eyre!(
                "unknown token `{name}`: use ETH, an address, or a symbol of the deployment file ({})",
                if known.is_empty() {
                    "none listed".to_owned()
                } else {
                    known.join(", ")
                }
            )
        })
}
