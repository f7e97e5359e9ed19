// Entry point: connects the EIP-1193 wallet, finds the deployment of its chain (or offers to switch to a chain that
// has one), then shows the offers, the renter's rentals and the provider page, refreshed as blocks arrive.
import { getAddress, numberToHex, type Address, type EIP1193Provider } from "viem";
import { App } from "./app";
import { Chain, chainName, deployedChains, loadDeployment } from "./chain";
import { explain } from "./errors";
import { renterHistory } from "./history";
import { Market } from "./market";
import { offersView } from "./offers";
import { providerView } from "./provider";
import type { Rental } from "./rental";
import { rentalsView } from "./rentals";
import { h, notice, replace } from "./ui";

const walletEl = document.getElementById("wallet")!;
const tabsEl = document.getElementById("tabs")!;
const viewEl = document.getElementById("view")!;

let generation = 0;
let timer: number | undefined;
// The tab on show, kept when a changed account or chain rebuilds the page.
let currentTab = "offers";

function stop(): void {
  generation += 1;
  if (timer) clearInterval(timer);
  timer = undefined;
}

async function connect(eth: EIP1193Provider, ask: boolean): Promise<void> {
  stop();
  const gen = generation;
  let accounts: Address[];
  try {
    accounts = (await eth.request({ method: ask ? "eth_requestAccounts" : "eth_accounts" })) as Address[];
  } catch (e) {
    notice("error", `Connect: ${explain(e)}`);
    return;
  }
  if (accounts.length === 0) {
    replace(
      walletEl,
      h("button", { class: "primary", testid: "connect", onclick: () => void connect(eth, true) }, "Connect wallet"),
    );
    replace(viewEl, h("p", {}, "Connect a wallet to rent GPUs or to offer yours."));
    replace(tabsEl);
    return;
  }
  const account = getAddress(accounts[0]);
  const chainId = Number(await eth.request({ method: "eth_chainId" }));
  replace(
    walletEl,
    h("span", { testid: "network" }, `${chainName(chainId)} (${chainId})`),
    " · ",
    h("code", { testid: "account", title: account }, account),
  );
  const dep = await loadDeployment(chainId).catch((e) => {
    notice("error", `Deployment file: ${explain(e)}`);
    return null;
  });
  if (gen !== generation) return;
  if (!dep) {
    const chains = await deployedChains();
    replace(tabsEl);
    replace(
      viewEl,
      h(
        "div",
        { class: "card", testid: "wrong-network" },
        h("p", {}, `gpu-escrow is not deployed on ${chainName(chainId)} (chain ${chainId}).`),
        chains.length
          ? h(
              "div",
              { class: "actions" },
              ...chains.map((id) =>
                h(
                  "button",
                  {
                    testid: "switch-chain",
                    onclick: async () => {
                      try {
                        await eth.request({
                          method: "wallet_switchEthereumChain",
                          params: [{ chainId: numberToHex(id) }],
                        });
                      } catch (e) {
                        notice("error", `Switch network: ${explain(e)}`);
                      }
                    },
                  },
                  `Switch to ${chainName(id)} (${id})`,
                ),
              ),
            )
          : h("p", {}, "No deployment file is published with this page."),
      ),
    );
    return;
  }
  const chain = new Chain(eth, chainId, account, dep);
  const market = new Market(chain);
  const app = new App(chain, market);
  try {
    await app.refresh();
    await Promise.all([...market.offers.values()].map((o) => chain.token(o.token)));
    await Promise.all(app.history.map((r) => chain.token(r.terms.token)));
  } catch (e) {
    notice("error", `Reading the escrow at ${dep.escrow}: ${explain(e)}`);
  }
  if (gen !== generation) return;

  const rentals = rentalsView(app);
  const views: Record<string, HTMLElement> = {
    offers: offersView(app, () => show("rentals")),
    rentals: rentals.el,
    provider: providerView(app),
  };
  const labels: Record<string, string> = { offers: "Offers", rentals: "My rentals", provider: "Provider" };
  const show = (name: string) => {
    currentTab = name;
    replace(viewEl, views[name]);
    for (const b of tabsEl.querySelectorAll("button")) b.classList.toggle("active", b.dataset.tab === name);
  };
  replace(
    tabsEl,
    ...Object.keys(views).map((name) =>
      h("button", { "data-tab": name, testid: `tab-${name}`, onclick: () => show(name) }, labels[name]),
    ),
  );
  // A changed account or chain rebuilds the views; the page stays on the tab the user was on.
  show(currentTab);

  let lastBlock = -1n;
  let running = false;
  timer = window.setInterval(async () => {
    if (running || gen !== generation) return;
    running = true;
    try {
      const block = await chain.pub.getBlockNumber();
      if (block !== lastBlock) {
        lastBlock = block;
        const marketChanged = await app.market.refresh();
        const history = await renterHistory(chain, chain.account);
        await Promise.all([...market.offers.values()].map((o) => chain.token(o.token)));
        await Promise.all(history.map((r) => chain.token(r.terms.token)));
        const historyChanged = fingerprint(history) !== fingerprint(app.history);
        if (historyChanged) app.history = history;
        if (marketChanged || historyChanged) app.changed();
      }
      await rentals.tick();
    } catch (e) {
      console.error(e);
    } finally {
      running = false;
    }
  }, 1000);
}

function fingerprint(rentals: Rental[]): string {
  return JSON.stringify(rentals, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

function main(): void {
  const eth = window.ethereum;
  if (!eth) {
    replace(
      viewEl,
      h(
        "p",
        { testid: "no-wallet" },
        "No browser wallet found. Install MetaMask, Rabby or another EIP-1193 wallet and reload.",
      ),
    );
    return;
  }
  eth.on?.("accountsChanged", () => void connect(eth, false));
  eth.on?.("chainChanged", () => void connect(eth, false));
  replace(
    walletEl,
    h("button", { class: "primary", testid: "connect", onclick: () => void connect(eth, true) }, "Connect wallet"),
  );
  void connect(eth, false);
}

main();
