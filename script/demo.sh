#!/usr/bin/env bash
# `make demo`: a local chain, the escrow deployed, a provider's offer served by a running gpu-oracle (NVML when the
# machine has NVIDIA GPUs, one mock H100 otherwise) that provisions SSH access through hooks/authorized-keys.sh into
# a temporary directory, a running gpu-keeper, and a renter's whole story with the gpu-escrow CLI: browse offers,
# rent for an hour with a permit, watch the live cost, get the SSH line, stop early and settle, print the receipt,
# rate the provider and print its reputation. The provider posts its bond before publishing the offer.
# Leaves no process behind, also on Ctrl-C; exits non-zero if any step or any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PWD/target/debug:$PATH"

# anvil's well-known development keys (accounts 0-5): deployer, provider, attester, renter, (4 unused), keeper.
DEPLOYER_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
PROVIDER_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
ATTESTER_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
RENTER_KEY=0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6
KEEPER_KEY=0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba
RUN_SECONDS=${DEMO_RUN_SECONDS:-20}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
PORT=$(free_port)
ORACLE_PORT=$(free_port)
RPC="http://127.0.0.1:$PORT"
ORACLE="http://127.0.0.1:$ORACLE_PORT"
DEMO="$PWD/.demo"
rm -rf "$DEMO" && mkdir -p "$DEMO"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n== %s\n' "$*"; }
say() { sed 's/^/  /'; }
fail() { echo "FAILED: $*" >&2; exit 1; }
json() { node -e 'let d="";process.stdin.on("data",c=>d+=c).on("end",()=>{const o=JSON.parse(d);console.log(process.argv.slice(1).map(p=>p.split(".").reduce((v,k)=>v[k],o)).join(" "))})' "$@"; }
address() { cast wallet address --private-key "$1"; }
# The CLI, against the local chain and its deployment file.
escrow_as() { local key=$1; shift; gpu-escrow --rpc-url "$RPC" --private-key "$key" "$@"; }
wait_for() { for _ in $(seq 150); do eval "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }

# One block a second, so chain time follows the clock the oracle samples with.
anvil --port "$PORT" --block-time 1 --silent > "$DEMO/anvil.log" 2>&1 &
PIDS+=($!)
wait_for "cast chain-id --rpc-url $RPC" || fail "anvil did not start"
step "local chain on $RPC (chain id $(cast chain-id --rpc-url "$RPC"), one block a second)"

step "deploy the escrow and test tokens"
forge script script/Deploy.s.sol --rpc-url "$RPC" --broadcast --slow --private-key "$DEPLOYER_KEY" 2>&1 |
  sed -n "/== Logs ==/,/^$/p" | sed "1d;/^$/d"
USDC=$(json tokens.USDC < deployments/31337.json)

step "provider registers (payout, attester key, oracle endpoint)"
PROVIDER=$(address "$PROVIDER_KEY")
escrow_as "$PROVIDER_KEY" register --payout "$PROVIDER" --attester "$(address "$ATTESTER_KEY")" \
  --endpoint "$ORACLE" | say

step "provider posts a bond of 100 USDC (offers in USDC need it; it answers for proven misbehaviour)"
cast send --rpc-url "$RPC" --private-key "$DEPLOYER_KEY" "$USDC" "mint(address,uint256)" "$PROVIDER" 100000000 >/dev/null
escrow_as "$PROVIDER_KEY" bond 100 --token USDC | say

step "provider publishes an H100 offer at 2.50 USDC/h"
escrow_as "$PROVIDER_KEY" offer create --model "NVIDIA H100 80GB HBM3" --vram 80 --gpus 1 --token USDC \
  --price 2.50 --region eu-west --sla-bps 9900 --capacity 1 | say

if gpu-oracle gpus >/dev/null 2>&1; then
  GPU_ARGS=()
  GPU=$(gpu-oracle gpus | awk '/GPU-/{for(i=1;i<=NF;i++) if ($i ~ /^GPU-/) {print $i; exit}}')
  step "provider starts gpu-oracle on NVML (GPU $GPU)"
else
  GPU=GPU-00000000-0000-4000-8000-000000000000
  GPU_ARGS=(--mock-gpus 1 --mock-model "NVIDIA H100 80GB HBM3")
  step "provider starts gpu-oracle with a mock H100 (no NVML on this machine)"
fi
# Access is provisioned into a temporary authorized_keys file: the demo changes nothing on this machine.
export AUTHORIZED_KEYS_FILE="$DEMO/authorized_keys" ACCESS_HOST=127.0.0.1 ACCESS_PORT=22 ACCESS_USER="${USER:-renter}"
export ACCESS_NOTES="demo: provisioned into $DEMO/authorized_keys, no sshd was touched"
gpu-oracle run --rpc-url "$RPC" --deployment deployments/31337.json --state-dir "$DEMO/oracle" \
  --listen "127.0.0.1:$ORACLE_PORT" --dev-private-key "$ATTESTER_KEY" --confirmations 0 --poll-interval-ms 500 \
  --attest-interval-secs 5 --offer "1=$GPU" "${GPU_ARGS[@]}" \
  --provision-hook hooks/authorized-keys.sh --teardown-hook hooks/authorized-keys.sh > "$DEMO/oracle.log" 2>&1 &
PIDS+=($!)
wait_for "curl -sf $ORACLE/healthz" || { tail -20 "$DEMO/oracle.log"; fail "gpu-oracle did not start"; }
echo "  oracle answering on $ORACLE (log: .demo/oracle.log), provisioning with hooks/authorized-keys.sh"

if [[ -f app/dist/index.html ]]; then
  APP_PORT=$(free_port)
  node app/scripts/serve.mjs --port "$APP_PORT" > "$DEMO/app.log" 2>&1 &
  PIDS+=($!)
  echo "  dApp on http://127.0.0.1:$APP_PORT/ (browser wallet: RPC $RPC, chain id 31337, renter key $RENTER_KEY)"
fi

step "a keeper starts watching the escrow (it settles what renters leave behind, after the challenge window)"
gpu-keeper run --rpc-url "$RPC" --chain-id 31337 --deployments-dir deployments --index-path "$DEMO/keeper.sqlite" \
  --confirmations 0 --private-key "$KEEPER_KEY" > "$DEMO/keeper.log" 2>&1 &
PIDS+=($!)
echo "  gpu-keeper running as $(address "$KEEPER_KEY") (log: .demo/keeper.log)"

step "renter browses the offers"
RENTER=$(address "$RENTER_KEY")
cast send --rpc-url "$RPC" --private-key "$DEPLOYER_KEY" "$USDC" "mint(address,uint256)" "$RENTER" 100000000 >/dev/null
escrow_as "$RENTER_KEY" offers --model H100 | say
BEFORE=$(cast call --rpc-url "$RPC" "$USDC" "balanceOf(address)(uint256)" "$RENTER" | awk '{print $1}')

step "renter rents offer 1 for an hour: 2.50 USDC escrowed with a permit, one transaction"
ssh-keygen -q -t ed25519 -N "" -C demo-renter -f "$DEMO/renter_ed25519"
RENT=$(escrow_as "$RENTER_KEY" --json rent 1 --hours 1 --pay permit --ssh-key "$DEMO/renter_ed25519.pub")
RENTAL=$(echo "$RENT" | json rentalId)
echo "  rental $RENTAL"

step "the provider's host provisions access; the renter fetches it with a signed request"
wait_for "escrow_as $RENTER_KEY access $RENTAL | grep -q '^connect:'" || true
escrow_as "$RENTER_KEY" access "$RENTAL" | say
grep -q "$(cut -d' ' -f2 "$DEMO/renter_ed25519.pub")" "$AUTHORIZED_KEYS_FILE" ||
  fail "the renter's key is not in $AUTHORIZED_KEYS_FILE"

for ((t = 5; t <= RUN_SECONDS; t += 5)); do
  sleep 5
  step "live view after ${t} s"
  escrow_as "$RENTER_KEY" status "$RENTAL" | say
done

step "renter stops early: a fresh attestation from the oracle, then stop and settle in one transaction"
escrow_as "$RENTER_KEY" stop "$RENTAL" | say

step "receipt"
escrow_as "$RENTER_KEY" receipt "$RENTAL" | say

step "renter rates the provider 5/5 (once per rental, proven by the oracle's attestation)"
escrow_as "$RENTER_KEY" rate "$RENTAL" 5 | say

step "the provider's reputation, as renters see it next to its offers"
escrow_as "$RENTER_KEY" offers --model H100 | say
escrow_as "$RENTER_KEY" bond-status --provider "$PROVIDER" | grep '^reputation:' | say

# Checks: the rental is closed on-chain, the renter paid exactly the receipt's cost less any SLA credit, access was
# removed, the rating counts.
RECEIPT=$(escrow_as "$RENTER_KEY" --json receipt "$RENTAL")
read -r PAID REFUND < <(echo "$RECEIPT" | json paid refund)
AFTER=$(cast call --rpc-url "$RPC" "$USDC" "balanceOf(address)(uint256)" "$RENTER" | awk '{print $1}')
[[ $((BEFORE - AFTER)) -eq "$PAID" ]] || fail "renter paid $((BEFORE - AFTER)), receipt says $PAID"
[[ $((PAID + REFUND)) -eq 2500000 ]] || fail "paid $PAID + refund $REFUND != deposit 2500000"
RATINGS=$(escrow_as "$RENTER_KEY" --json bond-status --provider "$PROVIDER" | json reputation.ratingCount)
[[ "$RATINGS" -eq 1 ]] || fail "the provider has $RATINGS ratings, expected 1"
ESCROW=$(json escrow < deployments/31337.json)
STATE=$(cast call --rpc-url "$RPC" "$ESCROW" "rentalState(bytes32)((uint96,uint32,uint64,uint40,uint8))" "$RENTAL")
[[ "$STATE" == "(0, 0, 0, 0, 0)" ]] || fail "rental still open after settlement: $STATE"
wait_for "! grep -q '$RENTAL' '$AUTHORIZED_KEYS_FILE'" || fail "the teardown hook did not remove the renter's key"
step "done: renter paid ${PAID} (base units) as the receipt says, refund ${REFUND}; access removed at teardown; rated 5/5"
if [[ -n "${DEMO_KEEP_RUNNING:-}" ]]; then
  echo "  chain $RPC, oracle $ORACLE${APP_PORT:+, dApp http://127.0.0.1:$APP_PORT/} keep running until Ctrl-C"
  wait
fi
