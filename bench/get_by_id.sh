#!/usr/bin/env bash
# GET /schemas/ids/{id} on Schemata (SQLite, warm cache) vs a bare axum handler returning the
# same bytes with the same content type. Prints req/s of each and the ratio (target >= 0.85).
#
# Environment: DURATION (15s), WARMUP (3s), CONNECTIONS (32), THREADS (2), ROUNDS (5; the two
# servers are measured alternately; the headline ratio is the median of the per-round ratios,
# each round's pair being measured back to back so slow drift in the machine's load cancels;
# the medians of the req/s are printed too), PIN (1: both
# servers pinned to CPU 0 and wrk to CPU 1; 0: no pinning).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

DURATION="${DURATION:-15s}" WARMUP="${WARMUP:-3s}" CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}" ROUNDS="${ROUNDS:-5}" PIN="${PIN:-1}"
need wrk
need curl
need jq
build_release

if [[ "$PIN" == 1 && "$(nproc)" -ge 2 ]]; then
    SERVER_PIN=(taskset -c 0) WRK_PIN=(taskset -c 1) PINNING="servers on CPU 0, wrk on CPU 1"
else
    SERVER_PIN=() WRK_PIN=() PINNING="none"
fi

# 1. Schemata on a fresh SQLite file, one realistic Avro record schema registered.
S_PORT="$(free_port)"
start_bg SCHEMATA "$WORK_DIR/schemata.log" "${SERVER_PIN[@]}" "$SCHEMATA_BIN" serve \
    --database-url "sqlite://$WORK_DIR/bench.db" --listen "127.0.0.1:$S_PORT"
wait_http_ok "http://127.0.0.1:$S_PORT/health" || { cat "$WORK_DIR/schemata.log" >&2; die "schemata did not start"; }
jq -n --rawfile s "$BENCH_DIR/order.avsc" '{schema: $s}' >"$WORK_DIR/register.json"
ID="$(curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data @"$WORK_DIR/register.json" "http://127.0.0.1:$S_PORT/subjects/orders-value/versions" | jq -r .id)"
[[ "$ID" =~ ^[0-9]+$ ]] || die "registration failed"
S_URL="http://127.0.0.1:$S_PORT/schemas/ids/$ID"

# 2. The exact bytes and content type Schemata answers (this also warms the cache).
curl -sf -D "$WORK_DIR/headers" -o "$WORK_DIR/body" "$S_URL" || die "GET $S_URL failed"
CONTENT_TYPE="$(awk -F': ' 'tolower($1)=="content-type" {sub(/\r$/, "", $2); print $2}' "$WORK_DIR/headers")"
log "schema id $ID, response $(wc -c <"$WORK_DIR/body") bytes, Content-Type: $CONTENT_TYPE"

# 3. The baseline, serving those bytes.
B_PORT="$(free_port)"
start_bg BARE "$WORK_DIR/bare.log" "${SERVER_PIN[@]}" "$BARE_AXUM_BIN" "127.0.0.1:$B_PORT" \
    "$WORK_DIR/body" "$CONTENT_TYPE"
B_URL="http://127.0.0.1:$B_PORT/schemas/ids/$ID"
wait_http_ok "$B_URL" || die "bare_axum did not start"
curl -sf -D "$WORK_DIR/b_headers" -o "$WORK_DIR/b_body" "$B_URL"
cmp -s "$WORK_DIR/body" "$WORK_DIR/b_body" || die "baseline body differs from Schemata's"
grep -qi "^content-type: $CONTENT_TYPE" "$WORK_DIR/b_headers" || die "baseline content type differs"

# 4. Alternate the two servers, warm-up then measurement each time.
run_wrk() { # NAME URL ROUND
    local name="$1" url="$2" round="$3" out="$WORK_DIR/wrk-$1-$3.txt"
    "${WRK_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$url" >/dev/null
    "${WRK_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$out"
    if grep -q 'Non-2xx\|Socket errors' "$out"; then cat "$out" >&2; die "$name: errors during the run"; fi
    log "round $round $name: $(wrk_rps "$out") req/s, p50 $(awk '$1=="50%" {print $2}' "$out"), p99 $(awk '$1=="99%" {print $2}' "$out")"
    wrk_rps "$out" >>"$WORK_DIR/rps-$name"
}
log "wrk -t$THREADS -c$CONNECTIONS, warm-up $WARMUP + $DURATION per run, $ROUNDS rounds, pinning: $PINNING"
for ((r = 1; r <= ROUNDS; r++)); do
    # Alternate which server goes first, so neither always follows the other's run.
    if ((r % 2)); then
        run_wrk bare_axum "$B_URL" "$r"; run_wrk schemata "$S_URL" "$r"
    else
        run_wrk schemata "$S_URL" "$r"; run_wrk bare_axum "$B_URL" "$r"
    fi
    ratio "$(tail -n1 "$WORK_DIR/rps-schemata")" "$(tail -n1 "$WORK_DIR/rps-bare_axum")" >>"$WORK_DIR/ratios"
done

B_RPS="$(median <"$WORK_DIR/rps-bare_axum")"
S_RPS="$(median <"$WORK_DIR/rps-schemata")"
R="$(median <"$WORK_DIR/ratios")"
MET="$(awk -v r="$R" 'BEGIN { print (r >= 0.85) ? "MET" : "MISSED" }')"
echo "get_by_id: bare_axum rounds: $(paste -sd' ' "$WORK_DIR/rps-bare_axum")"
echo "get_by_id: schemata  rounds: $(paste -sd' ' "$WORK_DIR/rps-schemata")"
echo "get_by_id: per-round ratios: $(paste -sd' ' "$WORK_DIR/ratios")"
echo "get_by_id: bare_axum ${B_RPS} req/s, schemata ${S_RPS} req/s (medians), ratio ${R} (median of per-round ratios; target >= 0.85: ${MET})"
