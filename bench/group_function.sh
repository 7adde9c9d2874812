#!/usr/bin/env bash
# Investigation aid, not a target: PostgreSQL's cost of one registration group, without the
# HTTP server. A fresh database migrated by `schemata serve`, then pgbench calls
# bench_group() (bench/group_function.sql) from 2 clients (the server's two group writers)
# for DURATION seconds. Prints groups/s, registrations written and the CPU of the whole
# machine per group (pgbench's client included, the same in every variant).
#
# A/B a database change: VARIANT_SQL="..." is applied after the migrations, e.g.
#   VARIANT_SQL="DROP INDEX schemas_guid_idx" bench/group_function.sh
# Environment: GROUP (16, registrations per call), DURATION (10), WARMUP (3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

GROUP="${GROUP:-16}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-3}"
need curl
pg_setup
build_release

DB="bench_group_$$"
pg_create_db "$DB"
PORT="$(free_port)"
start_bg SCHEMATA "$WORK_DIR/schemata.log" "$SCHEMATA_BIN" serve \
    --database-url "$(pg_url "$DB")" --listen "127.0.0.1:$PORT"
wait_http_ok "http://127.0.0.1:$PORT/health" || die "schemata did not start"
stop_pid "$SCHEMATA_PID"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$BENCH_DIR/group_function.sql"
if [[ -n "${VARIANT_SQL:-}" ]]; then
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "$VARIANT_SQL"
fi

echo "SELECT bench_group(:client_id, $GROUP);" >"$WORK_DIR/group.sql"
# As the server's group writers: their connections declare they only append (migration 0006).
export PGOPTIONS="$PGOPTIONS -c schemata.appends_only=on"
pgbench -n -c 2 -j 2 -T "$WARMUP" -f "$WORK_DIR/group.sql" "$DB" >/dev/null 2>&1
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
before="$(machine_ticks)"
pgbench -n -c 2 -j 2 -T "$DURATION" -f "$WORK_DIR/group.sql" "$DB" >"$WORK_DIR/pgbench.txt" 2>&1 ||
    { cat "$WORK_DIR/pgbench.txt" >&2; die "pgbench failed"; }
after="$(machine_ticks)"
groups="$(awk '/actually processed/ {print $6}' "$WORK_DIR/pgbench.txt")"
written="$(psql -XtAc "SELECT count(*) FROM subject_versions" -d "$DB")"
echo "group_function: GROUP=$GROUP ${VARIANT_SQL:+variant applied, }$(awk '/^tps = / {printf "%.0f", $3}' "$WORK_DIR/pgbench.txt") groups/s, $written registrations written (warm-up included), machine CPU $(awk -v t="$((after - before))" -v n="$groups" 'BEGIN { printf "%.0f", t * 1e4 / n }') µs per group"
