#!/usr/bin/env bash
# Every test: the workspace's (including those that need PostgreSQL, a
# Secret Service and the app's webview libraries), the UI's, and the app's
# end to end under Xvfb. Installs what is missing (tests/setup.sh), starts a
# throwaway PostgreSQL on 127.0.0.1 and a private D-Bus session with an
# unlocked gnome-keyring.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh

echo "== PostgreSQL on 127.0.0.1"
eval "$(sh crates/server/ci-postgres.sh)"
export TOKENTALLY_TEST_POSTGRES

echo "== Rust tests (a private D-Bus session with an unlocked gnome-keyring)"
dbus-run-session -- bash -c '
    set -euo pipefail
    # The keyring lives in a throwaway folder; the tests keep their own XDG dirs.
    printf "tokentally-test" | XDG_DATA_HOME=$(mktemp -d) \
        gnome-keyring-daemon --unlock --components=secrets >/dev/null
    cargo test --workspace --locked -- --include-ignored
' 2> >(grep -v "Failed to set fd limit" >&2)

echo "== UI tests (Vitest, mock backend)"
(cd ui && npm test --silent)

echo "== the app end to end (tauri-driver, WebKitWebDriver, Xvfb)"
cargo build -p tokentally-app -p tokentally-cli --locked
bash tests/app-e2e/run.sh
