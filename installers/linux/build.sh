#!/usr/bin/env bash
# Builds the Linux packages: the tray app (Tauri bundler, release) with the
# headless CLI beside it, as .deb and .rpm. Needs what tests/setup.sh
# installs (webview dev libraries, Node). Prints the packages' paths.
set -euo pipefail
cd "$(dirname "$0")/../.."
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
triple="$(rustc -vV | sed -n 's/^host: //p')"

echo "== the UI the app embeds"
(cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run build --silent)

echo "== the headless CLI (shipped as /usr/bin/tokentally)"
cargo build --release --locked -p tokentally-cli
mkdir -p src-tauri/binaries
cp "$target_dir/release/tokentally" "src-tauri/binaries/tokentally-$triple"
# The release profile keeps debug info for profiling; packages do not.
strip --strip-debug "src-tauri/binaries/tokentally-$triple"

echo "== the app and its packages"
strip_app="{\"build\":{\"beforeBundleCommand\":\"strip --strip-debug $target_dir/release/tokentally-app\"}}"
(cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles deb,rpm \
    --config ../installers/linux/tauri.linux.json --config "$strip_app")

ls "$target_dir"/release/bundle/deb/*.deb "$target_dir"/release/bundle/rpm/*.rpm
