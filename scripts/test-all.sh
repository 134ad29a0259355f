#!/usr/bin/env bash
# Runs every test of the project: Rust unit and integration tests, the crash and
# hot-copy scripts, the frontend's unit tests, the bundle freshness check, and the
# dashboard end-to-end suite in real Chromium. README's second command.
#
# Installs what it needs itself (npm packages; Debian's chromium when missing).
# OVERLORD_SOAK=1 runs the long crash loop (100 kills instead of 20).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (deny warnings)"
cargo clippy --all-targets -- -D warnings

step "cargo test (unit + integration; benches are compiled by clippy above, run with cargo bench)"
cargo test

step "release build (used by the crash, hot-copy and browser tests)"
cargo build --release
export OVERLORD_BIN="$PWD/target/release/overlord"

if [ -x scripts/ops-tests.sh ]; then
  step "operations: kill -9 under load, hot copy, restore-check"
  scripts/ops-tests.sh
fi

if [ -f frontend/package.json ]; then
  step "frontend: npm ci, unit tests, bundle freshness"
  (cd frontend && npm ci --no-audit --no-fund && npm test && npm run check-assets)
  if [ -f frontend/e2e/run.mjs ] || grep -q '"e2e"' frontend/package.json; then
    step "dashboard end-to-end in Chromium"
    if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    (cd frontend && npm run e2e)
  fi
fi

step "all tests passed"
