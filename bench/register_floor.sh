#!/usr/bin/env bash
# Investigation aid for register_pg.sh (not part of run_all.sh): what PostgreSQL alone reaches,
# at the same concurrency, when each "registration" is
#   single_insert        one INSERT (the register_pg.sh baseline),
#   schemata_statements  the exact statement sequence Schemata sends per registration,
#   lean_transaction     BEGIN; advisory lock; one read; two INSERTs; COMMIT.
# No HTTP and no Rust involved: the rate of schemata_statements is an upper bound for the
# server as it queries today. Prints tps of each and its ratio to single_insert.
# Environment: DURATION (10), CONNECTIONS (32), THREADS (2), ROUNDS (2).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init
DURATION="${DURATION:-10}" CONNECTIONS="${CONNECTIONS:-32}" THREADS="${THREADS:-2}" ROUNDS="${ROUNDS:-2}"
pg_setup
build_release

DB="bench_floor_$$"
pg_create_db "$DB"
# The real tables, via Schemata's own migrations, plus one stored version to read.
"$SCHEMATA_BIN" migrate --database-url "$(pg_url "$DB")" >"$WORK_DIR/migrate.log" 2>&1 ||
    { cat "$WORK_DIR/migrate.log" >&2; die "migration failed"; }
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
CREATE TABLE mimic_schemas (id BIGSERIAL PRIMARY KEY, payload TEXT);
CREATE TABLE mimic_versions (id BIGSERIAL PRIMARY KEY, payload TEXT);
INSERT INTO schemas VALUES ('.', 1, 'h', 'AVRO', '{}', '[]', NULL, NULL, 'g', 0);
INSERT INTO subject_versions VALUES ('.', 'diag', 1, 1, 0, 0);
SQL

for ((r = 1; r <= ROUNDS; r++)); do
    for s in single_insert schemata_statements lean_transaction; do
        tps="$(pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$DURATION" \
            -f "$BENCH_DIR/floor/$s.sql" "$DB" 2>&1 | awk '/^tps = / {print $3; exit}')"
        [[ -n "$tps" ]] || die "pgbench $s failed"
        echo "$tps" >>"$WORK_DIR/$s"
        log "round $r $s: $tps tps"
    done
done
base="$(median <"$WORK_DIR/single_insert")"
for s in single_insert schemata_statements lean_transaction; do
    m="$(median <"$WORK_DIR/$s")"
    echo "register_floor: $s ${m} tps (median), ratio to single_insert $(ratio "$m" "$base")"
done
