#!/usr/bin/env bash
# Build every fuzz target and run each one for a fixed time, from seed corpora built out of
# the repository's test vectors (seeds.py), then print a summary: target, seconds, runs,
# corpus size, and the crash/timeout/out-of-memory inputs libFuzzer left in artifacts/.
# Run by hand, not by CI (it needs the nightly toolchain and cargo-fuzz): see README.md.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 180 s, every target)
#
# FUZZ_SANITIZER (default none: the code is safe Rust, and no sanitizer means more runs per
# second; `address` also works) and FUZZ_RSS_LIMIT_MB (default 2048) tune the runs;
# FUZZ_FEATURES (default "client server": every target) set to "" builds only the compat
# targets, without the client's and the server's dependencies.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-180}
shift || true
sanitizer=${FUZZ_SANITIZER:-none}
rss_limit=${FUZZ_RSS_LIMIT_MB:-2048}
features=${FUZZ_FEATURES-client server}
flags=(--debug-assertions --sanitizer "$sanitizer" --features "$features")

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
python3 seeds.py corpus
nice -n 10 cargo +nightly fuzz build "${flags[@]}"
# The binaries `cargo fuzz run` would run, run directly: built once, no cargo lock held.
bin="${CARGO_TARGET_DIR:-target}/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cd fuzz_targets && ls -- *.rs | sed 's/\.rs$//'); fi
mkdir -p artifacts/logs
summary=()
for target in "${targets[@]}"; do
    mkdir -p "artifacts/$target"
    found_before=$(find "artifacts/$target" -type f | wc -l)
    log="artifacts/logs/$target.log"
    started=$SECONDS
    status=0
    nice -n 10 "$bin/$target" "corpus/$target" -artifact_prefix="artifacts/$target/" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb="$rss_limit" \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    elapsed=$((SECONDS - started))
    # Executions: libFuzzer's final statistics, or its last progress line after a crash.
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tr -d '#' | tail -1 || true)
    corpus=$(find "corpus/$target" -type f | wc -l)
    found=$(($(find "artifacts/$target" -type f | wc -l) - found_before))
    line=$(printf '%-16s %6ss %12s runs %7s inputs  %s new findings (exit %s)' \
        "$target" "$elapsed" "${runs:-?}" "$corpus" "$found" "$status")
    echo "$line"
    summary+=("$line")
done

echo
echo "fuzz summary ($(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), ${seconds}s per target, sanitizer $sanitizer)"
printf '%s\n' "${summary[@]}"
echo "findings are in fuzz/artifacts/<target>/ (crash-*, timeout-*, oom-*), logs in fuzz/artifacts/logs/"
