#!/usr/bin/env bash
# Installs whatever is missing, builds Playbook and opens its window. On a first start
# (no team in the data directory) the window creates the demo workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
npm --prefix ui run --silent build
cargo build --features custom-protocol
exec target/debug/playbook "$@"
