#!/usr/bin/env bash
# Reads while heavy writes run (issue 15 #3, docs/rest-api.md §8): one reader's latency of
# GET /schemas/ids/{id} (wrk, one connection) alone, then while 16 clients register
# 2,500-field Avro schemas back to back (bench/big_writers.py), with /health probed every
# 100 ms meanwhile. Targets under load: reader median within 2 ms, p99 under 20 ms, /health
# always answering.
#
# Environment: DURATION (20, seconds under load), WRITERS (16), FIELDS (2500), SCHEMATA_BIN
# (default: the release build, built here; point it at target/debug/schemata to try the
# script quickly).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

DURATION="${DURATION:-20}" WRITERS="${WRITERS:-16}" FIELDS="${FIELDS:-2500}"
need wrk
need curl
need jq
if [[ "${SCHEMATA_BIN}" == "$TARGET_DIR/release/schemata" ]]; then
    (cd "$REPO_DIR" && cargo build --release --quiet --bin schemata) || die "release build failed"
fi

PORT="$(free_port)"
start_bg SCHEMATA "$WORK_DIR/schemata.log" "$SCHEMATA_BIN" serve \
    --database-url "sqlite://$WORK_DIR/bench.db" --listen "127.0.0.1:$PORT"
BASE="http://127.0.0.1:$PORT"
wait_http_ok "$BASE/health" || { cat "$WORK_DIR/schemata.log" >&2; die "schemata did not start"; }
jq -n --rawfile s "$BENCH_DIR/order.avsc" '{schema: $s}' >"$WORK_DIR/register.json"
ID="$(curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data @"$WORK_DIR/register.json" "$BASE/subjects/orders-value/versions" | jq -r .id)"
[[ "$ID" =~ ^[0-9]+$ ]] || die "registration failed"
READ_URL="$BASE/schemas/ids/$ID"

# wrk's latency line for a percentile, in milliseconds.
percentile_ms() { # FILE PERCENT
    awk -v p="$2%" '$1 == p {
        v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000
        printf "%.3f\n", v }' "$1"
}
read_latency() { # NAME SECONDS
    wrk -t1 -c1 -d"$2s" --latency "$READ_URL" >"$WORK_DIR/wrk-$1.txt"
    if grep -q 'Non-2xx\|Socket errors' "$WORK_DIR/wrk-$1.txt"; then
        cat "$WORK_DIR/wrk-$1.txt" >&2; die "$1: read errors"
    fi
    echo "$(percentile_ms "$WORK_DIR/wrk-$1.txt" 50) $(percentile_ms "$WORK_DIR/wrk-$1.txt" 99)"
}

read -r IDLE_P50 IDLE_P99 < <(read_latency idle 5)
log "reader alone: p50 ${IDLE_P50} ms, p99 ${IDLE_P99} ms"

# The writers' own CPU (Python building 2,500-field JSON) runs at a lower priority: on this
# 2-core machine it would otherwise take a core from the server it loads, which clients on
# other machines do not. The server and the reader run at normal priority.
nice -n 10 python3 "$BENCH_DIR/big_writers.py" "127.0.0.1:$PORT" "$DURATION" "$WRITERS" "$FIELDS" \
    >"$WORK_DIR/writers.txt" &
WRITERS_PID=$!
on_exit "kill $WRITERS_PID"
sleep 2 # let the writers' first large requests arrive
(
    failures=0 slowest=0
    end=$((SECONDS + DURATION - 4))
    while ((SECONDS < end)); do
        t="$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' "$BASE/health" || echo "000 5")"
        [[ "${t%% *}" == 200 ]] || failures=$((failures + 1))
        slowest="$(awk -v a="$slowest" -v b="${t#* }" 'BEGIN { print (b > a) ? b : a }')"
        sleep 0.1
    done
    echo "$failures $slowest"
) >"$WORK_DIR/health.txt" &
HEALTH_PID=$!
read -r LOAD_P50 LOAD_P99 < <(read_latency loaded $((DURATION - 4)))
wait "$HEALTH_PID"
wait "$WRITERS_PID" || true
read -r HEALTH_FAILURES HEALTH_SLOWEST <"$WORK_DIR/health.txt"
WRITES="$(paste -sd' ' "$WORK_DIR/writers.txt")"
MET="$(awk -v a="$LOAD_P50" -v b="$LOAD_P99" -v h="$HEALTH_FAILURES" \
    'BEGIN { print (a <= 2 && b < 20 && h == 0) ? "MET" : "MISSED" }')"
echo "read_under_load: reader alone p50 ${IDLE_P50} ms p99 ${IDLE_P99} ms"
echo "read_under_load: with $WRITERS writers of $FIELDS-field schemas (${WRITES}): reader p50 ${LOAD_P50} ms p99 ${LOAD_P99} ms; /health failures ${HEALTH_FAILURES}, slowest ${HEALTH_SLOWEST} s (target p50 <= 2 ms, p99 < 20 ms, no /health failure: ${MET})"
