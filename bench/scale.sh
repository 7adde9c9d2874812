#!/usr/bin/env bash
# Reads and memory at scale (bench/README.md, "Scale and memory"), two parts:
#
# 1. `large`: a PostgreSQL store filled directly with LARGE schemas (default 1,000,000;
#    lib.sh's populate_pg), served with --cache-bytes CACHE_BYTES (default 64 MiB). Reports
#    the time from process start to the first answer of GET /schemas/ids/LARGE, then reads by
#    id (CONNECTIONS clients, register_load get-ids): COLD distinct ids never read before
#    (default 200,000; every one a database read), then WARM ids read again (a set that fits
#    the cache), and the server's RSS after each. Target: RSS after the cold pass under
#    CACHE_BYTES + 48 MiB (the process outside its caches).
# 2. `memory`: 20,000 schemas of ~3.8 KB (REGISTER_LOAD_PAD_FIELDS) registered on SQLite with
#    --cache-bytes 33554432, then every one read by id; RSS after the writes and after the
#    reads. Target: under 100 MB.
#
# Startup with the same LARGE store against 10 schemas is bench/startup.sh
# (LARGE=1000000 REPEAT=3 bench/startup.sh).
#
# Environment: LARGE, CACHE_BYTES, COLD, WARM (20,000), CONNECTIONS (32), MEMORY_SCHEMAS
# (20000), PAD_FIELDS (90), PARTS ("large memory").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

LARGE="${LARGE:-1000000}" CACHE_BYTES="${CACHE_BYTES:-67108864}" COLD="${COLD:-200000}"
WARM="${WARM:-20000}" CONNECTIONS="${CONNECTIONS:-32}" MEMORY_SCHEMAS="${MEMORY_SCHEMAS:-20000}"
PAD_FIELDS="${PAD_FIELDS:-90}" PARTS="${PARTS:-large memory}"
need curl
need python3
build_release
SUFFIX="$$"

rss_mb() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

# reads NAME PORT IDS: every id of 1..IDS read once (one pass; the time limit allows 1,000
# reads/s).
reads() {
    local name="$1" port="$2" ids="$3" out="$WORK_DIR/reads-$1.txt"
    REGISTER_LOAD_PASSES=1 "$REGISTER_LOAD_BIN" "127.0.0.1:$port" "r" "$(( ids / 1000 + 5 ))" \
        "$CONNECTIONS" "$ids" get-ids >"$out" || { cat "$out" >&2; die "$name: reads failed"; }
    [[ "$(awk '$1=="NON200" {print $2}' "$out")" == 0 ]] || { cat "$out" >&2; die "$name: non-200 answers"; }
    log "$name: $(awk '$1=="STATUS200" {print $2}' "$out") reads, $(awk '$1=="RPS" {print $2}' "$out")/s, p50 $(awk '$1=="P50_MS" {print $2}' "$out") ms, p99 $(awk '$1=="P99_MS" {print $2}' "$out") ms"
}

if [[ " $PARTS " == *" large "* ]]; then
    pg_setup
    DB="bench_scale_$SUFFIX"
    pg_create_db "$DB"
    URL_PG="$(pg_url "$DB")"
    migrate_once "$URL_PG"
    t0="$(date +%s.%N)"
    populate_pg "$DB" "$LARGE"
    log "filled $LARGE schemas in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}') s"
    PORT="$(free_port)"
    t0="$(date +%s.%N)"
    start_bg SERVER "$WORK_DIR/scale.log" "$SCHEMATA_BIN" serve --database-url "$URL_PG" \
        --listen "127.0.0.1:$PORT" --cache-bytes "$CACHE_BYTES"
    until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/schemas/ids/$LARGE")" == 200 ]]; do
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK_DIR/scale.log" >&2; die "server died"; }
        sleep 0.01
    done
    FIRST_MS="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", (b - a) * 1000}')"
    log "start to first GET /schemas/ids/$LARGE answered: $FIRST_MS ms; RSS $(rss_mb "$SERVER_PID") MB"
    # Cold: ids 1..COLD, none read before. Warm: 1..WARM again, twice (the first pass reads
    # back what the cold pass evicted; the second is the one reported).
    reads cold "$PORT" "$COLD"
    COLD_RSS="$(rss_mb "$SERVER_PID")"
    log "RSS after $COLD distinct ids: $COLD_RSS MB (--cache-bytes $CACHE_BYTES)"
    reads warm-fill "$PORT" "$WARM"
    reads warm "$PORT" "$WARM"
    WARM_RSS="$(rss_mb "$SERVER_PID")"
    stop_pid "$SERVER_PID"
