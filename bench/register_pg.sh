#!/usr/bin/env bash
# Registering NEW schemas on PostgreSQL with 32 concurrent clients vs pgbench single-row
# INSERT transactions on the same server at the same concurrency. Two HTTP load generators
# send the same requests: `register_load` (examples/register_load.rs, a lean Rust client, the
# counterpart of pgbench's lean C client) and wrk + register.lua (whose Lua costs ~4x more
# CPU per request). Prints the rates, the ratio for each (target >= 0.5) and the CPU each
# process spent per request. Any non-200 registration fails the bench.
#
# Environment: DURATION (15, seconds), WARMUP (3), CONNECTIONS (32), THREADS (2, wrk and
# pgbench threads), ROUNDS (2; pgbench / lean client / wrk in turn, medians reported),
# SUBJECTS (1000 per wrk thread; the lean client spreads 2000 over its connections),
# CLIENTS ("lean wrk": which load generators to run).
# No CPU pinning: PostgreSQL, the server and the load generator share the 2 CPUs in all cases.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

DURATION="${DURATION:-15}" WARMUP="${WARMUP:-3}" CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}" ROUNDS="${ROUNDS:-2}" SUBJECTS="${SUBJECTS:-1000}"
CLIENTS="${CLIENTS:-lean wrk}"
need wrk
need /usr/bin/time time
need curl
pg_setup
build_release

SUFFIX="$$"
REG_DB="bench_register_$SUFFIX"
PGB_DB="bench_pgbench_$SUFFIX"
pg_create_db "$REG_DB"
pg_create_db "$PGB_DB"
log "PostgreSQL $(psql -XtAc 'SHOW server_version' -d postgres), fsync=$(psql -XtAc 'SHOW fsync' -d postgres), synchronous_commit=$(psql -XtAc 'SHOW synchronous_commit' -d postgres)"

# pgbench scratch table: BIGSERIAL key + a text column; one INSERT per transaction.
psql -X -q -d "$PGB_DB" -v ON_ERROR_STOP=1 \
    -c "CREATE TABLE bench_insert (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)"
cat >"$WORK_DIR/insert.sql" <<'SQL'
INSERT INTO bench_insert (payload) VALUES ('client ' || :client_id || ' row ' || random());
SQL

PORT="$(free_port)"
start_bg SCHEMATA "$WORK_DIR/schemata.log" "$SCHEMATA_BIN" serve \
    --database-url "$(pg_url "$REG_DB")" --listen "127.0.0.1:$PORT"
wait_http_ok "http://127.0.0.1:$PORT/health" || { cat "$WORK_DIR/schemata.log" >&2; die "schemata did not start"; }

run_pgbench() { # ROUND
    local out="$WORK_DIR/pgbench-$1.txt"
    pgbench -n -c "$CONNECTIONS" -j "$THREADS" -T "$WARMUP" -f "$WORK_DIR/insert.sql" "$PGB_DB" >/dev/null 2>&1
    /usr/bin/time -f '%U %S' -o "$WORK_DIR/pgbench-cpu-$1" \
        pgbench -n -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -f "$WORK_DIR/insert.sql" "$PGB_DB" >"$out" 2>&1 ||
        { cat "$out" >&2; die "pgbench failed"; }
    local tps failed processed client_us
    tps="$(awk '/^tps = / {print $3; exit}' "$out")"
    failed="$(awk '/number of failed transactions/ {print $5}' "$out")"
    [[ -z "$failed" || "$failed" == 0 ]] || die "pgbench: $failed failed transactions"
    processed="$(awk '/number of transactions actually processed/ {print $6}' "$out")"
    client_us="$(awk -v n="$processed" '{ printf "%.1f", ($1 + $2) * 1e6 / n }' "$WORK_DIR/pgbench-cpu-$1")"
    log "round $1 pgbench: $tps tps, latency avg $(awk '/latency average/ {print $4, $5}' "$out"), client CPU ${client_us} µs/transaction"
    echo "$tps" >>"$WORK_DIR/rate-pgbench"
}

# check_stored TAG OK: the database holds one new version per 200 response of the run.
check_stored() {
    local stored
    stored="$(psql -XtAc "SELECT count(*) FROM subject_versions WHERE subject LIKE 'bench-$1-%'" -d "$REG_DB")"
    # Clients count only completed responses; requests in flight at the end may still commit.
    (( stored >= $2 && stored <= $2 + CONNECTIONS )) || die "database holds $stored versions for $2 responses"
    echo "$stored"
}

