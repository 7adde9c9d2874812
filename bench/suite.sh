#!/usr/bin/env bash
# Every workload a registry serves, each against its baseline measured in the same run, in
# one table (bench/README.md, "The suite"):
#
#   PostgreSQL, CONNECTIONS clients (register_load, a lean Rust client):
#     new subject (version 1)   vs pgbench single-row INSERT transactions   target >= 0.5
#     new version               vs the same pgbench                         target >= 0.6
#     re-registration           vs GET /schemas/ids/{id} (same client)      target >= 0.5
#     POST /subjects/{s} lookup vs the same GET                             target >= 0.5
#   SQLite (a file in a temporary directory, synchronous FULL):
#     new subject, new version  vs sqlite_floor: one row per transaction    target >= 0.5
#   GET /schemas/ids/{id}       vs bare axum (bench/get_by_id.sh, wrk)      target >= 0.85
#
# Each round runs every workload once, in turn; rates and latencies are medians over the
# rounds. p50/p99 are per request (per transaction for the baselines), at CONNECTIONS.
# Any non-200 answer fails the run.
#
# Environment: DURATION (10, seconds a run), WARMUP (2), CONNECTIONS (32), ROUNDS (3),
# SUBJECTS (2000: subjects of new-version; schemas of re-registration, lookup and GET),
# GET_ROUNDS (3, rounds of get_by_id.sh), PARTS ("pg sqlite get": what to run).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

DURATION="${DURATION:-10}" WARMUP="${WARMUP:-2}" CONNECTIONS="${CONNECTIONS:-32}"
ROUNDS="${ROUNDS:-3}" SUBJECTS="${SUBJECTS:-2000}" GET_ROUNDS="${GET_ROUNDS:-3}"
PARTS="${PARTS:-pg sqlite get}"
need curl
build_release
SUFFIX="$$"

# record NAME FILE: keep the RPS, P50_MS and P99_MS of a register_load / sqlite_floor report.
record() {
    local name="$1" out="$2" key
    for key in RPS P50_MS P99_MS; do
        awk -v k="$key" '$1==k {print $2}' "$out" >>"$WORK_DIR/$name.$key"
    done
    log "  $name: $(awk '$1=="RPS" {print $2}' "$out")/s, p50 $(awk '$1=="P50_MS" {print $2}' "$out") ms, p99 $(awk '$1=="P99_MS" {print $2}' "$out") ms"
}

# load NAME PORT TAG WORKLOAD: one register_load run (after a warm-up run), all answers 200.
load() {
    local name="$1" port="$2" tag="$3" workload="$4" out="$WORK_DIR/load-$1-$3.txt"
    "$REGISTER_LOAD_BIN" "127.0.0.1:$port" "$tag" "$WARMUP" "$CONNECTIONS" "$SUBJECTS" "$workload" >"$out.warm" ||
        { cat "$out.warm" >&2; die "$name: warm-up failed"; }
    "$REGISTER_LOAD_BIN" "127.0.0.1:$port" "$tag" "$DURATION" "$CONNECTIONS" "$SUBJECTS" "$workload" >"$out" ||
        { cat "$out" >&2; die "$name: run failed"; }
    local failed
    failed="$(( $(awk '$1=="NON200" {print $2}' "$out") + $(awk '$1=="NON200" {print $2}' "$out.warm") ))"
    [[ "$failed" == 0 ]] || { cat "$out" "$out.warm" >&2; die "$name: $failed answers were not 200"; }
    record "$name" "$out"
}

