#!/usr/bin/env bash
# Registering NEW schemas on PostgreSQL with 32 concurrent clients (wrk + register.lua) vs
# pgbench single-row INSERT transactions on the same server at the same concurrency.
# Prints both rates and the ratio (target >= 0.5). Any non-200 registration fails the bench.
#
# Environment: DURATION (15, seconds), WARMUP (3), CONNECTIONS (32), THREADS (2), ROUNDS (2;
# alternating pgbench / Schemata, medians reported), SUBJECTS (1000 per wrk thread).
# No CPU pinning: PostgreSQL, the server and the load generator share the 2 CPUs in both cases.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

DURATION="${DURATION:-15}" WARMUP="${WARMUP:-3}" CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}" ROUNDS="${ROUNDS:-2}" SUBJECTS="${SUBJECTS:-1000}"
need wrk
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
    pgbench -n -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" -f "$WORK_DIR/insert.sql" "$PGB_DB" >"$out" 2>&1 ||
        { cat "$out" >&2; die "pgbench failed"; }
    local tps failed
    tps="$(awk '/^tps = / {print $3; exit}' "$out")"
    failed="$(awk '/number of failed transactions/ {print $5}' "$out")"
    [[ -z "$failed" || "$failed" == 0 ]] || die "pgbench: $failed failed transactions"
    log "round $1 pgbench: $tps tps, latency avg $(awk '/latency average/ {print $4, $5}' "$out")"
    echo "$tps" >>"$WORK_DIR/rate-pgbench"
}

run_register() { # ROUND
    local out="$WORK_DIR/wrk-$1.txt" warm="$WORK_DIR/wrk-warm-$1.txt"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$BENCH_DIR/register.lua" \
        "http://127.0.0.1:$PORT" -- "w$1x$SUFFIX" "$SUBJECTS" >"$warm"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH_DIR/register.lua" \
        "http://127.0.0.1:$PORT" -- "m$1x$SUFFIX" "$SUBJECTS" >"$out"
    local ok errors
    ok="$(awk '$1=="STATUS200" {print $2}' "$out")"
    errors="$(( $(awk '$1=="NON200" {print $2}' "$out") + $(awk '$1=="NON200" {print $2}' "$warm") ))"
    if grep -q 'Socket errors' "$out"; then cat "$out" >&2; die "socket errors"; fi
    if [[ "$errors" != 0 ]]; then cat "$out" "$warm" >&2; die "$errors registrations did not answer 200"; fi
    # Cross-check with the database: one new version per 200 response of this run.
    local stored
    stored="$(psql -XtAc "SELECT count(*) FROM subject_versions WHERE subject LIKE 'bench-m$1x$SUFFIX-%'" -d "$REG_DB")"
    # wrk counts only completed responses; requests in flight at the end may still commit.
    (( stored >= ok && stored <= ok + CONNECTIONS )) || die "database holds $stored versions for $ok responses"
    log "round $1 schemata: $(wrk_rps "$out") registrations/s ($ok x 200, 0 errors, $stored versions stored), p50 $(awk '$1=="50%" {print $2}' "$out"), p99 $(awk '$1=="99%" {print $2}' "$out")"
    wrk_rps "$out" >>"$WORK_DIR/rate-schemata"
    echo "$ok" >>"$WORK_DIR/ok-total"
}

log "$CONNECTIONS clients, $THREADS threads, warm-up ${WARMUP}s + ${DURATION}s per run, $ROUNDS rounds, subjects: $SUBJECTS per wrk thread"
for ((r = 1; r <= ROUNDS; r++)); do
    run_pgbench "$r"
    run_register "$r"
done

P_RATE="$(median <"$WORK_DIR/rate-pgbench")"
S_RATE="$(median <"$WORK_DIR/rate-schemata")"
R="$(ratio "$S_RATE" "$P_RATE")"
MET="$(awk -v r="$R" 'BEGIN { print (r >= 0.5) ? "MET" : "MISSED" }')"
echo "register_pg: pgbench rounds: $(paste -sd' ' "$WORK_DIR/rate-pgbench")"
echo "register_pg: schemata rounds: $(paste -sd' ' "$WORK_DIR/rate-schemata") (non-200: 0)"
echo "register_pg: pgbench INSERT ${P_RATE} tps, schemata register ${S_RATE} req/s (medians), ratio ${R} (target >= 0.5: ${MET})"
