#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine with
# the Rust toolchain and Node, and builds the UI the app embeds. Idempotent:
# only what is missing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    gcc pkg-config file libssl-dev
    # The tray app's webview and tray (Tauri 2 on Linux).
    libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
    # Its end-to-end test: a display, WebKit's WebDriver, screenshots.
    xvfb xauth webkit2gtk-driver imagemagick
    # The keychain (Secret Service) and the server's second store.
    dbus dbus-x11 gnome-keyring libsecret-tools postgresql
    rpm binutils
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "== installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 20 comes with these machines; a machine without it gets Debian's.
if ! command -v npm >/dev/null; then
    echo "== installing nodejs and npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! tauri-driver --help >/dev/null 2>&1; then
    echo "== installing tauri-driver 2.1.0"
    cargo install tauri-driver --version 2.1.0 --locked
fi

echo "== the UI (npm ci, build)"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
