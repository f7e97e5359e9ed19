#!/usr/bin/env bash
# `make demo`: a local chain, the escrow deployed, a provider's offer served by a running gpu-oracle, and a renter's
# whole rental with its receipt. Leaves no process behind, also on Ctrl-C; exits non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PWD/target/debug:$PATH"

# anvil's well-known development keys (accounts 0-3): deployer, provider, attester, renter.
DEPLOYER_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
export PROVIDER_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
export ATTESTER_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
export RENTER_KEY=0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
RUN_SECONDS=${DEMO_RUN_SECONDS:-20}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
PORT=$(free_port)
ORACLE_PORT=$(free_port)
RPC="http://127.0.0.1:$PORT"
ORACLE="http://127.0.0.1:$ORACLE_PORT"
rm -rf .demo && mkdir -p .demo
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
logs() { sed -n "/== Logs ==/,/^$/p" | sed "1d;/^$/d"; }
run() { local out; out=$(forge script script/DemoRental.s.sol --rpc-url "$RPC" --broadcast --slow --sig "$@" 2>&1) || { echo "$out" | tail -20; return 1; }; echo "$out" | logs; }
view() { local out; out=$(forge script script/DemoRental.s.sol --rpc-url "$RPC" --sig "$@" 2>&1) || { echo "$out" | tail -20; return 1; }; echo "$out" | logs; }
json() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const o=JSON.parse(d);console.log(process.argv.slice(1).map(p=>p.split(".").reduce((v,k)=>v[k],o)).join(" "))})' "$@"; }

# One block a second, so chain time follows the clock the oracle samples with.
anvil --port "$PORT" --block-time 1 --silent > .demo/anvil.log 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do cast chain-id --rpc-url "$RPC" >/dev/null 2>&1 && break; sleep 0.1; done
step "local chain on $RPC (chain id $(cast chain-id --rpc-url "$RPC"), one block a second)"

step "deploy the escrow and test tokens"
forge script script/Deploy.s.sol --rpc-url "$RPC" --broadcast --slow --private-key "$DEPLOYER_KEY" 2>&1 | logs

step "provider registers and publishes an offer"
run "provide()"

if gpu-oracle gpus >/dev/null 2>&1; then
  GPU_ARGS=()
  GPU=$(gpu-oracle gpus | awk '/GPU-/{for(i=1;i<=NF;i++) if ($i ~ /^GPU-/) {print $i; exit}}')
  step "provider starts gpu-oracle on NVML (GPU $GPU)"
else
  GPU=GPU-00000000-0000-4000-8000-000000000000
  GPU_ARGS=(--mock-gpus 1 --mock-model "NVIDIA H100 80GB HBM3")
  step "provider starts gpu-oracle with a mock H100 (no NVML on this machine)"
fi
gpu-oracle run --rpc-url "$RPC" --deployment deployments/31337.json --state-dir .demo/oracle \
  --listen "127.0.0.1:$ORACLE_PORT" --dev-private-key "$ATTESTER_KEY" --confirmations 0 --poll-interval-ms 500 \
  --attest-interval-secs 5 --offer "1=$GPU" "${GPU_ARGS[@]}" > .demo/oracle.log 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "$ORACLE/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$ORACLE/healthz" >/dev/null || { tail -20 .demo/oracle.log; echo "gpu-oracle did not start"; exit 1; }
echo "  oracle answering on $ORACLE (log: .demo/oracle.log)"

step "renter opens a 1-hour rental, paying 2.50 USDC with a permit (one transaction)"
ssh-keygen -q -t ed25519 -N "" -C demo-renter -f .demo/renter_ed25519
DEMO_ACCESS_KEY=0x$(awk '{print $2}' .demo/renter_ed25519.pub | base64 -d | od -An -tx1 -v | tr -d ' \n')
export DEMO_ACCESS_KEY
echo "  renter's SSH key: $(cut -d' ' -f1-2 .demo/renter_ed25519.pub | cut -c1-40)..."
run "rent()"
RENTAL=$(view "status()" | awk '/^ *rental /{print $2}')
for ((t = 5; t <= RUN_SECONDS; t += 5)); do
  sleep 5
  step "live view after ${t} s"
  view "status()" | grep -v '^ *rental '
  read -r UP EL UTIL_BPS JOULES LAST < <(curl -sf "$ORACLE/v1/rentals/$RENTAL/usage" |
    json uptimeSeconds elapsedSeconds avgUtilBps energyJoules lastSeq)
  echo "  oracle: GPU up ${UP} s of ${EL} s, utilization $((UTIL_BPS / 100)) %, ${JOULES} J, last attestation #${LAST}"
done

step "renter asks the oracle for a fresh attestation, stops early and settles in one transaction"
ATT=$(curl -sf -X POST "$ORACLE/v1/rentals/$RENTAL/attestation")
read -r SEQ END UPTIME UUIDS ENERGY UTIL SIG < <(echo "$ATT" | json attestation.seq attestation.periodEnd \
  attestation.uptimeSeconds attestation.gpuUuidsHash attestation.energyJoules attestation.avgUtilBps signature)
run "stopAndSettle(uint64,uint64,uint64,bytes32,uint64,uint16,bytes)" "$SEQ" "$END" "$UPTIME" "$UUIDS" "$ENERGY" "$UTIL" "$SIG"
ESCROW=$(json escrow < deployments/31337.json)
STATE=$(cast call --rpc-url "$RPC" "$ESCROW" "rentalState(bytes32)((uint96,uint32,uint64,uint40,uint8))" "$RENTAL")
[[ "$STATE" == "(0, 0, 0, 0, 0)" ]] || { echo "rental still open after settlement: $STATE"; exit 1; }
step "done: rental closed on-chain; deployment in deployments/31337.json, oracle state in .demo/oracle"
