#!/usr/bin/env bash
# Builds the installable package from a fresh clone: the UI, the release binary (stripped,
# fat LTO) and the Debian package, with the Tauri CLI pinned in ui/package.json. Prints
# where the .deb is, its size and what it declares it needs.
#
# An AppImage is not built: Tauri's AppImage bundler downloads linuxdeploy and its plugins
# from GitHub at build time, and this project builds offline from package registries only
# (README, "Install" says what was tried).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
bash scripts/setup.sh
# The CLI runs tauri.conf.json's beforeBuildCommand inside ui/ (it builds the UI), then
# the release binary, then the bundle.
ui/node_modules/.bin/tauri build --features custom-protocol --bundles deb -- --bin playbook
deb="$(ls -t target/release/bundle/deb/*.deb | head -1)"
size=$(stat -c %s "$deb")
echo "built $deb ($(( size / 1024 )) KiB)"
dpkg-deb --field "$deb" Package Version Architecture Depends Installed-Size
if [ "$size" -gt $(( 12 * 1024 * 1024 )) ]; then
  echo "the .deb is larger than 12 MB" >&2
  exit 1
fi
