// Wallet, deployment and contract access. Reads and writes both go through the connected EIP-1193 wallet, so the
// dApp needs no RPC URL of its own: it works on whatever chain the wallet is on that has a deployment file.
import {
  createPublicClient,
  createWalletClient,
  custom,
  erc20Abi,
  getAddress,
  getContract,
  parseAbi,
  zeroAddress,
  type Abi,
  type Address,
  type EIP1193Provider,
  type GetContractReturnType,
  type Hash,
  type PublicClient,
  type WalletClient,
} from "viem";
import { arbitratorAbi, disputesAbi, escrowAbi, escrowErrorsAbi } from "./abi.generated";

/**
 * Every custom error of the three contracts: a call to one may revert with another's error (the escrow's
 * createOffer asks the dispute module for the provider's bond; openDispute calls the escrow and the arbitrator).
 * The escrow's Errors library adds those the escrow's own ABI lacks: the settle checks it returns as data (the
 * reasons of `SettlementSkipped`) and reverts with through the dispute module's `settleFallback`.
 */
const allErrors = [...escrowErrorsAbi, ...escrowAbi, ...disputesAbi, ...arbitratorAbi].filter(
  (x) => x.type === "error",
);
export type ContractError = (typeof allErrors)[number];
/** The name of any custom error of the escrow, the dispute module or the arbitrator. */
export type ContractErrorName = ContractError["name"];

/** `allErrors` without repeats (the escrow's ABI and its Errors library share most). */
export const errorsAbi: readonly ContractError[] = allErrors.filter(
  (x, i) => allErrors.findIndex((y) => y.name === x.name) === i,
);

/** `abi` with every contract's errors added, so a revert from any of them decodes. */
export function withErrors(abi: Abi): Abi {
  const own = new Set(abi.flatMap((x) => (x.type === "error" ? [x.name] : [])));
  return [...abi, ...errorsAbi.filter((x) => !own.has(x.name))];
}

/** EIP-2612 and ERC-5267 reads of a permit token (the token's domain; the escrow has none to read). */
export const permitAbi = parseAbi([
  "function nonces(address owner) view returns (uint256)",
  "function eip712Domain() view returns (bytes1 fields, string name, string version, uint256 chainId, address verifyingContract, bytes32 salt, uint256[] extensions)",
]);

/** deployments/<chainId>.json as written by script/Deploy.s.sol; `explorer` is optional (a block explorer's base URL). */
export interface Deployment {
  chainId: number;
  escrow: Address;
  disputeModule: Address;
  arbitrator: Address;
  deployBlock: number;
  tokens: Record<string, Address>;
  explorer?: string;
}

export interface TokenInfo {
  address: Address;
  symbol: string;
  decimals: number;
  native: boolean;
}

const CHAIN_NAMES: Record<number, string> = {
  1: "Ethereum",
  10: "OP Mainnet",
  137: "Polygon",
  8453: "Base",
  42161: "Arbitrum One",
  11155111: "Sepolia",
  84532: "Base Sepolia",
  31337: "local anvil",
};
const NATIVE_SYMBOL: Record<number, string> = { 137: "POL", 80002: "POL" };
const EXPLORERS: Record<number, string> = {
  1: "https://etherscan.io",
  10: "https://optimistic.etherscan.io",
  137: "https://polygonscan.com",
  8453: "https://basescan.org",
  42161: "https://arbiscan.io",
  11155111: "https://sepolia.etherscan.io",
  84532: "https://sepolia.basescan.org",
};

export function chainName(id: number): string {
  return CHAIN_NAMES[id] ?? `chain ${id}`;
}

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

export class Chain {
  readonly pub: PublicClient;
  readonly wallet: WalletClient;
  readonly tokens = new Map<Address, TokenInfo>();
  /** The escrow's views, typed by its ABI: `escrowRead.rentalState([id])`. */
  readonly escrowRead: GetContractReturnType<typeof escrowAbi, PublicClient>["read"];
  /** The dispute module's views: `disputesRead.bondOf([provider, token])`. */
  readonly disputesRead: GetContractReturnType<typeof disputesAbi, PublicClient>["read"];

