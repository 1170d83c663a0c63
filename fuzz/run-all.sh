#!/usr/bin/env bash
# Builds every fuzz target once, then runs each for SECONDS (default 15)
# from its kept corpus (fuzz/corpus/<target>); fails on the first crash,
# leak, timeout or out-of-memory, whose input libFuzzer saves under
# fuzz/artifacts/<target>/. New inputs go to a scratch directory, so the
# checkout stays clean; KEEP_CORPUS=1 adds them to fuzz/corpus instead.
#
# cargo-fuzz passes nightly -Z flags: RUSTC_BOOTSTRAP=1 lets the stable
# toolchain take them. The build has its own target directory: the
# instrumented flags would otherwise invalidate the main build cache.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-15}"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/tokentally-fuzz-target}"
sanitizer="${FUZZ_SANITIZER:-address}"
flags=(--sanitizer "$sanitizer")

start=$(date +%s)
cargo fuzz build "${flags[@]}"
echo "fuzz build: $(($(date +%s) - start)) s"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo fuzz list); do
    echo "== fuzz $target (${seconds} s)"
    if [[ "${KEEP_CORPUS:-0}" == 1 ]]; then
        dirs=("corpus/$target")
    else
        mkdir -p "$scratch/$target"
        dirs=("$scratch/$target" "corpus/$target")
    fi
    # -timeout: one input taking 10 s is a hang; memory keeps libFuzzer's
    # default limit (2 GB RSS). The log is shown only on a failure.
    log="$scratch/$target.log"
    if ! cargo fuzz run "${flags[@]}" "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 80 "$log"
        echo "fuzz: $target failed; the input is under fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^Done' "$log" || true
done
echo "fuzz total: $(($(date +%s) - start)) s"
