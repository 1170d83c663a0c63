#!/usr/bin/env bash
# CI for the Linux packages: builds the .deb and .rpm, installs the .deb
# with dpkg, checks the installed files, runs the installed binaries,
# starts the headless agent as the systemd user unit says, upgrades in
# place, then removes and purges the package, checking each exit code and
# what is left. Needs root (dpkg) and what tests/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/../.."
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
deb="$target_dir/release/bundle/deb/tokentally_${version}_amd64.deb"
rpm="$target_dir/release/bundle/rpm/tokentally-${version}-1.x86_64.rpm"
work="$(mktemp -d)"
# Only the agent this script started (kill 0 would end the whole process group).
trap 'if [ -n "${agent_pid:-}" ]; then kill "$agent_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

step "build"
rm -f "$deb" "$rpm"
bash installers/linux/build.sh
[ -f "$deb" ] && [ -f "$rpm" ] || fail "packages missing: $deb $rpm"

step "package contents (.deb)"
dpkg-deb --info "$deb" | sed -n '/Package:/,$p'
deb_files() { dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ {print "/" $6}' | sed 's|^/\./|/|'; }
dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ {print $1, $3, $6}'
step "package contents (.rpm)"
rpm -qp --info "$rpm" 2>/dev/null | grep -E '^(Name|Version|Release|Size)'
rpm -qp --list "$rpm" 2>/dev/null
rpm -qp --scripts "$rpm" 2>/dev/null | grep -q 'each employee' || fail "rpm lacks the removal script"
[ "$(rpm -qp --list "$rpm" 2>/dev/null | sort)" = "$(deb_files | sort)" ] \
    || fail "the .rpm and .deb ship different files"

step "install with dpkg"
dpkg -P tokentally >/dev/null 2>&1 || true
rm -rf /etc/tokentally
dpkg -i "$deb" || fail "dpkg -i exited $?"
[ "$(dpkg-query -W -f='${Status}' tokentally)" = "install ok installed" ] || fail "not installed"
for f in /usr/bin/tokentally /usr/bin/tokentally-app \
    /usr/lib/systemd/user/tokentally-agent.service /etc/xdg/autostart/tokentally.desktop \
    /etc/tokentally/README /etc/tokentally/policy.json.example \
    /usr/share/applications/tokentally.desktop; do
    [ -e "$f" ] || fail "$f is not installed"
done
[ ! -e /etc/tokentally/policy.json ] || fail "a policy is active without IT placing one"
grep -qx 'Exec=tokentally-app --open' /usr/share/applications/tokentally.desktop \
    || fail "the menu entry does not open the window"
grep -qx 'Exec=tokentally-app --autostart' /etc/xdg/autostart/tokentally.desktop \
    || fail "the login entry is not a login start"

step "the installed binaries"
tokentally --version | grep -qx "tokentally $version" || fail "tokentally --version: $(tokentally --version)"
tokentally policy check /etc/tokentally/policy.json.example || fail "the example policy is refused"
echo '{"upload": "sometimes", "proxy_port": 0}' >"$work/bad.json"
if tokentally policy check "$work/bad.json" >"$work/bad.out" 2>&1; then
    fail "a bad policy was accepted"
fi
grep -q upload "$work/bad.out" && grep -q proxy_port "$work/bad.out" || fail "not every problem reported"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify /usr/lib/systemd/user/tokentally-agent.service 2>&1 \
        | grep -v 'Failed to\|ignoring' || true
fi

# The tray app started at login by a policy that says no: gone at once,
# before it needs a display.
echo '{"autostart": false}' >"$work/no-autostart.json"
HOME="$work/home0" TOKENTALLY_POLICY="$work/no-autostart.json" timeout 20 \
    /usr/bin/tokentally-app --autostart || fail "a refused login start exited $?"

step "the headless agent, as the systemd user unit starts it"
exec_start="$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/user/tokentally-agent.service)"
[ "$exec_start" = "/usr/bin/tokentally agent" ] || fail "unexpected ExecStart: $exec_start"
home="$work/home"
mkdir -p "$home/.claude/projects/app"
now="$(date -u +%Y-%m-%dT%H:%M:%S.000Z)"
line() {
    printf '{"type":"assistant","sessionId":"s1","timestamp":"%s","uuid":"%s","requestId":"r%s","message":{"id":"msg_%s","model":"claude-sonnet-4-5-20250929","role":"assistant","content":[{"type":"text","text":"TTCANARY-package"}],"usage":{"input_tokens":%s,"output_tokens":7,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}}\n' \
        "$now" "$1" "$1" "$1" "$2"
}
line u1 1200 >"$home/.claude/projects/app/s1.jsonl"
HOME="$home" XDG_DATA_HOME="$home/.local/share" $exec_start >"$work/agent.out" 2>&1 &
agent_pid=$!
input_total() {
    HOME="$home" XDG_DATA_HOME="$home/.local/share" tokentally report --json --no-scan --by month \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["input_tokens"])'
}
wait_for_input() {
    for _ in $(seq 1 60); do
        [ "$(input_total 2>/dev/null || echo 0)" = "$1" ] && return 0
        sleep 0.5
    done
    fail "the agent did not count $1 input tokens (has $(input_total))"
}
wait_for_input 1200
line u2 34 >>"$home/.claude/projects/app/s1.jsonl"
wait_for_input 1234
kill -TERM "$agent_pid"
wait "$agent_pid" || fail "the agent exited $? on SIGTERM"
agent_pid=
ls "$home/.local/share/tokentally/" | grep -q '^tokentally.db$' || fail "no ledger"
if grep -rqa TTCANARY "$home/.local/share/tokentally" "$work/agent.out"; then
    fail "prompt text reached the agent's files or output"
fi

step "upgrade in place (the same version again)"
dpkg -i "$deb" || fail "reinstall exited $?"

step "remove: IT's policy and the employee's data are kept"
cp /etc/tokentally/policy.json.example /etc/tokentally/policy.json
dpkg -r tokentally || fail "dpkg -r exited $?"
for f in /usr/bin/tokentally /usr/bin/tokentally-app /etc/xdg/autostart/tokentally.desktop \
    /usr/lib/systemd/user/tokentally-agent.service /etc/tokentally/policy.json.example; do
    [ ! -e "$f" ] || fail "$f is left after removal"
done
[ -e /etc/tokentally/policy.json ] || fail "removal deleted IT's policy"

step "purge: the policy goes, the employee's data stays"
dpkg -P tokentally || fail "dpkg -P exited $?"
[ ! -e /etc/tokentally ] || fail "/etc/tokentally is left after purge"
[ -e "$home/.local/share/tokentally/tokentally.db" ] || fail "purge deleted an employee's data"
dpkg-query -W tokentally >/dev/null 2>&1 && fail "still known to dpkg after purge"
echo "== the Linux packages: all checks passed"