  constructor(
    readonly provider: EIP1193Provider,
    readonly chainId: number,
    readonly account: Address,
    readonly dep: Deployment,
  ) {
    const transport = custom(provider);
    this.pub = createPublicClient({ transport, pollingInterval: 500 });
    this.wallet = createWalletClient({ transport, account, pollingInterval: 500 });
    this.escrowRead = getContract({ address: dep.escrow, abi: escrowAbi, client: this.pub }).read;
    this.disputesRead = getContract({ address: dep.disputeModule, abi: disputesAbi, client: this.pub }).read;
  }

  get escrow(): Address {
    return this.dep.escrow;
  }

  get disputes(): Address {
    return this.dep.disputeModule;
  }

  explorerTx(hash: Hash): string | undefined {
    const base = this.dep.explorer ?? EXPLORERS[this.chainId];
    return base ? `${base.replace(/\/$/, "")}/tx/${hash}` : undefined;
  }

  async token(address: Address): Promise<TokenInfo> {
    const key = getAddress(address);
    const known = this.tokens.get(key);
    if (known) return known;
    let info: TokenInfo;
    if (key === zeroAddress) {
      info = { address: key, symbol: NATIVE_SYMBOL[this.chainId] ?? "ETH", decimals: 18, native: true };
    } else {
      const [symbol, decimals] = await Promise.all([
        this.pub.readContract({ address: key, abi: erc20Abi, functionName: "symbol" }),
        this.pub.readContract({ address: key, abi: erc20Abi, functionName: "decimals" }),
      ]);
      info = { address: key, symbol, decimals, native: false };
    }
    this.tokens.set(key, info);
    return info;
  }

  /** Tokens offers may use here: the native coin and the deployment's ERC-20s. */
  async knownTokens(): Promise<TokenInfo[]> {
    const addrs = [zeroAddress as Address, ...Object.values(this.dep.tokens)];
    return Promise.all(addrs.map((a) => this.token(a)));
  }

  async balanceOf(token: TokenInfo, who: Address = this.account): Promise<bigint> {
    if (token.native) return this.pub.getBalance({ address: who });
    return this.pub.readContract({ address: token.address, abi: erc20Abi, functionName: "balanceOf", args: [who] });
  }

  /** What the arbitrator charges per dispute (the dispute module passes it no extra data on this deployment). */
  arbitrationCost(): Promise<bigint> {
    return this.pub.readContract({
      address: this.dep.arbitrator,
      abi: arbitratorAbi,
      functionName: "arbitrationCost",
      args: ["0x"],
    });
  }

  /** The account's allowance to `spender` (the escrow unless said otherwise). */
  async allowance(token: TokenInfo, spender: Address = this.escrow): Promise<bigint> {
    return this.pub.readContract({
      address: token.address,
      abi: erc20Abi,
      functionName: "allowance",
      args: [this.account, spender],
    });
  }
}

/** Fetches a deployment file relative to the page; null when this chain has none. */
export async function loadDeployment(chainId: number): Promise<Deployment | null> {
  const res = await fetch(`deployments/${chainId}.json`, { cache: "no-store" });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`deployments/${chainId}.json: HTTP ${res.status}`);
  const text = await res.text();
  // A static host may answer unknown paths with the app's index page.
  if (!text.trimStart().startsWith("{")) return null;
  const d = JSON.parse(text) as Deployment;
  if (!d.disputeModule || !d.arbitrator) {
    throw new Error(
      `deployments/${chainId}.json names no disputeModule or arbitrator: it predates the dispute module; ` +
        `redeploy with script/Deploy.s.sol`,
    );
  }
  return {
    ...d,
    escrow: getAddress(d.escrow),
    disputeModule: getAddress(d.disputeModule),
    arbitrator: getAddress(d.arbitrator),
    deployBlock: Number(d.deployBlock),
    tokens: d.tokens ?? {},
  };
}

/** Chain ids with a deployment file (deployments/index.json, written by the build and by the local server). */
export async function deployedChains(): Promise<number[]> {
  try {
    const res = await fetch("deployments/index.json", { cache: "no-store" });
    if (!res.ok) return [];
    return ((await res.json()) as { chainIds: number[] }).chainIds ?? [];
  } catch {
    return [];
  }
}
