#!/usr/bin/env node
// End-to-end test of the dApp in Debian's Chromium driven by playwright-core: a real anvil (one block a second),
// the escrow, its dispute module and the committee arbitrator deployed with the project's forge script, the
// provider's bonded offer served by the real gpu-oracle with a mock GPU, the built app served on localhost, and a
// test wallet in the page that forwards EIP-1193 requests to anvil (whose accounts are unlocked). The committee's
// one member (the deployer) votes over JSON-RPC from the test. Screenshots of every step go to app/test-results/.
// Exits non-zero on any failure and stops every process it started.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { createPublicClient, createWalletClient, http, parseAbi, parseUnits, zeroAddress } from "viem";

const APP = resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
const ROOT = resolve(APP, "..");
const BIN = join(ROOT, "node_modules", ".bin");
const RESULTS = join(APP, "test-results");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

// anvil's well-known development accounts: 0 deployer (owner, treasury and the arbitration committee's only
// member), 1 provider, 2 attester, 3 renter (as in script/demo.sh).
const DEPLOYER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const PROVIDER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ATTESTER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const ATTESTER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC";
const DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
const PROVIDER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const RENTER = "0x90F79bf6EB2c4f870365E785982E1f101E93b906";
const NEW_PROVIDER = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65";
const GPU = "GPU-00000000-0000-4000-8000-000000000000";
const TERMS =
  "(address renter, uint64 offerId, address token, uint96 pricePerHour, address attester, uint40 startedAt, " +
  "uint16 feeBps, uint16 slaBps, uint32 challengeWindow, uint32 gracePeriod, bytes32 salt)";
const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAbyh8/tsv992tYco2yEQJ9OO02B5V3kdLXghyEFXQFi e2e-renter";

const procs = [];
const tmp = mkdtempSync(join(tmpdir(), "gpu-escrow-app-e2e-"));
let browser;
const started = Date.now();

