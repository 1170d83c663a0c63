#!/usr/bin/env bash
# Runs TokenTally and ccusage 20.0.24 (through npx, --offline) on the same
# generated corpus and prints, per UTC day and model, every difference
# between them and the generator's ground truth (truth.json).
#
#   tests/ccusage-compare.sh [SEED] [MB]          (defaults: 1 50)
#
# TOKENTALLY_BIN: the tokentally binary (default $CARGO_TARGET_DIR/release/tokentally);
# TOKENTALLY_GEN: the generator (default $CARGO_TARGET_DIR/release/tokentally-gen).
# Either is built (release) when missing. Exits 0 when npx or ccusage is not
# available, since the comparison is optional; exits 1 only when TokenTally
# differs from the ground truth (ccusage differing is reported, not fatal).
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${1:-1}"
mb="${2:-50}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
bin="${TOKENTALLY_BIN:-$target/release/tokentally}"
gen="${TOKENTALLY_GEN:-$target/release/tokentally-gen}"
ccusage=(npx --yes ccusage@20.0.24)

if ! command -v npx >/dev/null; then
  echo "npx is not installed: cannot run ccusage, nothing to compare."
  exit 0
fi
if ! version="$("${ccusage[@]}" --version 2>/dev/null)" || [ "$version" != "ccusage 20.0.24" ]; then
  echo "ccusage 20.0.24 is not available through npx (offline?): nothing to compare."
  exit 0
fi
if ! command -v python3 >/dev/null; then
  echo "python3 is not installed: cannot compare."
  exit 0
fi
if [ ! -x "$bin" ]; then
  CARGO_TARGET_DIR="$target" cargo build --release -q -p tokentally-cli --bin tokentally
fi
if [ ! -x "$gen" ]; then
  CARGO_TARGET_DIR="$target" cargo build --release -q -p tokentally-tests --bin tokentally-gen
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
home="$work/home"
"$gen" --seed "$seed" --target-mb "$mb" --out "$home"

# Only the corpus: no real logs, no configuration from this machine.
clean=(env -u CLAUDE_CONFIG_DIR -u CODEX_HOME -u XDG_CONFIG_HOME -u TOKENTALLY_DATA_DIR HOME="$home")
"${clean[@]}" "$bin" --data-dir "$work/data" report --json --by day --tz UTC --tool claude-code \
  >"$work/tokentally-claude.json"
"${clean[@]}" "$bin" --data-dir "$work/data" report --json --by day --tz UTC --tool codex --no-scan \
  >"$work/tokentally-codex.json"
# ccusage reads CLAUDE_CONFIG_DIR as a comma-separated list; TokenTally
# reads both places by default.
"${clean[@]}" CLAUDE_CONFIG_DIR="$home/.claude,$home/.config/claude" CODEX_HOME="$home/.codex" \
  "${ccusage[@]}" daily --json --offline --timezone UTC --by-agent >"$work/ccusage.json"

python3 - "$work" <<'PY'
import json, sys

work = sys.argv[1]
FIELDS = ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"]
AGENTS = {"claude": "claude-code", "codex": "codex"}


def rows(path):
    return {(r["period"], r["tool"], r["model"]): {f: r[f] for f in FIELDS}
            for r in json.load(open(path))["rows"]}


def ccusage(path):
    out = {}
    for day in json.load(open(path)).get("daily", []):
        period = day.get("period") or day.get("date")
        for agent in day.get("agents", []):
            tool = AGENTS.get(agent.get("agent"))
            if tool is None:
                continue
            for m in agent.get("modelBreakdowns", []):
                key = (period, tool, m["modelName"])
                row = out.setdefault(key, {f: 0 for f in FIELDS})
                # ccusage's inputTokens excludes cache reads for both tools.
                row["input_tokens"] += m.get("inputTokens", 0)
                row["output_tokens"] += m.get("outputTokens", 0)
                row["cache_read_tokens"] += m.get("cacheReadTokens", 0)
                row["cache_write_tokens"] += m.get("cacheCreationTokens", 0)
    return out


truth = {k: v for k, v in rows(f"{work}/home/truth.json").items()}
tt = {**rows(f"{work}/tokentally-claude.json"), **rows(f"{work}/tokentally-codex.json")}
cc = ccusage(f"{work}/ccusage.json")

def show(row):
    return "-" if row is None else " ".join(f"{row[f]:>11,}" for f in FIELDS)

print(f"{'':47} {'input':>11} {'output':>11} {'cache_read':>11} {'cache_write':>11}")
tt_wrong = cc_wrong = 0
for key in sorted(set(truth) | set(tt) | set(cc)):
    t, a, b = truth.get(key), tt.get(key), cc.get(key)
    if a == t and b == t:
        continue
    tt_wrong += a != t
    cc_wrong += b != t
    if tt_wrong + cc_wrong <= 40:
        print(f"{key[0]} {key[1]:<11} {key[2]:<26}")
        print(f"{'truth':>47} {show(t)}")
        if a != t:
            print(f"{'tokentally':>47} {show(a)}")
        if b != t:
            print(f"{'ccusage':>47} {show(b)}")

for tool in ["claude-code", "codex"]:
    print(f"\n{tool} totals")
    for name, table in [("truth", truth), ("tokentally", tt), ("ccusage", cc)]:
        sums = {f: sum(v[f] for k, v in table.items() if k[1] == tool) for f in FIELDS}
        print(f"{name:>47} {show(sums)}")
print(f"\n{len(truth)} day/tool/model rows in the truth; "
      f"tokentally differs on {tt_wrong}, ccusage on {cc_wrong}.")
sys.exit(1 if tt_wrong else 0)
PY
