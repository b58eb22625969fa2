#!/usr/bin/env bash
# Measures the sync budgets of issue 15 against a throw-away PostgreSQL 15 that the
# benchmark starts and removes (release build unless SYNC_BENCH_PROFILE=--profile=dev;
# run under the shared build lock):
#   flock /tmp/cargo-build.lock bash scripts/bench-sync.sh [CHANGES]
set -euo pipefail
cd "$(dirname "$0")/.."
export SYNC_BENCH_CHANGES="${1:-10000}"
cargo test ${SYNC_BENCH_PROFILE:---release} --features custom-protocol --test sync_bench -- --ignored --nocapture
