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

.PHONY: help install build test test-sol test-rust test-e2e fmt snapshot bench demo clean

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

test: install ## every check: forge build/test/snapshot/fmt, cargo fmt/clippy/test, the demo end to end
	$(MAKE) --no-print-directory test-sol
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory test-e2e

# FORGE_SNAPSHOT_CHECK: a named gas snapshot that differs from snapshots/*.json fails the run instead of being
# rewritten (forge test runs isolated, so it measures the gas tests too).
test-sol: install
	$(FORGE) build
	$(FORGE) fmt --check
	FORGE_SNAPSHOT_CHECK=true $(FORGE) test
	FORGE_SNAPSHOT_CHECK=true $(FORGE) snapshot --isolate --match-path '$(GAS_TESTS)' --check

test-rust: install
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cargo test --workspace --locked

# The demo's story against the real chain and the real oracle binary; fails if any step or the settlement fails.
test-e2e: install
	cargo build --locked -p gpu-oracle
	DEMO_RUN_SECONDS=10 bash script/demo.sh

fmt: install ## format Solidity and Rust
	$(FORGE) fmt
	cargo fmt --all

snapshot: install ## re-measure gas (what users pay, --isolate) into .gas-snapshot and snapshots/
	$(FORGE) snapshot --isolate --match-path '$(GAS_TESTS)'

bench: install ## gas per operation beside the anchors, then the oracle's (and keeper's) benchmarks
	$(FORGE) build
	FORGE_SNAPSHOT_CHECK=true $(FORGE) snapshot --isolate --match-path '$(GAS_TESTS)' --check >/dev/null
	node tools/gas-table.js
	cargo run --release --locked -p gpu-oracle --example bench_sign
	cargo run --release --locked -p gpu-oracle --example bench_daemon 60
	cargo run --release --locked -p gpu-keeper --example bench_settle -- 1000 100

clean: ## remove build outputs
	rm -rf out cache target node_modules/.installed

demo: install ## local chain, deploy, an offer served by gpu-oracle, a renter's whole rental and its receipt
	$(FORGE) build
	cargo build --locked -p gpu-oracle
	bash script/demo.sh
