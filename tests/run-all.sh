#!/usr/bin/env bash
# Every test, including those that need services a developer's `cargo test`
# may lack: PostgreSQL (the server's second store) and a Secret Service
# (the device token's keychain). Installs what is missing from Debian's
# packages, starts a throwaway PostgreSQL on 127.0.0.1 and a private D-Bus
# session with an unlocked gnome-keyring, then runs the whole workspace's
# tests with the ignored ones included.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if ((${#need[@]})); then
    echo "== installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" dbus-x11
fi

echo "== PostgreSQL on 127.0.0.1"
eval "$(sh crates/server/ci-postgres.sh)"
export TOKENTALLY_TEST_POSTGRES

echo "== tests (a private D-Bus session with an unlocked gnome-keyring)"
dbus-run-session -- bash -c '
    set -euo pipefail
    # The keyring lives in a throwaway folder; the tests keep their own XDG dirs.
    printf "tokentally-test" | XDG_DATA_HOME=$(mktemp -d) \
        gnome-keyring-daemon --unlock --components=secrets >/dev/null
    cargo test --workspace --locked -- --include-ignored
' 2> >(grep -v "Failed to set fd limit" >&2)
