#!/usr/bin/env bash
# Run the three benchmarks in turn (one release build first) and print their summary lines.
# The full logs go to bench/results/run-<timestamp>.log (not committed unless copied on purpose).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
source "$BENCH_DIR/lib.sh"

mkdir -p "$BENCH_DIR/results"
LOG="$BENCH_DIR/results/run-$(date +%Y%m%d-%H%M%S).log"
{
    echo "date: $(date -Is)"
    echo "host: $(nproc) CPUs, $(awk -F': *' '/model name/ {print $2; exit}' /proc/cpuinfo), kernel $(uname -r)"
    echo "commit: $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
} | tee "$LOG"

build_release 2>&1 | tee -a "$LOG"
export SKIP_BUILD=1

status=0
for b in get_by_id register_pg startup; do
    echo "== $b" | tee -a "$LOG"
    if ! "$BENCH_DIR/$b.sh" 2>&1 | tee -a "$LOG"; then
        echo "== $b FAILED" | tee -a "$LOG"
        status=1
    fi
done
echo "== summary" | tee -a "$LOG"
grep -E '^(get_by_id|register_pg|startup):' "$LOG" | grep -E 'ratio' | tee "$LOG.summary"
echo "full log: $LOG"
exit "$status"