run_register_wrk() { # ROUND
    local out="$WORK_DIR/wrk-$1.txt" warm="$WORK_DIR/wrk-warm-$1.txt"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH_DIR/register.lua" \
        "http://127.0.0.1:$PORT" -- "w$1x$SUFFIX" "$SUBJECTS" >"$warm"
    local server_before server_after
    server_before="$(cpu_ticks "$SCHEMATA_PID")"
    /usr/bin/time -f '%U %S' -o "$WORK_DIR/wrk-cpu-$1" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/register.lua" \
        "http://127.0.0.1:$PORT" -- "m$1x$SUFFIX" "$SUBJECTS" >"$out"
    server_after="$(cpu_ticks "$SCHEMATA_PID")"
    local ok errors stored
    ok="$(awk '$1=="STATUS200" {print $2}' "$out")"
    errors="$(( $(awk '$1=="NON200" {print $2}' "$out") + $(awk '$1=="NON200" {print $2}' "$warm") ))"
    if grep -q 'Socket errors' "$out"; then cat "$out" >&2; die "socket errors"; fi
    if [[ "$errors" != 0 ]]; then cat "$out" "$warm" >&2; die "$errors registrations did not answer 200"; fi
    stored="$(check_stored "m$1x$SUFFIX" "$ok")"
    log "round $1 schemata (wrk): $(wrk_rps "$out") registrations/s ($ok x 200, 0 errors, $stored versions stored), p50 $(awk '$1=="50%" {print $2}' "$out"), p99 $(awk '$1=="99%" {print $2}' "$out"), CPU µs/request: server $(per_request_us "$((server_after - server_before))" "$ok"), wrk $(awk -v n="$ok" '{ printf "%.1f", ($1 + $2) * 1e6 / n }' "$WORK_DIR/wrk-cpu-$1")"
    wrk_rps "$out" >>"$WORK_DIR/rate-wrk"
}

run_register_lean() { # ROUND
    local out="$WORK_DIR/lean-$1.txt"
    "$REGISTER_LOAD_BIN" "127.0.0.1:$PORT" "v$1x$SUFFIX" "$WARMUP" "$CONNECTIONS" 2000 >"$WORK_DIR/lean-warm-$1.txt"
    local server_before server_after
    server_before="$(cpu_ticks "$SCHEMATA_PID")"
    "$REGISTER_LOAD_BIN" "127.0.0.1:$PORT" "l$1x$SUFFIX" "$DURATION" "$CONNECTIONS" 2000 >"$out"
    server_after="$(cpu_ticks "$SCHEMATA_PID")"
    local ok errors stored field
    field() { awk -v k="$1" '$1==k {print $2}' "$out"; }
    ok="$(field STATUS200)"
    errors="$(( $(field NON200) + $(awk '$1=="NON200" {print $2}' "$WORK_DIR/lean-warm-$1.txt") ))"
    if [[ "$errors" != 0 ]]; then cat "$out" >&2; die "$errors registrations did not answer 200"; fi
    stored="$(check_stored "l$1x$SUFFIX" "$ok")"
    log "round $1 schemata (lean client): $(field RPS) registrations/s ($ok x 200, 0 errors, $stored versions stored), p50 $(field P50_MS) ms, p99 $(field P99_MS) ms, CPU µs/request: server $(per_request_us "$((server_after - server_before))" "$ok"), client $(field CPU_US_PER_REQUEST)"
    field RPS >>"$WORK_DIR/rate-lean"
}

# per_request_us TICKS REQUESTS
per_request_us() { awk -v t="$1" -v n="$2" 'BEGIN { printf "%.1f", t * 1e4 / n }'; }

log "$CONNECTIONS clients, $THREADS threads, warm-up ${WARMUP}s + ${DURATION}s per run, $ROUNDS rounds, subjects: $SUBJECTS per wrk thread"
for ((r = 1; r <= ROUNDS; r++)); do
    run_pgbench "$r"
    for client in $CLIENTS; do
        case "$client" in
            lean) run_register_lean "$r" ;;
            wrk) run_register_wrk "$r" ;;
            *) die "unknown client $client (CLIENTS: lean, wrk)" ;;
        esac
    done
done

P_RATE="$(median <"$WORK_DIR/rate-pgbench")"
echo "register_pg: pgbench rounds: $(paste -sd' ' "$WORK_DIR/rate-pgbench")"
for client in $CLIENTS; do
    S_RATE="$(median <"$WORK_DIR/rate-$client")"
    R="$(ratio "$S_RATE" "$P_RATE")"
    MET="$(awk -v r="$R" 'BEGIN { print (r >= 0.5) ? "MET" : "MISSED" }')"
    echo "register_pg: schemata rounds ($client client): $(paste -sd' ' "$WORK_DIR/rate-$client") (non-200: 0)"
    echo "register_pg: pgbench INSERT ${P_RATE} tps, schemata register ${S_RATE} req/s with the $client client (medians), ratio ${R} (target >= 0.5: ${MET})"
done
