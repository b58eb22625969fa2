#!/usr/bin/env bash
# Every check and test of Playbook, in the order that fails fastest: lints, UI checks and
# unit tests, the UI build, the whole Rust suite (unit, integration against real SQLite
# files and the real CLI binary, bindings drift), then the real window end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
# One feature set for every cargo command, so nothing is rebuilt between them and the
# binary the end-to-end test drives embeds the built UI.
features=(--features custom-protocol)
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }

step "cargo fmt"
cargo fmt --all -- --check
step "svelte-check"
npm --prefix ui run --silent check
step "vitest"
npm --prefix ui test --silent
step "UI build"
npm --prefix ui run --silent build
step "clippy"
cargo clippy --all-targets "${features[@]}" -- -D warnings
step "cargo test"
cargo test "${features[@]}"
step "end to end (real window under Xvfb)"
xvfb-run -a -s "-screen 0 1440x900x24" node --test --test-concurrency=1 tests/e2e/*.test.mjs
step "done; screenshots in artifacts/screenshots"