pgbench_run() { # ROUND
    local out="$WORK_DIR/pgbench-$1.txt"
    # PostgreSQL's connection slots may be taken for a moment by other users of the server.
    local try
    for try in 1 2 3 4 5; do
        pgbench -n -c "$CONNECTIONS" -j 2 -T "$WARMUP" -f "$WORK_DIR/insert.sql" "$PGB_DB" >"$out.warm" 2>&1 && break
        grep -q "connection slots" "$out.warm" && ((try < 5)) || { cat "$out.warm" >&2; die "pgbench warm-up failed"; }
        sleep 2
    done
    pgbench -n -c "$CONNECTIONS" -j 2 -T "$DURATION" --log --log-prefix="$WORK_DIR/pgb-$1" \
        -f "$WORK_DIR/insert.sql" "$PGB_DB" >"$out" 2>&1 || { cat "$out" >&2; die "pgbench failed"; }
    # Per-transaction latencies (microseconds, third column of pgbench's log) → p50/p99.
    cat "$WORK_DIR"/pgb-"$1".* | awk '{print $3}' | sort -n >"$WORK_DIR/pgb-lat-$1"
    local n p50 p99
    n="$(wc -l <"$WORK_DIR/pgb-lat-$1")"
    p50="$(awk -v n="$n" 'NR==int((n-1)*0.5)+1 {printf "%.2f", $1/1000}' "$WORK_DIR/pgb-lat-$1")"
    p99="$(awk -v n="$n" 'NR==int((n-1)*0.99)+1 {printf "%.2f", $1/1000}' "$WORK_DIR/pgb-lat-$1")"
    rm -f "$WORK_DIR"/pgb-"$1".* "$WORK_DIR/pgb-lat-$1"
    printf 'RPS %s\nP50_MS %s\nP99_MS %s\n' "$(awk '/^tps = / {print $3; exit}' "$out")" "$p50" "$p99" >"$out.summary"
    record pgbench "$out.summary"
}

if [[ " $PARTS " == *" pg "* ]]; then
    need wrk
    pg_setup
    REG_DB="bench_suite_$SUFFIX" PGB_DB="bench_suite_pgbench_$SUFFIX"
    pg_create_db "$REG_DB"
    pg_create_db "$PGB_DB"
    psql -X -q -d "$PGB_DB" -v ON_ERROR_STOP=1 \
        -c "CREATE TABLE bench_insert (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)"
    echo "INSERT INTO bench_insert (payload) VALUES ('client ' || :client_id || ' row ' || random());" >"$WORK_DIR/insert.sql"
    PG_PORT="$(free_port)"
    start_bg PG_SERVER "$WORK_DIR/schemata-pg.log" "$SCHEMATA_BIN" serve \
        --database-url "$(pg_url "$REG_DB")" --listen "127.0.0.1:$PG_PORT"
    wait_http_ok "http://127.0.0.1:$PG_PORT/health" || { cat "$WORK_DIR/schemata-pg.log" >&2; die "schemata (PostgreSQL) did not start"; }
    log "PostgreSQL: $CONNECTIONS clients, ${WARMUP}s warm-up + ${DURATION}s a run, $ROUNDS rounds"
    for ((r = 1; r <= ROUNDS; r++)); do
        log "round $r"
        pgbench_run "$r"
        load pg_new_subject "$PG_PORT" "s$r" new-subject
        load pg_new_version "$PG_PORT" "v$r" new-version
        # The three share one set of schemas: registered by the first set-up, re-registered
        # by the later ones (untimed).
        load pg_get_id "$PG_PORT" "k$r" get-id
        load pg_reregister "$PG_PORT" "k$r" reregister
        load pg_lookup "$PG_PORT" "k$r" lookup
    done
    stop_pid "$PG_SERVER_PID"
fi

if [[ " $PARTS " == *" sqlite "* ]]; then
    SQ_PORT="$(free_port)"
    start_bg SQ_SERVER "$WORK_DIR/schemata-sqlite.log" "$SCHEMATA_BIN" serve \
        --database-url "sqlite://$WORK_DIR/suite.db" --listen "127.0.0.1:$SQ_PORT"
    wait_http_ok "http://127.0.0.1:$SQ_PORT/health" || { cat "$WORK_DIR/schemata-sqlite.log" >&2; die "schemata (SQLite) did not start"; }
    log "SQLite: files in $WORK_DIR, $CONNECTIONS clients, $ROUNDS rounds"
    for ((r = 1; r <= ROUNDS; r++)); do
        log "round $r"
        rm -f "$WORK_DIR/floor.db"*
        "$SQLITE_FLOOR_BIN" "$WORK_DIR/floor.db" "$DURATION" "$CONNECTIONS" >"$WORK_DIR/floor-$r.txt" ||
            { cat "$WORK_DIR/floor-$r.txt" >&2; die "sqlite_floor failed"; }
        record sqlite_floor "$WORK_DIR/floor-$r.txt"
        load sqlite_new_subject "$SQ_PORT" "s$r" new-subject
        load sqlite_new_version "$SQ_PORT" "v$r" new-version
    done
    stop_pid "$SQ_SERVER_PID"
