#!/usr/bin/env bash
# The window benchmark of issue 11: builds the release binary and an empty Tauri 2 window
# from this package (examples/empty_window.rs, same dependencies and profile), generates a
# workspace of 100k contacts, and drives both windows under Xvfb through tauri-driver.
# Prints median and worst of N runs (default 10) for each budget, and start-up and idle
# memory (PSS of the app and its WebKit processes) against the empty window.
#
#   bash scripts/bench-window.sh [RUNS] [CONTACTS]
#
# Run it alone on the machine (take the build lock: `flock /tmp/cargo-build.lock bash
# scripts/bench-window.sh`): other work on the two cores shows up in every figure.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
contacts="${2:-100000}"
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
npm --prefix ui run --silent build
cargo build --release --features custom-protocol --bin playbook --example empty-window
app="$PWD/target/release/playbook"
empty="$PWD/target/release/examples/empty-window"

work="$(mktemp -d /tmp/playbook-bench-window-XXXXXX)"
trap 'rm -rf "$work"' EXIT
echo "generating a workspace of $contacts contacts in $work"
export PLAYBOOK_PASSPHRASE=playbook-demo
"$app" --data-dir "$work/data" demo >/dev/null
"$app" --data-dir "$work/data" generate --contacts "$contacts" --as tom.lindqvist@larkspur.example
# Caches (stages, scores, the search index) as of today, so no window rebuilds them while
# it is measured.
"$app" --data-dir "$work/data" rebuild
# Each window gets its own settings and WebKit caches, apart from the user's.
export XDG_DATA_HOME="$work/xdg" XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config"
xvfb-run -a -s "-screen 0 1920x1080x24" \
  node tests/e2e/bench-window.mjs "$app" "$empty" "$work/data" "$runs"
