# gpu-escrow: one Makefile for the Solidity and the Rust halves.
# Every target installs what it needs first (npm ci for forge/anvil/cast/solc/OpenZeppelin, cargo for Rust).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

BIN   := $(CURDIR)/node_modules/.bin
FORGE := $(BIN)/forge
export PATH := $(BIN):$(PATH)
# forge resolves the solc wrapper path against the current directory: always run it from the root.
export FOUNDRY_PROFILE ?= default

GAS_TESTS := test/gas/*

.PHONY: help install build test test-sol test-static test-rust test-e2e fmt snapshot bench demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: node_modules/.installed ## install the pinned toolchain (npm ci) and fetch crates
	cargo fetch --locked

build: install ## compile the contracts and the Rust workspace
	$(FORGE) build
	cargo build --workspace --locked

test: install ## every check: forge build/test/snapshot/fmt, Slither and Halmos, cargo fmt/clippy/test, the demo, the dApp
	$(MAKE) --no-print-directory test-sol
	$(MAKE) --no-print-directory test-static
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory test-app

# FORGE_SNAPSHOT_CHECK: a named gas snapshot that differs from snapshots/*.json fails the run instead of being
# rewritten (forge test runs isolated, so it measures the gas tests too).
test-sol: install
	$(FORGE) build
	$(FORGE) fmt --check
	FORGE_SNAPSHOT_CHECK=true $(FORGE) test
	FORGE_SNAPSHOT_CHECK=true $(FORGE) snapshot --isolate --match-path '$(GAS_TESTS)' --check
	python3 tools/natspec_check.py
	python3 tools/tree_check.py

# Slither and Halmos, pinned in tools/static/requirements.txt, in a virtual environment under the repository.
VENV := $(CURDIR)/.venv

$(VENV)/.installed: tools/static/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/static/requirements.txt
	@touch $@

# Slither on contracts/ (its own build under .static/), gated by tools/static/slither-triage.txt: any high or medium
# finding not accepted there fails. Halmos proves test/symbolic (settlement conserves the deposit) with the yices
# solver from its wheel.
test-static: install $(VENV)/.installed ## Slither (high/medium findings triaged) and Halmos (billing proofs)
	rm -f .static/slither.json
	FOUNDRY_PROFILE=slither $(VENV)/bin/slither . --compile-force-framework foundry \
	  --foundry-out-directory .static/slither/out --filter-paths node_modules \
	  --exclude-informational --exclude-low --exclude-optimization --fail-none --json .static/slither.json >/dev/null
	$(VENV)/bin/python tools/static/slither_gate.py .static/slither.json tools/static/slither-triage.txt
	PATH=$(VENV)/bin:$$PATH FOUNDRY_PROFILE=symbolic $(VENV)/bin/halmos --root . --forge-build-out .static/symbolic/out \
	  --solver-timeout-assertion $(HALMOS_TIMEOUT)

HALMOS_TIMEOUT ?= 300s

test-rust: install
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test --workspace --locked

# The demo's story against the real chain and the real binaries (gpu-oracle, gpu-keeper, gpu-escrow); it checks the
# renter paid exactly the receipt's cost less its SLA credit and access was removed, and fails if any step fails. The
# other stories (the keeper settles; a GPU fault lowers the bill; disputes: wrong GPU, equivocation, a committee
# ruling, the deadline fallback) are the e2e crate's tests, run by test-rust.
test-e2e: install
	cargo build --locked -p gpu-oracle -p gpu-keeper -p gpu-escrow-cli
	DEMO_RUN_SECONDS=10 bash script/demo.sh

fmt: install ## format Solidity and Rust
	$(FORGE) fmt
	cargo fmt --all

snapshot: install ## re-measure gas (what users pay, --isolate) into .gas-snapshot and snapshots/
	$(FORGE) snapshot --isolate --match-path '$(GAS_TESTS)'

# Each benchmark program prints one BENCH_JSON line; tools/bench-report.js turns them and the gas snapshots into one
# table, printed and written into README.md's benchmark block with the machine it ran on.
BENCH_RESULTS := target/bench/results.jsonl

bench: install ## gas per operation beside the anchors, keeper batch settlement, oracle load; table into README
	$(FORGE) build
	FORGE_SNAPSHOT_CHECK=true $(FORGE) snapshot --isolate --match-path '$(GAS_TESTS)' --check >/dev/null
	cargo build --release --locked -p gpu-oracle -p gpu-keeper --examples
	mkdir -p $(dir $(BENCH_RESULTS)) && : > $(BENCH_RESULTS)
	cargo run --release --locked -p gpu-oracle --example bench_sign | tee -a $(BENCH_RESULTS)
	cargo run --release --locked -p gpu-oracle --example bench_daemon 60 | tee -a $(BENCH_RESULTS)
	cargo run --release --locked -p gpu-keeper --example bench_settle -- 10000 100 | tee -a $(BENCH_RESULTS)
	@echo
	node tools/bench-report.js $(BENCH_RESULTS) --readme README.md

clean: ## remove build outputs
	rm -rf out cache target .static node_modules/.installed

demo: install ## local chain, deploy, oracle, keeper and dApp, a renter's whole rental with the CLI, the receipt
	$(FORGE) build
	cargo build --locked -p gpu-oracle -p gpu-keeper -p gpu-escrow-cli
	$(MAKE) --no-print-directory app
	bash script/demo.sh

# The browser dApp (app/): its own pinned npm packages; the build reads the escrow ABI from out/ and copies
# deployments/*.json into app/dist. Its tests drive Debian's Chromium (installed with apt, no browser download).
.PHONY: app app-install app-serve test-app
APP_PORT ?= 5173
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

app/node_modules/.installed: app/package.json app/package-lock.json
	cd app && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

app-install: app/node_modules/.installed ## the dApp's npm packages, and Chromium for its tests (apt)
	command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y chromium; }

app: install app/node_modules/.installed ## build the dApp into app/dist
	$(FORGE) build
	cd app && npm run --silent build

app-serve: app ## serve app/dist on 127.0.0.1 (port APP_PORT, default 5173) with the local deployments
	node app/scripts/serve.mjs --port $(APP_PORT)

test-app: app app-install ## the dApp end to end in headless Chromium (anvil, deploy script, gpu-oracle, CLI)
	cd app && npm run --silent test:unit
	cargo build --locked -p gpu-oracle -p gpu-escrow-cli
	node app/tests/e2e.mjs