fi

if [[ " $PARTS " == *" get "* ]]; then
    log "GET /schemas/ids/{id} against bare axum (bench/get_by_id.sh, $GET_ROUNDS rounds)"
    SKIP_BUILD=1 ROUNDS="$GET_ROUNDS" "$BENCH_DIR/get_by_id.sh" >"$WORK_DIR/get_by_id.txt" 2>"$WORK_DIR/get_by_id.log" ||
        { cat "$WORK_DIR/get_by_id.log" >&2; die "get_by_id.sh failed"; }
    cat "$WORK_DIR/get_by_id.txt" >&2
fi

# The table.
med() { [[ -s "$WORK_DIR/$1.$2" ]] && median <"$WORK_DIR/$1.$2" || echo "-"; }
row() { # LABEL NAME BASELINE_LABEL BASELINE TARGET
    local s b r met
    s="$(med "$2" RPS)" b="$(med "$4" RPS)"
    [[ "$s" == "-" || "$b" == "-" ]] && return 0
    r="$(ratio "$s" "$b")"
    met="$(awk -v r="$r" -v t="$5" 'BEGIN { print (r >= t) ? "met" : "MISSED" }')"
    printf '| %s | %.0f /s | %s %.0f /s | **%s** (≥ %s: %s) | %s / %s ms | %s / %s ms |\n' \
        "$1" "$s" "$3" "$b" "$r" "$5" "$met" "$(med "$2" P50_MS)" "$(med "$2" P99_MS)" \
        "$(med "$4" P50_MS)" "$(med "$4" P99_MS)"
}
echo
echo "suite: $(date -u +%F) $(nproc) CPUs, $CONNECTIONS connections, ${DURATION}s runs, medians of $ROUNDS rounds"
echo
echo "| workload | Schemata | baseline (same run) | ratio | p50 / p99 | baseline p50 / p99 |"
echo "|---|---|---|---|---|---|"
row "PostgreSQL: new subject, version 1" pg_new_subject "pgbench INSERT" pgbench 0.5
row "PostgreSQL: new version of one of $SUBJECTS subjects" pg_new_version "pgbench INSERT" pgbench 0.6
row "PostgreSQL: re-registration of one of $SUBJECTS schemas" pg_reregister "GET by id" pg_get_id 0.5
row "PostgreSQL: POST /subjects/{s} lookup" pg_lookup "GET by id" pg_get_id 0.5
row "SQLite: new subject, version 1" sqlite_new_subject "insert loop" sqlite_floor 0.5
row "SQLite: new version" sqlite_new_version "insert loop" sqlite_floor 0.5
if [[ -s "$WORK_DIR/get_by_id.txt" ]]; then
    awk '/\(medians\), ratio/ {
        match($0, /bare_axum [0-9.]+/); b = substr($0, RSTART + 10, RLENGTH - 10)
        match($0, /schemata [0-9.]+/); s = substr($0, RSTART + 9, RLENGTH - 9)
        match($0, /ratio [0-9.]+/); r = substr($0, RSTART + 6, RLENGTH - 6)
        printf "| GET /schemas/ids/{id} (SQLite, wrk, 1 core each) | %.0f /s | bare axum %.0f /s | **%s** (≥ 0.85: %s) | see get_by_id.sh | |\n", s, b, r, (r >= 0.85) ? "met" : "MISSED"
    }' "$WORK_DIR/get_by_id.txt"
fi
