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

step "promtool (Debian's prometheus) for the /metrics lint test"
if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
promtool --version | head -1

step "PostgreSQL 15 server binaries (the importer's tests start their own server)"
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
fi
id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
/usr/lib/postgresql/15/bin/initdb --version

step "release build, statically linked like the Dockerfile's (used by the crash, hot-copy and browser tests)"
# RUSTFLAGS with --target applies to the binary only, not to build scripts and proc-macros.
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --target x86_64-unknown-linux-gnu
export OVERLORD_BIN="$PWD/target/x86_64-unknown-linux-gnu/release/overlord"
file "$OVERLORD_BIN"
if ! file "$OVERLORD_BIN" | grep -Eq 'statically linked|static-pie linked'; then
  echo "the release binary is not statically linked" >&2
  exit 1
fi
if ldd "$OVERLORD_BIN" 2>&1 | grep -q '=>'; then
  echo "ldd lists shared libraries for the release binary:" >&2
  ldd "$OVERLORD_BIN" >&2
  exit 1
fi

step "cargo test (unit + integration; benches are compiled by clippy above, run with cargo bench)"
# OVERLORD_BIN (exported above) makes the end-to-end garbage test run against the release binary.
cargo test

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
