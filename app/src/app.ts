// The shared context of the views: the connected chain, the market index, the renter's history, and the
// transaction runner that reports each step (wallet prompt, pending, confirmed, failed with a decoded reason) for
// calls to the escrow, the dispute module or a token.
import {
  erc20Abi,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hash,
  type TransactionReceipt,
} from "viem";
import { disputesAbi, escrowAbi } from "./abi.generated";
import { withErrors, type Chain } from "./chain";
import { explain } from "./errors";
import { renterHistory } from "./history";
import type { Market } from "./market";
import type { Rental } from "./rental";
import { h, notice, type Notice } from "./ui";

type Writable = "nonpayable" | "payable";

/** A call of one of `abi`'s state-changing functions, its arguments typed by the ABI; `value` only where payable. */
type WriteOf<abi extends Abi> = {
  [F in ContractFunctionName<abi, Writable>]: {
    functionName: F;
    args: ContractFunctionArgs<abi, Writable, F>;
    value?: F extends ContractFunctionName<abi, "payable"> ? bigint : never;
  };
}[ContractFunctionName<abi, Writable>];

/** A transaction to the escrow (no `address`), the dispute module (`address: "disputes"`) or an ERC-20 token. */
export type TxCall =
  | (WriteOf<typeof escrowAbi> & { address?: undefined; abi?: undefined })
  | (WriteOf<typeof disputesAbi> & { address: "disputes"; abi?: undefined })
  | (WriteOf<typeof erc20Abi> & { address: Address; abi: typeof erc20Abi });

export class App {
  history: Rental[] = [];
  private listeners: (() => void)[] = [];

  constructor(
    readonly chain: Chain,
    readonly market: Market,
  ) {}

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  changed(): void {
    for (const fn of this.listeners) fn();
  }

  async refresh(): Promise<void> {
    await this.market.refresh();
    this.history = await renterHistory(this.chain, this.chain.account);
    this.changed();
  }

  txLink(hash: Hash): HTMLElement {
    const url = this.chain.explorerTx(hash);
    return url
      ? h("a", { href: url, target: "_blank", rel: "noopener", class: "tx", title: hash }, hash)
      : h("code", { class: "tx", title: hash }, hash);
  }

  /**
   * Simulates the call (so a revert is reported with the contract's error before anything is signed), asks the
   * wallet to send it, and waits for the receipt. Returns null after reporting the failure.
   */
  async tx(label: string, call: TxCall, existing?: Notice): Promise<TransactionReceipt | null> {
    const n = existing ?? notice("pending", `${label}: checking…`);
    try {
      const [address, abi]: [Address, Abi] =
        call.address === undefined
          ? [this.chain.escrow, escrowAbi]
          : call.address === "disputes"
            ? [this.chain.disputes, disputesAbi]
            : [call.address, call.abi];
      const params = {
        address,
        abi: withErrors(abi),
        functionName: call.functionName,
        args: call.args,
        value: call.value,
        account: this.chain.account,
      };
      const { request } = await this.chain.pub.simulateContract(params);
      // Headroom over the estimate: some calls' gas depends on the block they land in (stopAndSettle bills up to
      // its block's time), so an exact estimate can fall short.
      const gas = ((await this.chain.pub.estimateContractGas(params)) * 12n) / 10n + 10_000n;
      n.set("pending", `${label}: confirm the transaction in your wallet…`);
      const hash = await this.chain.wallet.writeContract({ ...request, gas, chain: null });
      n.set("pending", `${label}: transaction pending `, this.txLink(hash));
      const receipt = await this.chain.pub.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
      n.set("success", `${label}: confirmed in block ${receipt.blockNumber} `, this.txLink(hash));
      return receipt;
    } catch (e) {
      n.set("error", `${label} failed: ${explain(e, this.chain.tokens)}`);
      return null;
    }
  }

  /** Reports an error from any other step (signatures, the oracle, input checks). */
  fail(label: string, e: unknown, existing?: Notice): void {
    const msg = `${label}: ${explain(e, this.chain.tokens)}`;
    if (existing) existing.set("error", msg);
    else notice("error", msg);
  }
}
