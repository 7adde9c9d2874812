#!/usr/bin/env bash
# A/B one benchmark between two release builds, alternated A B B A (A B B A ...) so that a
# machine that drifts during the run does not favour either side.
#
# Usage: bench/ab.sh BENCH TARGET_DIR_A TARGET_DIR_B [PAIRS]
#   BENCH        get_by_id, register_pg or startup (bench/BENCH.sh)
#   TARGET_DIR_* a cargo target directory holding release/schemata and its examples
#   PAIRS        how many A-B-B-A blocks of two pairs (default 1)
# Other knobs (ROUNDS, DURATION, ...) pass through to the bench. Each run's summary lines are
# printed with the side they belong to; full logs go to bench/results/run-ab-<bench>-<time>.log (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
bench="$1" a="$2" b="$3" pairs="${4:-1}"
log="bench/results/run-ab-$bench-$(date -u +%Y%m%d-%H%M%S).log"
mkdir -p bench/results
run() {
    local side="$1" dir="$2"
    local part="$log.part"
    echo "== $side ($dir) $(date -u +%H:%M:%S)" | tee -a "$log"
    SKIP_BUILD=1 SCHEMATA_BIN="$dir/release/schemata" BARE_AXUM_BIN="$dir/release/examples/bare_axum" \
        REGISTER_LOAD_BIN="$dir/release/examples/register_load" "bench/$bench.sh" >"$part" 2>&1 || true
    cat "$part" >>"$log"
    grep -E "ratio|MET|MISSED" "$part" | sed "s/^/  $side: /"
    rm -f "$part"
}
for _ in $(seq 1 "$pairs"); do
    run A "$a"
    run B "$b"
    run B "$b"
    run A "$a"
done
echo "log: $log"