fi

if [[ " $PARTS " == *" memory "* ]]; then
    PORT="$(free_port)"
    start_bg MEM "$WORK_DIR/memory.log" "$SCHEMATA_BIN" serve --database-url "sqlite://$WORK_DIR/memory.db" \
        --listen "127.0.0.1:$PORT" --cache-bytes 33554432
    wait_http_ok "http://127.0.0.1:$PORT/health" || { cat "$WORK_DIR/memory.log" >&2; die "schemata did not start"; }
    # One subject per schema, every one new: register_load's new-subject workload, until
    # MEMORY_SCHEMAS are stored.
    SIZE="$(REGISTER_LOAD_PAD_FIELDS="$PAD_FIELDS" "$REGISTER_LOAD_BIN" "127.0.0.1:$PORT" probe 0.1 1 1 new-subject >/dev/null;
        curl -s "http://127.0.0.1:$PORT/schemas/ids/1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["schema"]))')"
    log "schemas of $SIZE bytes each"
    while (( $(curl -s "http://127.0.0.1:$PORT/subjects" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') < MEMORY_SCHEMAS )); do
        REGISTER_LOAD_PAD_FIELDS="$PAD_FIELDS" "$REGISTER_LOAD_BIN" "127.0.0.1:$PORT" "m$RANDOM" 5 "$CONNECTIONS" 1 new-subject >"$WORK_DIR/mem-load.txt"
        [[ "$(awk '$1=="NON200" {print $2}' "$WORK_DIR/mem-load.txt")" == 0 ]] || { cat "$WORK_DIR/mem-load.txt" >&2; die "registrations failed"; }
    done
    STORED="$(sqlite3 "$WORK_DIR/memory.db" 'SELECT count(*) FROM schemas' 2>/dev/null || echo "?")"
    WRITE_RSS="$(rss_mb "$MEM_PID")"
    log "RSS after registering $STORED schemas: $WRITE_RSS MB"
    reads memory-read "$PORT" "$STORED"
    READ_RSS="$(rss_mb "$MEM_PID")"
    log "RSS after reading every one by id: $READ_RSS MB"
    stop_pid "$MEM_PID"
fi

echo
echo "| scale and memory | figure | target |"
echo "|---|---|---|"
if [[ -n "${FIRST_MS:-}" ]]; then
    bound="$(awk -v c="$CACHE_BYTES" 'BEGIN {printf "%.0f", c / 1048576 + 48}')"
    echo "| PostgreSQL, $LARGE schemas: start to first GET by id | $FIRST_MS ms | as with 10 schemas (bench/startup.sh) |"
    echo "| GET by id, cold ($COLD distinct ids, $CONNECTIONS connections) | $(awk '$1=="RPS" {print $2}' "$WORK_DIR/reads-cold.txt") /s, p50 $(awk '$1=="P50_MS" {print $2}' "$WORK_DIR/reads-cold.txt") ms, p99 $(awk '$1=="P99_MS" {print $2}' "$WORK_DIR/reads-cold.txt") ms | reported |"
    echo "| GET by id, warm ($WARM ids) | $(awk '$1=="RPS" {print $2}' "$WORK_DIR/reads-warm.txt") /s, p50 $(awk '$1=="P50_MS" {print $2}' "$WORK_DIR/reads-warm.txt") ms, p99 $(awk '$1=="P99_MS" {print $2}' "$WORK_DIR/reads-warm.txt") ms | reported |"
    echo "| RSS after $COLD distinct ids, --cache-bytes $CACHE_BYTES | $COLD_RSS MB (warm: $WARM_RSS MB) | < $bound MB: $(awk -v r="$COLD_RSS" -v b="$bound" 'BEGIN {print (r < b) ? "met" : "MISSED"}') |"
fi
if [[ -n "${READ_RSS:-}" ]]; then
    echo "| SQLite, $STORED schemas of $SIZE bytes, --cache-bytes 33554432: RSS after writes / after reads | $WRITE_RSS / $READ_RSS MB | < 100 MB: $(awk -v a="$WRITE_RSS" -v b="$READ_RSS" 'BEGIN {print (a < 100 && b < 100) ? "met" : "MISSED"}') |"
fi
