#!/usr/bin/env bash
# Runs TokenTally and ccusage (pinned 20.0.24, --offline) on the same
# generated corpus and prints every difference per day and model, next to
# the generator's ground truth. Exits 0 when ccusage is not installed
# (npm install -g ccusage@20.0.24), since it is an optional comparison.
#
#   tests/ccusage-compare.sh [SEED] [MB]
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${1:-1}"
mb="${2:-50}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/tokentally-target}"

if ! command -v ccusage >/dev/null || [ "$(ccusage --version 2>/dev/null)" != "ccusage 20.0.24" ]; then
  echo "ccusage 20.0.24 is not installed (npm install -g ccusage@20.0.24): nothing to compare."
  exit 0
fi

cargo build --release -q -p tokentally-cli -p tokentally-tests --bin tokentally --bin tokentally-gen
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$CARGO_TARGET_DIR/release/tokentally-gen" --seed "$seed" --target-mb "$mb" --out "$work/home" 2>/dev/null

run() { env -u CLAUDE_CONFIG_DIR -u CODEX_HOME -u XDG_CONFIG_HOME HOME="$work/home" "$@"; }
run "$CARGO_TARGET_DIR/release/tokentally" --data-dir "$work/data" report --json --tz UTC >"$work/tokentally.json"
run ccusage claude daily --json --offline --timezone UTC >"$work/ccusage-claude.json"
run ccusage codex daily --json --offline --timezone UTC >"$work/ccusage-codex.json"

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
FIELDS = ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]

def ours(path):
    rows = json.load(open(path))["rows"]
    return {(r["period"], r["tool"], r["model"]): {f: r[f] for f in FIELDS} for r in rows}

def ccusage_claude(path):
    out = {}
    for day in json.load(open(path)).get("daily", []):
        for m in day.get("modelBreakdowns", []):
            out[(day["date"], "claude-code", m["modelName"])] = {
                "input_tokens": m["inputTokens"], "output_tokens": m["outputTokens"],
                "cache_read_tokens": m["cacheReadTokens"], "cache_write_tokens": m["cacheCreationTokens"]}
    return out

def ccusage_codex(path):
    out = {}
    for day in json.load(open(path)).get("daily", []):
        for name, m in day.get("models", {}).items():
            # ccusage's Codex inputTokens already excludes the cached part.
            out[(day["date"], "codex", name)] = {
                "input_tokens": m["inputTokens"], "output_tokens": m["outputTokens"],
                "cache_read_tokens": m["cacheReadTokens"], "cache_write_tokens": m["cacheCreationTokens"]}
    return out

tt = ours(f"{work}/tokentally.json")
truth = {(r["period"], r["tool"], r["model"]): {f: r[f] for f in FIELDS}
         for r in json.load(open(f"{work}/home/truth.json"))["rows"]}
cc = {**ccusage_claude(f"{work}/ccusage-claude.json"), **ccusage_codex(f"{work}/ccusage-codex.json")}

def total(rows, tool):
    return {f: sum(v[f] for k, v in rows.items() if k[1] == tool) for f in FIELDS}

diffs = 0
for key in sorted(set(tt) | set(cc) | set(truth)):
    a, b, t = tt.get(key), cc.get(key), truth.get(key)
    if a != b or a != t:
        diffs += 1
        if diffs <= 20:
            print(f"{key}: tokentally={a} ccusage={b} truth={t}")
print(f"{diffs} day/model rows differ (first 20 shown)")
for tool in ["claude-code", "codex"]:
    print(f"{tool}: truth {total(truth, tool)}")
    print(f"{' ' * len(tool)}  tokentally {total(tt, tool)}")
    print(f"{' ' * len(tool)}  ccusage {total(cc, tool)}")
PY
