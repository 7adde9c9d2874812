#!/usr/bin/env bash
# User-space instructions per `GET /schemas/ids/{id}` (valgrind's callgrind), Schemata (SQLite,
# warm cache) against the bare axum handler serving the same bytes: a figure that does not
# move with the machine's load, for A/B comparisons of the read path where req/s on a shared
# machine are too noisy (get_by_id.sh gives the req/s ratio). The kernel's share (the TCP
# work, the same for both) is not counted.
#
# Environment: DURATION (10s of wrk, 8 connections, after a 3 s warm-up, under callgrind),
# QUERY (empty; e.g. '?subject=orders-value', as confluent-kafka's deserializer asks).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

DURATION="${DURATION:-10s}" QUERY="${QUERY:-}"
need wrk
need curl
need jq
need valgrind
need callgrind_control valgrind
build_release

# measure NAME PORT CMD... → "requests instructions" of the measured run
measure() {
    local name="$1" port="$2"
    shift 2
    valgrind --tool=callgrind --callgrind-out-file="$WORK_DIR/cg.$name.%p" "$@" \
        >"$WORK_DIR/$name.log" 2>&1 &
    local pid=$!
    on_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
    local url="http://127.0.0.1:$port/schemas/ids/$ID$QUERY"
    if [[ "$name" == schemata ]]; then
        wait_http_ok "http://127.0.0.1:$port/health" 120 || die "schemata did not start"
        curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
            --data @"$WORK_DIR/register.json" \
            "http://127.0.0.1:$port/subjects/orders-value/versions" >/dev/null
        curl -sf -o "$WORK_DIR/body" "$url" || die "GET $url failed"
    else
        wait_http_ok "$url" 120 || die "$name did not start"
    fi
    wrk -t1 -c8 -d3s "$url" >/dev/null
    callgrind_control --zero "$pid" >/dev/null
    wrk -t1 -c8 -d"$DURATION" "$url" >"$WORK_DIR/wrk.$name"
    grep -q 'Non-2xx\|Socket errors' "$WORK_DIR/wrk.$name" && die "$name: errors during the run"
    callgrind_control --dump "$pid" >/dev/null
    sleep 1
    stop_pid "$pid"
    local requests instructions
    requests="$(awk '/requests in/ {print $1}' "$WORK_DIR/wrk.$name")"
    instructions="$(cat "$WORK_DIR"/cg."$name"."$pid".* | awk '/^summary:/ {s += $2} END {print s}')"
    echo "$requests $instructions"
}

jq -n --rawfile s "$BENCH_DIR/order.avsc" '{schema: $s}' >"$WORK_DIR/register.json"
ID=1 # the first schema registered on a fresh file
S_PORT="$(free_port)"
read -r s_requests s_instructions < <(measure schemata "$S_PORT" "$SCHEMATA_BIN" serve \
    --database-url "sqlite://$WORK_DIR/bench.db" --listen "127.0.0.1:$S_PORT")
B_PORT="$(free_port)"
read -r b_requests b_instructions < <(measure bare "$B_PORT" "$BARE_AXUM_BIN" \
    "127.0.0.1:$B_PORT" "$WORK_DIR/body")
s_per=$((s_instructions / s_requests)) b_per=$((b_instructions / b_requests))
log "schemata: $s_requests requests, $s_per instructions/request"
log "bare axum: $b_requests requests, $b_per instructions/request"
echo "instructions per GET /schemas/ids/{id}: schemata $s_per, bare axum $b_per, schemata/bare $(ratio "$s_per" "$b_per")"
