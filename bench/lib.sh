# Shared helpers for the bench scripts (sourced, not run).
# Every script: `set -euo pipefail`, sources this, calls `bench_init`, and registers its
# own clean-up with `on_exit "command"` (servers are killed and databases dropped on exit).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_DIR/target}"
SCHEMATA_BIN="${SCHEMATA_BIN:-$TARGET_DIR/release/schemata}"
BARE_AXUM_BIN="${BARE_AXUM_BIN:-$TARGET_DIR/release/examples/bare_axum}"
REGISTER_LOAD_BIN="${REGISTER_LOAD_BIN:-$TARGET_DIR/release/examples/register_load}"
SQLITE_FLOOR_BIN="${SQLITE_FLOOR_BIN:-$TARGET_DIR/release/examples/sqlite_floor}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

_EXIT_HOOKS=()
on_exit() { _EXIT_HOOKS+=("$1"); }
_run_exit_hooks() {
    local rc=$?
    local i
    for ((i = ${#_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
        eval "${_EXIT_HOOKS[$i]}" >/dev/null 2>&1 || true
    done
    exit "$rc"
}

bench_init() {
    trap _run_exit_hooks EXIT
    trap 'exit 130' INT TERM
    WORK_DIR="$(mktemp -d /tmp/schemata-bench.XXXXXX)"
    on_exit "rm -rf '$WORK_DIR'"
}

# Install a Debian package when the command it provides is missing.
need() {
    local cmd="$1" pkg="${2:-$1}"
    command -v "$cmd" >/dev/null 2>&1 && return 0
    log "installing $pkg (for $cmd)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null ||
            die "cannot install $pkg"
    fi
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after installing $pkg"
}

# Release build of the server and the baseline (a no-op when up to date; SKIP_BUILD=1 skips).
build_release() {
    if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
        log "cargo build --release (target dir $TARGET_DIR)"
        (cd "$REPO_DIR" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release --quiet \
            --bin schemata --example bare_axum --example register_load --example sqlite_floor) ||
            die "release build failed"
    fi
    [[ -x "$SCHEMATA_BIN" ]] || die "missing $SCHEMATA_BIN"
    [[ -x "$BARE_AXUM_BIN" ]] || die "missing $BARE_AXUM_BIN"
    [[ -x "$REGISTER_LOAD_BIN" ]] || die "missing $REGISTER_LOAD_BIN"
    [[ -x "$SQLITE_FLOOR_BIN" ]] || die "missing $SQLITE_FLOOR_BIN"
}

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait until GET $1 answers 200 (at most $2 seconds, default 60).
wait_http_ok() {
    local url="$1" limit="${2:-60}" i
    for ((i = 0; i < limit * 20; i++)); do
        [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null)" == 200 ]] && return 0
        sleep 0.05
    done
    return 1
}

# start_bg NAME LOGFILE CMD... : start a process in the background, remember its pid in
# the variable NAME_PID, and kill it on exit.
start_bg() {
    local name="$1" logfile="$2"
    shift 2
    "$@" >"$logfile" 2>&1 &
    local pid=$!
    printf -v "${name}_PID" '%s' "$pid"
    on_exit "kill $pid; wait $pid"
}

stop_pid() {
    local pid="$1"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# PostgreSQL: the project's helper starts it and creates role schemata/schemata (CREATEDB).
pg_setup() {
    need psql postgresql-client
    need pgbench postgresql-contrib
    # shellcheck source=../scripts/postgres.sh
    source "$REPO_DIR/scripts/postgres.sh"
    ensure_postgres
    export PGHOST=127.0.0.1 PGPORT=5432 PGUSER=schemata PGPASSWORD=schemata
    export PGOPTIONS="-c client_min_messages=warning"
    # Both sides talk to PostgreSQL in plaintext: libpq (pgbench, psql) and sqlx would each
    # negotiate TLS with a server that has ssl=on (Debian's default); `pg_url` says
    # sslmode=disable for Schemata as PGSSLMODE does for libpq. Same transport for both.
    export PGSSLMODE=disable
}

# pg_create_db NAME: a fresh database owned by schemata, dropped on exit.
pg_create_db() {
    local db="$1"
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null
    psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null || die "cannot create database $db"
    on_exit "psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)'"
}

pg_url() { echo "postgres://schemata:schemata@127.0.0.1:5432/$1?sslmode=disable"; }

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) exit 1; if (NR%2) print a[(NR+1)/2]; else printf "%.6g\n", (a[NR/2]+a[NR/2+1])/2}'; }

# ratio A B → A/B with 3 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a / b }'; }

# cpu_ticks PID → user + system CPU of a running process, in clock ticks (1/100 s)
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# wrk_rps FILE → the Requests/sec figure of a wrk report
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }

# Filling a store directly (startup.sh, scale.sh): N distinct Avro records with ids 1..N,
# subjects "subject-<k>" with 10 versions each, the id counter moved past N. Hashes and
# guids are synthetic but unique (reads by id do not look at them). migrate_once URL applies
# the migrations with one start of the server; populate_sqlite FILE N / populate_pg DB N fill.
SCHEMA_TEXT_SQL="'{\"type\":\"record\",\"name\":\"Record' || i || '\",\"namespace\":\"com.example.startup\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"f' || i || '\",\"type\":[\"null\",\"string\"],\"default\":null}]}'"

migrate_once() { # DATABASE_URL
    local port; port="$(free_port)"
    SCHEMATA_DATABASE_URL="$1" python3 "$BENCH_DIR/startup_probe.py" "127.0.0.1:$port" \
        "$WORK_DIR/migrate.log" "$SCHEMATA_BIN" serve --listen "127.0.0.1:$port" >/dev/null ||
        { cat "$WORK_DIR/migrate.log" >&2; die "first start (migrations) failed for $1"; }
}

populate_sqlite() { # FILE N
    sqlite3 "$1" <<SQL >/dev/null || die "cannot populate $1"
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at)
SELECT '.', i, printf('%064x', i), 'AVRO', $SCHEMA_TEXT_SQL, '[]', NULL, NULL,
       printf('00000000-0000-4000-8000-%012x', i), 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at)
SELECT '.', 'subject-' || ((i - 1) / 10), ((i - 1) % 10) + 1, i, 0, 0 FROM n;
UPDATE contexts SET next_schema_id = $2 + 1 WHERE name = '.';
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
ANALYZE;
SQL
}

populate_pg() { # DB N
    # The fill only appends (each subject's versions in ascending order), as the server's group
    # writers do: the same setting skips the below-the-top insert trigger (migration 0006),
    # whose per-row probe a freshly created, unanalysed table would answer by scanning it.
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<SQL >/dev/null || die "cannot populate $1"
SET schemata.appends_only = on;
BEGIN;
INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at)
SELECT '.', i, encode(sha256(convert_to(t, 'UTF8')), 'hex'), 'AVRO', t, '[]', NULL, NULL, md5(t)::uuid::text, 0
FROM (SELECT i, $SCHEMA_TEXT_SQL AS t FROM generate_series(1, $2) AS i) s;
INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at)
SELECT '.', 'subject-' || ((i - 1) / 10), ((i - 1) % 10) + 1, i, 0, 0 FROM generate_series(1, $2) AS i;
SELECT setval('schema_id_seq_default', $2);
COMMIT;
VACUUM ANALYZE schemas, subject_versions;
SQL
}