function log(msg) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${msg}`);
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function start(name, cmd, args, opts = {}) {
  const logFile = join(tmp, `${name}.log`);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const chunks = [];
  child.stdout.on("data", (d) => chunks.push(d));
  child.stderr.on("data", (d) => chunks.push(d));
  child.on("exit", () => writeFileSync(logFile, Buffer.concat(chunks)));
  const p = { name, child, output: () => Buffer.concat(chunks).toString() };
  procs.push(p);
  return p;
}

async function waitFor(what, fn, timeoutMs = 20_000, everyMs = 200) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last.message})` : ""}`);
}

function run(cmd, args, env = {}) {
  try {
    return execFileSync(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGTERM");
  await Promise.all(
    procs.map(
      (p) =>
        new Promise((ok) => {
          if (p.child.exitCode !== null) return ok();
          const t = setTimeout(() => {
            p.child.kill("SIGKILL");
            ok();
          }, 3000);
          p.child.on("exit", () => {
            clearTimeout(t);
            ok();
          });
        }),
    ),
  );
  rmSync(tmp, { recursive: true, force: true });
}

// ---- the in-page wallet: EIP-1193 over fetch to anvil's JSON-RPC ----
function injectedWallet({ rpc, account, startChainId }) {
  let current = account;
  // Until the page asks to switch, the wallet claims to be on another chain (a chain without a deployment).
  let fakeChainId = startChainId;
  let reject = 0;
  const listeners = {};
  const emit = (ev, arg) => (listeners[ev] ?? []).forEach((fn) => fn(arg));
  let id = 0;
  const forward = async (method, params) => {
    const res = await fetch(rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params }),
    });
    const body = await res.json();
    if (body.error) {
      const e = new Error(body.error.message);
      e.code = body.error.code;
      e.data = body.error.data;
      throw e;
    }
    return body.result;
  };
  window.__wallet = {
    setAccount(a) {
      current = a;
      emit("accountsChanged", [a]);
    },
    rejectNext() {
      reject += 1;
    },
  };
  window.ethereum = {
    isTestWallet: true,
    async request({ method, params }) {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [current];
      if (method === "eth_chainId" && fakeChainId) return fakeChainId;
      if (method === "wallet_switchEthereumChain") {
        const wanted = params[0].chainId;
        if (wanted !== (await forward("eth_chainId", []))) {
          const e = new Error(`Unrecognized chain ID ${wanted}`);
          e.code = 4902;
          throw e;
        }
        fakeChainId = null;
        emit("chainChanged", wanted);
        return null;
      }
      if (reject > 0 && ["eth_sendTransaction", "personal_sign", "eth_signTypedData_v4"].includes(method)) {
        reject -= 1;
        const e = new Error("User rejected the request.");
        e.code = 4001;
        throw e;
      }
      return forward(method, params ?? []);
    },
    on(ev, fn) {
      (listeners[ev] ??= []).push(fn);
    },
    removeListener(ev, fn) {
      listeners[ev] = (listeners[ev] ?? []).filter((f) => f !== fn);
    },
  };
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (make app-install)`);
  if (!existsSync(join(APP, "dist", "index.html")))
    throw new Error("app/dist is missing: build the app first (make app)");
  if (!existsSync(join(ROOT, "out", "GpuEscrow.sol", "GpuEscrow.json")))
    throw new Error("out/ is missing: forge build");
  // The binaries come from `cargo build -p gpu-oracle -p gpu-escrow-cli` (make test-app builds them).
  const oracleBin = join(ROOT, "target", "debug", "gpu-oracle");
  const cliBin = join(ROOT, "target", "debug", "gpu-escrow");
  for (const bin of [oracleBin, cliBin]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: cargo build -p gpu-oracle -p gpu-escrow-cli`);
  }
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  // The provider's provisioning and teardown hook: provisioning records the access key it was given and prints the
  // connection details; teardown has nothing to remove.
  const hook = join(tmp, "access-hook.sh");
  const hookKey = join(tmp, "provisioned-key");
  writeFileSync(
    hook,
    [
      "#!/bin/sh",
      '[ "$GPU_ESCROW_ACTION" = provision ] || exit 0',
      `printf '%s' "$GPU_ESCROW_ACCESS_KEY" > '${hookKey}'`,
      `echo '{"host": "127.0.0.1", "port": 2222, "user": "renter", "notes": "e2e host"}'`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );

  const [chainPort, oraclePort, appPort] = [await freePort(), await freePort(), await freePort()];
  const rpc = `http://127.0.0.1:${chainPort}`;
  const oracleUrl = `http://127.0.0.1:${oraclePort}`;
  const env = { PATH: `${BIN}:${process.env.PATH}` };

  const anvil = start("anvil", join(BIN, "anvil"), ["--port", String(chainPort), "--block-time", "1", "--silent"]);
  await waitFor("anvil", async () => {
    if (anvil.child.exitCode !== null) throw new Error(`anvil exited: ${anvil.output()}`);
    const r = await fetch(rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}',
    });
    return r.ok;
  });
  log(`anvil on ${rpc}`);

  const forge = join(BIN, "forge");
  // The deploy script's defaults: the deployer owns everything and is the committee (one member, quorum 1).
  // (Child processes ignore undefined variables.)
  const deployEnv = { ...env };
  for (const k of ["ESCROW_OWNER", "ESCROW_TREASURY", "ESCROW_TOKENS", "ARBITRATOR", "COMMITTEE_MEMBERS"]) {
    deployEnv[k] = undefined;
  }
  run(
    forge,
    ["script", "script/Deploy.s.sol", "--rpc-url", rpc, "--broadcast", "--slow", "--private-key", DEPLOYER_KEY],
    deployEnv,
  );
  const deployment = JSON.parse(readFileSync(join(ROOT, "deployments", "31337.json"), "utf8"));
  const chain = createPublicClient({ transport: http(rpc), pollingInterval: 200 });
  const escrowAbi = JSON.parse(readFileSync(join(ROOT, "out", "GpuEscrow.sol", "GpuEscrow.json"), "utf8")).abi;
  // Transactions of anvil's unlocked accounts, sent over JSON-RPC and waited for.
  const send = async (from, address, signature, args, value) => {
    const wallet = createWalletClient({ account: from, transport: http(rpc), chain: null });
    const hash = await wallet.writeContract({ address, abi: parseAbi([signature]), args, value });
    const receipt = await chain.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${signature} reverted`);
  };
  const usdc = deployment.tokens.USDC;
  const usdcBalance = (who) =>
    chain.readContract({
      address: usdc,
      abi: parseAbi(["function balanceOf(address) view returns (uint256)"]),
      functionName: "balanceOf",
      args: [who],
    });
  // The provider registers (its oracle endpoint is set later from the provider page), bonds the minimum of
  // 100 USDC that an offer in USDC needs (the local USDC is a mock anyone may mint), and publishes an H100 offer.
  const provider = (...args) => run(cliBin, ["--rpc-url", rpc, "--private-key", PROVIDER_KEY, ...args], env);
  provider(
    "register",
    "--payout",
    PROVIDER,
    "--attester",
    ATTESTER,
    "--endpoint",
    "http://127.0.0.1:7070",
  );
  await send(DEPLOYER, usdc, "function mint(address to, uint256 amount)", [PROVIDER, 100_000_000n]);
  await send(PROVIDER, usdc, "function approve(address spender, uint256 amount)", [
    deployment.disputeModule,
    100_000_000n,
  ]);
  await send(PROVIDER, deployment.disputeModule, "function bond(address token, uint256 amount) payable", [
    usdc,
    100_000_000n,
  ]);
  provider(
    "offer",
    "create",
    "--model",
    "NVIDIA H100 80GB HBM3",
    "--vram",
    "80",
    "--gpus",
    "1",
    "--token",
    "USDC",
    "--price",
    "2.50",
    "--min-duration",
    "60",
    "--max-duration",
    String(7 * 24 * 3600),
    "--region",
    "eu-west",
    "--sla-bps",
    "9900",
    "--capacity",
    "4",
  );
  log(`escrow ${deployment.escrow} deployed, provider registered and bonded, offer 1 published`);

  // The renter's test money.
  await send(DEPLOYER, usdc, "function mint(address to, uint256 amount)", [RENTER, 1000_000_000n]);

  const oracle = start("gpu-oracle", oracleBin, [
    "run",
    "--rpc-url",
    rpc,
    "--deployment",
    "deployments/31337.json",
    "--state-dir",
    join(tmp, "oracle"),
    "--listen",
    `127.0.0.1:${oraclePort}`,
    "--dev-private-key",
    ATTESTER_KEY,
    "--confirmations",
    "0",
    "--poll-interval-ms",
    "500",
    "--attest-interval-secs",
    "5",
    "--offer",
    `1=${GPU}`,
    "--mock-gpus",
    "1",
    "--mock-model",
    "NVIDIA H100 80GB HBM3",
    "--provision-hook",
    hook,
    "--teardown-hook",
    hook,
  ]);
  await waitFor("gpu-oracle /healthz", async () => {
    if (oracle.child.exitCode !== null) throw new Error(`gpu-oracle exited: ${oracle.output()}`);
    return (await fetch(`${oracleUrl}/healthz`)).ok;
  });
  log(`gpu-oracle on ${oracleUrl}`);

  const server = start("serve", process.execPath, [join(APP, "scripts", "serve.mjs"), "--port", String(appPort)]);
  await waitFor("app server", () => server.output().includes("app: "));
  const appUrl = `http://127.0.0.1:${appPort}/`;
  log(`app on ${appUrl}`);

  // A fresh profile (--user-data-dir) in the test's temporary folder.
  const context = await chromium.launchPersistentContext(join(tmp, "chromium-profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    acceptDownloads: true,
    viewport: { width: 1400, height: 1000 },
  });
  browser = context;
  await context.addInitScript(injectedWallet, { rpc, account: PROVIDER, startChainId: "0x1" });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(e.message));

  let shot = 0;
  const step = async (name, fn) => {
    const t0 = Date.now();
    try {
      await fn();
      passed += 1;
    } finally {
      shot += 1;
      const file = join(RESULTS, `${String(shot).padStart(2, "0")}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    }
    log(`ok  ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  };
  const byId = (id) => page.getByTestId(id);
  const text = async (loc) => ((await loc.textContent()) ?? "").trim();
  const errorNotices = async () => page.locator("[data-testid=notice][data-kind=error]").allTextContents();
  // Waits for an error notice matching `re`.
  const expectError = (re) =>
    waitFor(`an error notice matching ${re}`, async () => (await errorNotices()).some((t) => re.test(t)), 30_000);
  // Clicks and waits for a new notice matching `re`; a new error notice fails at once with its text.
  const act = async (loc, re) => {
    const notices = () => page.locator("[data-testid=notice]").allTextContents();
    const seen = new Set(await notices());
    const before = new Set(await errorNotices());
    await loc.click();
    await waitFor(
      `a notice matching ${re}`,
      async () => {
        const errors = (await errorNotices()).filter((t) => !before.has(t));
        if (errors.length) throw Object.assign(new Error(`error notice: ${errors[0]}`), { fatal: true });
        return (await notices()).some((t) => !seen.has(t) && re.test(t));
      },
      40_000,
    ).catch((e) => {
      throw new Error(`${re}: ${e.message}`);
    });
  };
  const number = (s) => Number(s.replace(/[^0-9.]/g, ""));

  await step("wrong-network-switch", async () => {
    await page.goto(appUrl);
    await byId("wrong-network").waitFor();
    if (!/not deployed on Ethereum \(chain 1\)/.test(await text(byId("wrong-network"))))
      throw new Error("wrong network not explained");
    await byId("switch-chain").click();
  });

  await step("provider-connect", async () => {
    await waitFor("the account shown", async () => (await text(byId("account"))) === PROVIDER);
    if (!/31337/.test(await text(byId("network")))) throw new Error("network not shown");
    await byId("tab-provider").click();
    await waitFor("the registered endpoint", async () => (await text(byId("endpoint"))) === "http://127.0.0.1:7070");
  });

  await step("provider-endpoint", async () => {
    await byId("endpoint-input").fill(oracleUrl);
    await act(byId("endpoint-submit"), /Update oracle endpoint: confirmed/);
    await waitFor("the new endpoint", async () => (await text(byId("endpoint"))) === oracleUrl);
    const usdcRow = page.locator("[data-testid=bond-row][data-symbol=USDC]");
    await waitFor("the USDC bond", async () => (await text(usdcRow.getByTestId("bond-active"))) === "100 USDC");
    if ((await text(usdcRow.getByTestId("bond-min"))) !== "100 USDC") throw new Error("USDC minimum bond not shown");
  });

  await step("offer-needs-bond", async () => {
    await byId("co-model").fill("NVIDIA A100-SXM4-40GB");
    await byId("co-vram").fill("40");
    await byId("co-count").fill("2");
    await byId("co-token").selectOption(zeroAddress);
    await byId("co-price").fill("0.001");
    await byId("co-spot").check();
    await byId("co-region").fill("us-east");
    await byId("co-capacity").fill("2");
    await byId("co-submit").click();
    await expectError(/BondBelowMinimum.*post a bond of at least 0\.05 ETH first/);
  });

  await step("bond-and-offer", async () => {
    const ethRow = () => page.locator("[data-testid=bond-row][data-symbol=ETH]");
    await ethRow().getByTestId("bond-amount").fill("0.06");
    await act(ethRow().getByTestId("bond-submit"), /Bond 0\.06 ETH: confirmed/);
    await waitFor("the ETH bond", async () => (await text(ethRow().getByTestId("bond-active"))) === "0.06 ETH");
    if (!/enough for offers/.test(await text(ethRow().getByTestId("bond-status")))) throw new Error("bond status");
    await act(byId("co-submit"), /Publish offer: confirmed/);
    await waitFor("two offers on the provider page", async () => (await byId("provider-offer").count()) === 2);
  });

  await step("provider-reprice-decoded-revert", async () => {
    const row = page.locator('[data-testid=provider-offer][data-offer="2"]');
    await row.getByTestId("op-price").fill("0");
    await row.getByTestId("op-price-submit").click();
    await expectError(/GpuEscrow_ZeroPrice/);
    await row.getByTestId("op-price").fill("0.002");
    await act(row.getByTestId("op-price-submit"), /Set the price of offer #2: confirmed/);
    await waitFor(
      "the new price",
      async () =>
        (await text(page.locator('[data-testid=provider-offer][data-offer="2"] [data-testid=op-current-price]'))) ===
        "0.002 ETH",
    );
  });

  await step("register-provider", async () => {
    await page.evaluate((a) => window.__wallet.setAccount(a), NEW_PROVIDER);
    await waitFor("the new account", async () => (await text(byId("account"))) === NEW_PROVIDER);
    await byId("tab-provider").click();
    await byId("reg-endpoint").fill("https://gpu-host.example:7070");
    await act(byId("reg-submit"), /Register as provider: confirmed/);
    await waitFor("the registration", async () => (await text(byId("endpoint"))) === "https://gpu-host.example:7070");
  });

  await step("renter-browse-filter", async () => {
    await page.evaluate((a) => window.__wallet.setAccount(a), RENTER);
    await waitFor("the renter's account", async () => (await text(byId("account"))) === RENTER);
    await byId("tab-offers").click();
    await waitFor("two offers", async () => (await byId("offer-row").count()) === 2);
    const models = async () => byId("offer-model").allTextContents();
    // Sorted by price: 0.002 ETH before 2.5 USDC; the reverse when sorted highest first.
    if ((await models())[0] !== "NVIDIA A100-SXM4-40GB") throw new Error(`price sort: ${await models()}`);
    await byId("sort").selectOption("price-desc");
    if ((await models())[0] !== "NVIDIA H100 80GB HBM3") throw new Error(`price-desc sort: ${await models()}`);
    await byId("filter-vram").fill("80");
    await waitFor("only the 80 GiB offer", async () => (await models()).join() === "NVIDIA H100 80GB HBM3");
    await byId("filter-vram").fill("");
    await byId("filter-spot").selectOption("spot");
    await waitFor("only the spot offer", async () => (await models()).join() === "NVIDIA A100-SXM4-40GB");
    await byId("filter-spot").selectOption("any");
    await byId("filter-price").fill("1");
    await waitFor("only offers up to 1 per hour", async () => (await models()).join() === "NVIDIA A100-SXM4-40GB");
    await byId("filter-price").fill("");
    await byId("filter-model").fill("h100");
    await waitFor("the model filter", async () => (await models()).join() === "NVIDIA H100 80GB HBM3");
    if ((await text(byId("offer-price"))) !== "2.5 USDC")
      throw new Error(`price shown: ${await text(byId("offer-price"))}`);
    const shown = [
      await text(byId("offer-sla")),
      await text(byId("offer-uptime")),
      await text(byId("offer-completed")),
      await text(byId("offer-disputes")),
      await text(byId("offer-rating")),
    ].join(" | ");
    if (shown !== "99 % | no history | 0 | 0 of 0 | not rated") throw new Error(`a new provider's record: ${shown}`);
  });

  await step("rent-approve-form", async () => {
    await byId("rent-open").click();
    await waitFor("the deposit estimate", async () => (await text(byId("rent-estimate-deposit"))) === "2.5 USDC");
    if (!/Protocol fee: \d/.test(await text(byId("rent-fee")))) throw new Error("fee rate not shown");
    // No credit in the escrow yet: the form offers none.
    if (await byId("rent-use-credit").isVisible()) throw new Error("credit offered to a renter without any");
    await byId("rent-pay").selectOption("approve");
    await byId("rent-ssh").fill("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB me@host");
    await byId("rent-submit").click();
    await expectError(/SSH key is not usable: the key data says "ssh-rsa" but the line says "ssh-ed25519"/);
    await byId("rent-ssh").fill(SSH_KEY);
    await page.evaluate(() => window.__wallet.rejectNext());
    await byId("rent-submit").click();
    await expectError(/You rejected the request in your wallet/);
  });

  await step("rent-approve", async () => {
    await act(byId("rent-submit"), /Rental 0x[0-9a-f]{64} opened with a deposit of 2.5 USDC/);
    await waitFor("the rental card", async () => (await byId("rental-card").count()) === 1);
  });

  let rentalA;
  await step("live-cost", async () => {
    rentalA = await byId("rental-card").getAttribute("data-rental");
    const first = await waitFor("an accrued cost", async () => {
      const t = await text(byId("live-accrued"));
      return t.endsWith("USDC") ? t : null;
    });
    await waitFor(
      "the accrued cost to grow",
      async () => number(await text(byId("live-accrued"))) > number(first),
      15_000,
    );
    await waitFor("uptime from the oracle", async () => /%/.test(await text(byId("live-uptime"))), 20_000);
    const left = await text(byId("live-left"));
    if (!/\d+m/.test(left)) throw new Error(`time left: ${left}`);
    if ((await text(byId("live-sla"))) !== "99 % uptime") throw new Error(`SLA: ${await text(byId("live-sla"))}`);
    const credit = await text(byId("live-sla-credit"));
    if (!/USDC back if settled now|none \(uptime meets the SLA\)/.test(credit)) throw new Error(`credit: ${credit}`);
  });

  await step("extend", async () => {
    await byId("extend-amount").fill("1");
    await act(byId("extend"), /Extend by 1 USDC: confirmed/);
    await waitFor("the deposit of 3.5 USDC", async () => (await text(byId("live-deposit"))) === "3.5 USDC");
  });

  await step("access", async () => {
    // The host may still be provisioning (202): ask again, with a fresh signature each time.
    await waitFor(
      "access details",
      async () => {
        await byId("access-request").click();
        const answer = await waitFor("the oracle's answer", async () => {
          if ((await byId("access-refused").count()) > 0) {
            throw Object.assign(new Error(await text(byId("access-refused"))), { fatal: true });
          }
          if ((await byId("access-ssh").count()) > 0) return "ready";
          return (await byId("access-provisioning").count()) > 0 ? "provisioning" : null;
        });
        if (answer === "provisioning") await new Promise((r) => setTimeout(r, 1000));
        return answer === "ready";
      },
      30_000,
      0,
    );
    const ssh = await text(byId("access-ssh"));
    if (!/-p 2222/.test(ssh) || !/renter@127\.0\.0\.1/.test(ssh)) throw new Error(`ssh line: ${ssh}`);
    const key = readFileSync(hookKey, "utf8");
    if (!key.startsWith(SSH_KEY.split(" ").slice(0, 2).join(" "))) throw new Error(`the host got the key ${key}`);
  });

  await step("stop-and-receipt", async () => {
    await act(byId("stop"), /Stop and settle: confirmed/);
    const row = page.locator(`[data-testid=history-row][data-rental="${rentalA}"]`);
    await waitFor("the settled receipt", async () => (await row.getAttribute("data-status")) === "settled");
    const billed = number(await text(row.getByTestId("history-billed")));
    const cost = number(await text(row.getByTestId("history-cost")));
    const credit = number(await text(row.getByTestId("history-sla-credit")));
    const refund = number(await text(row.getByTestId("history-refund")));
    if (!(billed > 0)) throw new Error(`billed seconds: ${billed}`);
    if (Math.round((cost - credit + refund) * 1e6) !== 3_500_000)
      throw new Error(`cost ${cost} - SLA credit ${credit} + refund ${refund} != deposit 3.5`);
    if (await byId("rental-card").count()) throw new Error("the settled rental is still shown as running");
  });

  await step("download-receipts", async () => {
    const [json] = await Promise.all([page.waitForEvent("download"), byId("download-json").click()]);
    const jsonPath = join(RESULTS, "receipts.json");
    await json.saveAs(jsonPath);
    const receipts = JSON.parse(readFileSync(jsonPath, "utf8"));
    const r = receipts.find((x) => x.rentalId === rentalA);
    if (!r || r.status !== "settled" || Number(r.billedSeconds) <= 0) throw new Error(`receipt: ${JSON.stringify(r)}`);
    // The end and the billed seconds are the settlement event's own.
    const [settled] = await chain.getContractEvents({
      address: deployment.escrow,
      abi: escrowAbi,
      eventName: "RentalSettled",
      args: { rentalId: rentalA },
      fromBlock: 0n,
    });
    const { endedAt, billedSeconds } = settled.args;
    if (BigInt(r.endUnix) !== endedAt || BigInt(r.billedSeconds) !== billedSeconds)
      throw new Error(`receipt: end ${r.endUnix}, billed ${r.billedSeconds}; settled: ${endedAt}, ${billedSeconds}`);
    const units = (v) => parseUnits(v, 6);
    if (r.slaBps !== 9900 || r.slaCredit === undefined) throw new Error(`receipt SLA: ${JSON.stringify(r)}`);
    if (units(r.cost) - units(r.slaCredit) + units(r.refund) !== units(r.deposit))
      throw new Error(`receipt sums: ${JSON.stringify(r)}`);
    if (units(r.fee) + units(r.providerNet) + units(r.slaCredit) !== units(r.cost) || !r.txClose || !r.end)
      throw new Error(`receipt: ${JSON.stringify(r)}`);
    const [csv] = await Promise.all([page.waitForEvent("download"), byId("download-csv").click()]);
    const csvPath = join(RESULTS, "receipts.csv");
    await csv.saveAs(csvPath);
    const lines = readFileSync(csvPath, "utf8").trim().split("\n");
    const header = lines[0];
    if (!header.startsWith("rentalId,") || !header.includes(",slaCredit,") || !lines.some((l) => l.startsWith(rentalA)))
      throw new Error(`csv: ${header}`);
  });

  await step("rate-settled", async () => {
    const row = () => page.locator(`[data-testid=history-row][data-rental="${rentalA}"]`);
    await row().getByTestId("rate-score").selectOption("4");
    await act(row().getByTestId("rate-submit"), /Rate 4 of 5: confirmed/);
    const rating = () => row().getByTestId("history-rating").getAttribute("data-rating");
    await waitFor("the rating", async () => (await rating()) === "4");
  });

  await step("rent-permit-open-ended", async () => {
    await byId("tab-offers").click();
    await byId("filter-model").fill("");
    await page.locator('[data-testid=offer-row][data-offer="1"] [data-testid=rent-open]').click();
    await byId("rent-mode").selectOption("open");
    await byId("rent-deposit").fill("0.042");
    await byId("rent-pay").selectOption("permit");
    await byId("rent-ssh").fill(SSH_KEY);
    await waitFor("the estimate", async () => (await text(byId("rent-estimate-deposit"))) === "0.042 USDC");
    await act(byId("rent-submit"), /opened with a deposit of 0.042 USDC/);
    await waitFor("the rental card", async () => (await byId("rental-card").count()) === 1);
  });

  await step("low-balance-and-stop", async () => {
    await waitFor("the low-balance warning", async () => byId("low-balance").isVisible(), 30_000);
    await waitFor("uptime from the oracle", async () => /%/.test(await text(byId("live-uptime"))), 20_000);
    await act(byId("stop"), /Stop and settle: confirmed/);
    await waitFor(
      "two settled rentals",
      async () => (await page.locator("[data-testid=history-row][data-status=settled]").count()) === 2,
    );
  });

  let rentalD;
  let balanceBeforeDispute;
  await step("dispute-open", async () => {
    await byId("tab-offers").click();
    await page.locator('[data-testid=offer-row][data-offer="1"] [data-testid=rent-open]').click();
    await waitFor("the deposit estimate", async () => (await text(byId("rent-estimate-deposit"))) === "2.5 USDC");
    await byId("rent-pay").selectOption("approve");
    await byId("rent-ssh").fill(SSH_KEY);
    await act(byId("rent-submit"), /opened with a deposit of 2.5 USDC/);
    await waitFor("the rental card", async () => (await byId("rental-card").count()) === 1);
    rentalD = await byId("rental-card").getAttribute("data-rental");
    balanceBeforeDispute = await usdcBalance(RENTER);
    await byId("dispute-open").click();
    await waitFor("the dispute's cost", async () => /dispute bond of 5 USDC/.test(await text(byId("dispute-cost"))));
    await byId("dispute-submit").click();
    await expectError(/give the URI of your evidence/);
    await byId("dispute-evidence-input").fill("https://evidence.example/rental-d/throttled.txt");
    await act(byId("dispute-submit"), /Open dispute: confirmed/);
    await waitFor("the frozen rental", async () => (await byId("dispute-card").count()) === 1);
    if ((await byId("rental-card").count()) !== 0) throw new Error("the frozen rental still has live controls");
    await waitFor("the open dispute", async () => (await byId("dispute-state").getAttribute("data-state")) === "open");
    if (!(await byId("dispute-execute").isDisabled())) throw new Error("execute enabled before any ruling");
    if ((await text(byId("dispute-opener"))) !== "you") throw new Error("opener not shown");
    const row = page.locator(`[data-testid=history-row][data-rental="${rentalD}"]`);
    await waitFor("the frozen status", async () => (await row.getAttribute("data-status")) === "frozen");
    if ((await usdcBalance(RENTER)) !== balanceBeforeDispute - 5_000_000n) throw new Error("dispute bond not posted");
  });

  await step("dispute-evidence-added", async () => {
    // Either party adds evidence to the open dispute (submitEvidence); the card lists every URI, the opener's first.
    const extra = "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";
    await byId("evidence-add-input").fill(extra);
    await act(byId("evidence-add"), /Add evidence: confirmed/);
    const items = byId("dispute-evidence-item");
    await waitFor("both evidence URIs", async () => (await items.count()) === 2);
    const uris = await items.evaluateAll((els) => els.map((e) => e.dataset.uri));
    const listed = (await items.allTextContents()).join(" | ");
    const both = uris.join(" ") === `https://evidence.example/rental-d/throttled.txt ${extra}`;
    if (!both || !/\(you\).*\(you\)/.test(listed)) throw new Error(`evidence listed: ${listed}`);
  });

  await step("dispute-ruling-executed", async () => {
    // The committee (the deployer alone, quorum 1) gives the renter 75 %: ruling r pays the renter r − 1 bps.
    const disputeId = BigInt((await text(byId("dispute-id"))).replace("#", ""));
    await send(DEPLOYER, deployment.arbitrator, "function vote(uint256 disputeID, uint256 ruling)", [disputeId, 7501n]);
    await waitFor("the ruling", async () => (await byId("dispute-state").getAttribute("data-state")) === "ruled");
    const state = await text(byId("dispute-state"));
    if (!/75 % of the cost of the time before the freeze to you, 25 % to the provider/.test(state))
      throw new Error(`ruling: ${state}`);
    await act(byId("dispute-execute"), /Execute the ruling: confirmed/);
    const row = page.locator(`[data-testid=history-row][data-rental="${rentalD}"]`);
    await waitFor("the resolved rental", async () => (await row.getAttribute("data-status")) === "resolved");
    if ((await byId("dispute-card").count()) !== 0) throw new Error("the resolved rental is still shown as frozen");
    const outcome = await text(row.getByTestId("history-dispute"));
    if (outcome !== "ruling: 75 % to the renter") throw new Error(`outcome: ${outcome}`);
    // The freeze stopped the clock: only the cost of the seconds before it was at stake, the rest of the deposit
    // went straight back. The renter won more than half: 75 % of what was at stake and the dispute bond back.
    const [resolved] = await chain.getContractEvents({
      address: deployment.escrow,
      abi: escrowAbi,
      eventName: "RentalResolved",
      args: { rentalId: rentalD },
      fromBlock: 0n,
    });
    const { atStake, returned } = resolved.args;
    if (atStake + returned !== 2_500_000n || !(atStake > 0n && atStake < 100_000n))
      throw new Error(`at stake ${atStake}, returned ${returned}`);
    const toRenter = (atStake * 7_500n) / 10_000n;
    const refund = number(await text(row.getByTestId("history-refund")));
    if (Math.round(refund * 1e6) !== Number(returned + toRenter)) throw new Error(`refund: ${refund}`);
    const balance = await usdcBalance(RENTER);
    if (balance !== balanceBeforeDispute + returned + toRenter) throw new Error(`renter balance ${balance}`);
  });

  let rentalC;
  await step("rent-native-stop-without-oracle", async () => {
    await byId("tab-offers").click();
    await page.locator('[data-testid=offer-row][data-offer="2"] [data-testid=rent-open]').click();
    await waitFor("the deposit estimate", async () => (await text(byId("rent-estimate-deposit"))) === "0.002 ETH");
    await byId("rent-ssh").fill(SSH_KEY);
    await act(byId("rent-submit"), /opened with a deposit of 0.002 ETH/);
    await waitFor("the rental card", async () => (await byId("rental-card").count()) === 1);
    rentalC = await byId("rental-card").getAttribute("data-rental");
    // gpu-oracle serves only offer 1: no attestation, so the renter stops without one.
    await byId("stop").click();
    await expectError(/no attestation from the provider's oracle/);
    await act(byId("stop-only"), /Stop: confirmed/);
    // Stopped, not settled: still running, billed up to its stop.
    await waitFor(
      "a stopped rental",
      async () =>
        (await page.locator("[data-testid=history-row][data-status=running][data-stopped=true]").count()) === 1,
    );
  });

  await step("refund-credited", async () => {
    // The renter's address rejects ETH for a while (as a contract wallet without a receive function would): the
    // refund of the stopped rental, due once its grace period (24 h) is over, is credited in the escrow instead.
    const [opened] = await chain.getContractEvents({
      address: deployment.escrow,
      abi: escrowAbi,
      eventName: "RentalOpened",
      args: { rentalId: rentalC },
      fromBlock: 0n,
    });
    // The event carries the rental's terms besides its id, deposit and access key.
    const { rentalId, deposit, accessKey, ...terms } = opened.args;
    await chain.request({ method: "anvil_setCode", params: [RENTER, "0x60006000fd"] });
    await chain.request({ method: "evm_increaseTime", params: [24 * 3600 + 60] });
    await chain.request({ method: "evm_mine", params: [] });
    await send(DEPLOYER, deployment.escrow, `function refund(${TERMS} terms)`, [terms]);
    await chain.request({ method: "anvil_setCode", params: [RENTER, "0x"] });
    const row = page.locator(`[data-testid=history-row][data-rental="${rentalC}"]`);
    await waitFor("the refunded rental", async () => (await row.getAttribute("data-status")) === "refunded");
    const refund = await text(row.getByTestId("history-refund"));
    if (refund !== "0.002 ETH (0.002 ETH credited)") throw new Error(`refund: ${refund}`);
    const credit = page.locator("[data-testid=credit-row][data-symbol=ETH][data-contract=escrow]");
    await waitFor("the credit", async () => (await credit.count()) === 1);
    if ((await text(credit.getByTestId("credit-amount"))) !== "0.002 ETH") throw new Error("credit not shown");
  });

  await step("rent-form-credit", async () => {
    await byId("tab-offers").click();
    await page.locator('[data-testid=offer-row][data-offer="2"] [data-testid=rent-open]').click();
    await waitFor("the deposit estimate", async () => (await text(byId("rent-estimate-deposit"))) === "0.002 ETH");
    await byId("rent-hours").fill("2");
    await waitFor("the 2-hour deposit", async () => (await text(byId("rent-estimate-deposit"))) === "0.004 ETH");
    if ((await text(byId("rent-credit-label"))) !== "Use my credit (0.002 ETH)") throw new Error("credit not offered");
    await byId("rent-use-credit").check();
    await waitFor("the two transactions explained", async () =>
      /^Two transactions: 1\. withdraw 0\.002 ETH of your credit to your wallet; 2\. open the rental/.test(
        await text(byId("rent-credit")).catch(() => ""),
      ),
    );
    await byId("rent-ssh").fill(SSH_KEY);
  });

  await step("rent-with-credit", async () => {
    const from = await chain.getBlockNumber();
    await act(byId("rent-submit"), /opened with a deposit of 0.004 ETH/);
    const notices = await page.locator("[data-testid=notice]").allTextContents();
    if (!notices.some((t) => /^Withdraw 0\.002 ETH of your credit: confirmed/.test(t)))
      throw new Error(`no withdrawal step: ${notices.join(" / ")}`);
    // The whole credit came out to the wallet, and the rental holds the whole deposit.
    const withdrawn = await chain.getContractEvents({
      address: deployment.escrow,
      abi: escrowAbi,
      eventName: "Withdrawn",
      args: { account: RENTER },
      fromBlock: from,
    });
    if (withdrawn.length !== 1 || withdrawn[0].args.amount !== 2_000_000_000_000_000n)
      throw new Error(`withdrawals: ${withdrawn.map((w) => w.args.amount)}`);
    const left = await chain.readContract({
      address: deployment.escrow,
      abi: escrowAbi,
      functionName: "credit",
      args: [RENTER, zeroAddress],
    });
    if (left !== 0n) throw new Error(`credit left: ${left}`);
    const card = page.locator("[data-testid=rental-card]", { hasText: "offer #2" });
    await waitFor("the rental card", async () => (await card.count()) === 1);
    await waitFor("the deposit", async () => (await text(card.getByTestId("live-deposit"))) === "0.004 ETH");
    await waitFor("no credit left", async () => (await page.locator("[data-testid=credit-row]").count()) === 0);
    // Stopped without an attestation, like the rental before it.
    for (const close of await page.locator("[data-testid=notice][data-kind=error] button.close").all()) {
      await close.click();
    }
    await card.getByTestId("stop").click();
    await expectError(/no attestation from the provider's oracle/);
    await act(card.getByTestId("stop-only"), /Stop: confirmed/);
    await waitFor(
      "the stopped rental",
      async () =>
        (await page.locator("[data-testid=history-row][data-status=running][data-stopped=true]").count()) === 1,
    );
  });

  await step("provider-earnings", async () => {
    await page.evaluate((a) => window.__wallet.setAccount(a), PROVIDER);
    await waitFor("the provider's account", async () => (await text(byId("account"))) === PROVIDER);
    await byId("tab-provider").click();
    const row = page.locator('[data-testid=provider-offer][data-offer="1"]');
    await waitFor("earnings on offer 1", async () => number(await text(row.getByTestId("op-accrued"))) > 0);
    await act(row.getByTestId("op-claim"), /Claim the earnings of offer #1: confirmed/);
    await waitFor(
      "claimed earnings",
      async () =>
        number(await text(page.locator('[data-testid=provider-offer][data-offer="1"] [data-testid=op-claimed]'))) > 0,
    );
    const row2 = page.locator('[data-testid=provider-offer][data-offer="2"]');
    await act(row2.getByTestId("op-retire"), /Retire offer #2: confirmed/);
    const rep = async () =>
      [await text(byId("rep-completed")), await text(byId("rep-disputes")), await text(byId("rep-rating"))].join(" | ");
    await waitFor("the provider's reputation", async () => (await rep()) === "2 | 1 / 1 | 4.0 ★ (1)");
  });

  await step("offers-reputation", async () => {
    await byId("tab-offers").click();
    await waitFor("the retired offer gone", async () => (await byId("offer-row").count()) === 1);
    const shown = [
      await text(byId("offer-sla")),
      await text(byId("offer-completed")),
      await text(byId("offer-disputes")),
      await text(byId("offer-rating")),
    ].join(" | ");
    if (shown !== "99 % | 2 | 1 of 1 | 4.0 ★ (1)") throw new Error(`reputation: ${shown}`);
    const uptime = await text(byId("offer-uptime"));
    if (!/^\d{1,3}\.\d %$/.test(uptime) || number(uptime) > 100) throw new Error(`uptime: ${uptime}`);
  });

  let rentalE;
  await step("dispute-fallback-open", async () => {
    await page.evaluate((a) => window.__wallet.setAccount(a), RENTER);
    await waitFor("the renter's account", async () => (await text(byId("account"))) === RENTER);
    await byId("tab-offers").click();
    await page.locator('[data-testid=offer-row][data-offer="1"] [data-testid=rent-open]').click();
    await waitFor("the deposit estimate", async () => (await text(byId("rent-estimate-deposit"))) === "2.5 USDC");
    await byId("rent-pay").selectOption("approve");
    await byId("rent-ssh").fill(SSH_KEY);
    await act(byId("rent-submit"), /opened with a deposit of 2.5 USDC/);
    const card = page.locator("[data-testid=rental-card]", { hasText: "offer #1" });
    await waitFor("the rental card", async () => (await card.count()) === 1);
    rentalE = await card.getAttribute("data-rental");
    await card.getByTestId("dispute-open").click();
    await card.getByTestId("dispute-evidence-input").fill("ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtq");
    await act(card.getByTestId("dispute-submit"), /Open dispute: confirmed/);
    await waitFor("the open dispute", async () => (await byId("dispute-state").getAttribute("data-state")) === "open");
  });

  await step("unbond-and-withdraw", async () => {
    await page.evaluate((a) => window.__wallet.setAccount(a), PROVIDER);
    await waitFor("the provider's account", async () => (await text(byId("account"))) === PROVIDER);
    await byId("tab-provider").click();
    const ethRow = () => page.locator("[data-testid=bond-row][data-symbol=ETH]");
    // Below the minimum needs every ETH offer retired with no rental running: offer 2 still has its stopped rental.
    await ethRow().getByTestId("bond-amount").fill("0.06");
    await ethRow().getByTestId("unbond-submit").click();
    await expectError(/BondInUse\(2\).*offer #2 still needs this bond/);
    await ethRow().getByTestId("bond-amount").fill("0.01");
    await act(ethRow().getByTestId("unbond-submit"), /Request to unbond 0\.01 ETH: confirmed/);
    await waitFor("the unbonding amount", async () =>
      /^0\.01 ETH, withdrawable from /.test(await text(ethRow().getByTestId("bond-unbonding"))),
    );
    await ethRow().getByTestId("bond-withdraw").click();
    await expectError(/UnbondingNotDue.*can be withdrawn from/);
    // The unbonding delay (14 days) passes on the chain.
    await chain.request({ method: "evm_increaseTime", params: [14 * 24 * 3600 + 1] });
    await chain.request({ method: "evm_mine", params: [] });
    await act(ethRow().getByTestId("bond-withdraw"), /Withdraw 0\.01 ETH of bond: confirmed/);
    const unbonding = () => text(ethRow().getByTestId("bond-unbonding"));
    await waitFor("the bond after withdrawal", async () => (await unbonding()) === "—");
    if ((await text(ethRow().getByTestId("bond-active"))) !== "0.05 ETH") throw new Error("bond after withdrawal");
    // The USDC bond answers for the renter's open dispute.
    const usdcRow = page.locator("[data-testid=bond-row][data-symbol=USDC]");
    if ((await text(usdcRow.getByTestId("bond-disputes"))) !== "1") throw new Error("open dispute not counted");
  });

  await step("dispute-fallback-executed", async () => {
    // The committee never ruled and the ruling period (3 days) is over: the billing rules apply as if no dispute
    // had been opened. The host's oracle runs on the wall clock, a day behind this chain since the refund-credited
    // step, so it has no attestation covering the freeze: once the grace period after the deadline is over (the
    // unbonding step moved 14 days), the refund rules close the rental. Nothing was paid: the whole deposit and the
    // dispute bond go back to the renter; nobody gains from a dispute nobody rules on.
    await page.evaluate((a) => window.__wallet.setAccount(a), RENTER);
    await waitFor("the renter's account", async () => (await text(byId("account"))) === RENTER);
    await byId("tab-rentals").click();
    const state = () => byId("dispute-state").getAttribute("data-state");
    await waitFor("the expired dispute", async () => (await state()) === "fallback");
    if (!/the billing rules apply/.test(await text(byId("dispute-state")))) throw new Error("fallback not explained");
    const before = await usdcBalance(RENTER);
    await act(byId("dispute-execute"), /Apply the fallback: confirmed/);
    const row = page.locator(`[data-testid=history-row][data-rental="${rentalE}"]`);
    await waitFor("the refunded rental", async () => (await row.getAttribute("data-status")) === "refunded");
    const outcome = await text(row.getByTestId("history-dispute"));
    if (outcome !== "fallback: billing rules") throw new Error(`outcome: ${outcome}`);
    const balance = await usdcBalance(RENTER);
    if (balance !== before + 2_500_000n + 5_000_000n) throw new Error(`renter balance ${balance - before} more`);
  });

  if (consoleErrors.length) throw new Error(`uncaught errors in the page: ${consoleErrors.join("; ")}`);
  log(`all steps passed; screenshots in ${RESULTS}`);
}

let failed = false;
let passed = 0;
try {
  await main();
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.stack ?? e}`);
  for (const p of procs) {
    const out = p.output().trim().split("\n").slice(-15).join("\n");
    if (out) console.error(`--- last lines of ${p.name} ---\n${out}`);
  }
} finally {
  await cleanup();
}
console.log(`e2e: ${passed} passed, ${failed ? 1 : 0} failed`);
process.exit(failed ? 1 : 0);
