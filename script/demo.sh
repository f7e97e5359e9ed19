#!/usr/bin/env bash
# `make demo`: a local chain, the escrow deployed, a provider's offer, and a renter's whole rental with a receipt.
# Leaves no process behind, also on Ctrl-C; exits non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

# anvil's well-known development keys (accounts 0-3): deployer, provider, attester, renter.
DEPLOYER_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
export PROVIDER_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
export ATTESTER_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
export RENTER_KEY=0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
RPC="http://127.0.0.1:$PORT"
mkdir -p .demo
anvil --port "$PORT" --silent > .demo/anvil.log 2>&1 &
ANVIL_PID=$!
cleanup() { kill "$ANVIL_PID" 2>/dev/null || true; wait "$ANVIL_PID" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in $(seq 50); do cast chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break; sleep 0.1; done

step() { printf '\n== %s\n' "$*"; }
script() { local out; out=$(forge script script/DemoRental.s.sol --rpc-url "$RPC" --broadcast --slow --sig "$@" 2>&1) || { echo "$out" | tail -20; return 1; }; echo "$out" | sed -n "/== Logs ==/,/^$/p" | sed "1d;/^$/d"; }
view() { local out; out=$(forge script script/DemoRental.s.sol --rpc-url "$RPC" --sig "$@" 2>&1) || { echo "$out" | tail -20; return 1; }; echo "$out" | sed -n "/== Logs ==/,/^$/p" | sed "1d;/^$/d"; }
advance() { cast rpc --rpc-url "$RPC" evm_increaseTime "$1" >/dev/null; cast rpc --rpc-url "$RPC" evm_mine >/dev/null; }

step "local chain on $RPC (chain id $(cast chain-id --rpc-url "$RPC"))"
step "deploy the escrow and test tokens"
forge script script/Deploy.s.sol --rpc-url "$RPC" --broadcast --private-key "$DEPLOYER_KEY" 2>&1 | sed -n "/== Logs ==/,/^$/p" | sed "1d;/^$/d"
step "provider registers and publishes an offer"
script "provide()"
step "renter opens a 1-hour rental, paying 2.50 USDC with a permit (one transaction)"
script "rent()"
for minutes in 10 20; do
  advance 600
  step "live view after $minutes minutes"
  view "status()"
done
step "renter stops early and settles in one transaction (GPU up 1190 of 1200 s)"
script "stopAndSettle(uint64)" 1190
step "done: deployment in deployments/31337.json"
