#!/usr/bin/env bash
# Runs the app's end-to-end test: the debug app (its UI embedded), the CLI,
# tauri-driver and WebKitWebDriver, under Xvfb and a private D-Bus session
# with an unlocked gnome-keyring. Screenshots go to $TOKENTALLY_SHOTS
# (default: target/app-shots).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
export TOKENTALLY_APP="$target/debug/tokentally-app" TOKENTALLY_CLI="$target/debug/tokentally"
export TOKENTALLY_SHOTS="${TOKENTALLY_SHOTS:-$target/app-shots}"
mkdir -p "$TOKENTALLY_SHOTS"
export PATH="$HOME/.cargo/bin:$PATH"
xvfb-run -a -s "-screen 0 1280x900x24" dbus-run-session -- bash -c '
    printf "tokentally-test" | XDG_DATA_HOME=$(mktemp -d) \
        gnome-keyring-daemon --unlock --components=secrets >/dev/null
    node --test --test-timeout=120000 tests/app-e2e/
' 2> >(grep -v -e "Failed to set fd limit" -e "dbus-daemon" >&2)
echo "screenshots: $TOKENTALLY_SHOTS"
