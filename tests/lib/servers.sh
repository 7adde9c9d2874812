# shellcheck shell=bash
# Sourced (never run) by tests/e2e/run.sh and tests/schemathesis/run.sh: what both do alike to
# run their tests against a real Schemata once per storage backend. Finding the binary, a work
# directory cleaned up on exit, the PostgreSQL admin URL (SCHEMATA_TEST_POSTGRES_URL) and
# database create/drop through psql, starting a server on a free 127.0.0.1 port and waiting
# for GET /health, stopping it, the loop over the backends and its summary, the log helper.
# Each script keeps its own virtualenv set-up and what it runs against the server. Nothing here
# sets shell options: the scripts run with `set -euo pipefail`.
#
# The sourcing script sets, before calling anything here:
#   SUITE              name in log lines and the summary ("e2e", "schemathesis")
#   SUITE_TAG          short name in the work directory, SQLite file and PostgreSQL database:
#                      schemata-<tag>.XXXXXX, <tag>.db, schemata_<tag>_<random>
#   SERVER_LOG_FILTER  the server's log filter when SCHEMATA_LOG is not set
#   REPO_ROOT, VENV    the repository and the script's virtualenv (its python is used here)
#   BACKENDS           the backends to run (sqlite, postgres)
# and defines run_backend NAME DATABASE_URL (start_server, its tests, end_server) and, if it
# wants one, judge_backend NAME, run after run_backend succeeded and counted like it.
# Set here: BIN, WORK_DIR, SERVER_PID, SCHEMATA_URL, PG_DB, PG_USER, PG_PASSWORD, PG_HOST,
# PG_PORT, PG_ADMIN_DB, PG_QUERY, OVERALL.

log() { echo "$SUITE: $*" >&2; }

# resolve_bin PATH -> sets BIN; exits 2 if it is not an executable
resolve_bin() {
    BIN="$1"
    if [[ "$BIN" != /* ]]; then
        # Relative paths: as given from the caller's directory, else from the repo root.
        if [[ -e "$PWD/$BIN" ]]; then BIN="$PWD/$BIN"; else BIN="$REPO_ROOT/$BIN"; fi
    fi
    if [[ ! -x "$BIN" ]]; then
        log "schemata binary not found or not executable: $BIN"
        log "build it with: cargo build --bin schemata"
        exit 2
    fi
}

# ---------------------------------------------------------------- state and cleanup
pg_psql() {
    # Runs SQL against the admin database.
    PGPASSWORD="$PG_PASSWORD" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" \
        -U "$PG_USER" -d "$PG_ADMIN_DB" "$@"
}

stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

drop_pg_db() {
    if [[ -n "$PG_DB" ]]; then
        pg_psql -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 \
            || log "warning: could not drop database $PG_DB"
        PG_DB=""
    fi
}

cleanup() {
    stop_server
    drop_pg_db
    rm -rf "$WORK_DIR"
}

# make_work_dir -> sets WORK_DIR, a new temporary directory; from now on an exit (also on
# failure or Ctrl-C) stops the server, drops the PostgreSQL database and removes the directory
make_work_dir() {
    WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/schemata-$SUITE_TAG.XXXXXX")"
    SERVER_PID=""
    PG_DB=""
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# ---------------------------------------------------------------- server
free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME DATABASE_URL -> sets SERVER_PID and SCHEMATA_URL; its log goes to
# $WORK_DIR/server-NAME.log
start_server() {
    local name="$1" db_url="$2" attempt port logfile
    for attempt in 1 2 3; do
        port="$(free_port)"
        logfile="$WORK_DIR/server-$name.log"
        SCHEMATA_LOG="${SCHEMATA_LOG:-$SERVER_LOG_FILTER}" "$BIN" serve --database-url "$db_url" \
            --listen "127.0.0.1:$port" >"$logfile" 2>&1 &
        SERVER_PID=$!
        SCHEMATA_URL="http://127.0.0.1:$port"
        for _ in $(seq 1 300); do
            if ! kill -0 "$SERVER_PID" 2>/dev/null; then
                break
            fi
            if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$SCHEMATA_URL/health" || true)" == 200 ]]; then
                log "$name: schemata is up at $SCHEMATA_URL (pid $SERVER_PID)"
                return 0
            fi
            sleep 0.1
        done
        log "$name: server did not become healthy (attempt $attempt); log:"
        sed 's/^/    /' "$logfile" >&2 || true
        stop_server
    done
    return 1
}

# end_server NAME -> stops the server; non-zero, after showing its log, if it died during the run
end_server() {
    local name="$1" rc=0
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        local status=0
        wait "$SERVER_PID" 2>/dev/null || status=$?
        SERVER_PID=""
        log "$name: the server died during the run (exit status $status); log:"
        sed 's/^/    /' "$WORK_DIR/server-$name.log" >&2 || true
        rc=1
    fi
    stop_server
    return "$rc"
}

# ---------------------------------------------------------------- PostgreSQL settings
parse_pg_url() {
    local admin_url="${SCHEMATA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    local parsed
    parsed="$("$VENV/bin/python" - "$admin_url" <<'PY'
import shlex, sys
from urllib.parse import unquote, urlsplit
u = urlsplit(sys.argv[1])
if u.scheme not in ("postgres", "postgresql"):
    sys.exit("SCHEMATA_TEST_POSTGRES_URL must be a postgres:// URL")
vals = {
    "PG_USER": unquote(u.username or "postgres"),
    "PG_PASSWORD": unquote(u.password or ""),
    "PG_HOST": u.hostname or "127.0.0.1",
    "PG_PORT": str(u.port or 5432),
    "PG_ADMIN_DB": unquote(u.path.lstrip("/")) or "postgres",
    "PG_QUERY": u.query,
}
for k, v in vals.items():
    print(f"{k}={shlex.quote(v)}")
PY
)"
    eval "$parsed"
}

# URL for the server: admin credentials, new database name.
pg_server_url() {
    "$VENV/bin/python" - "$PG_USER" "$PG_PASSWORD" "$PG_HOST" "$PG_PORT" "$1" "$PG_QUERY" <<'PY'
import sys
from urllib.parse import quote
user, password, host, port, db, query = sys.argv[1:]
auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
host = f"[{host}]" if ":" in host else host
print(f"postgres://{auth}@{host}:{port}/{db}" + (f"?{query}" if query else ""))
PY
}

# ---------------------------------------------------------------- runs
# run_backends -> for each of $BACKENDS a fresh database, run_backend on it, then judge_backend
# if the script defines one; then a "<suite> <backend>: OK|FAILED (exit N)" line per backend.
# Sets OVERALL: 0 if every backend passed, else 1. Call it at the top level (not behind
# `||`, `if` or `!`), so that errexit still holds in it: a bad SCHEMATA_TEST_POSTGRES_URL
# ends the script.
# shellcheck disable=SC2034  # OVERALL is read by the sourcing script
run_backends() {
    local backend rc
    local -A result=()
    OVERALL=0
    for backend in $BACKENDS; do
        rc=0
        case "$backend" in
            sqlite)
                run_backend sqlite "sqlite://$WORK_DIR/$SUITE_TAG.db" || rc=$?
                ;;
            postgres)
                parse_pg_url
                if ! command -v psql >/dev/null 2>&1; then
                    log "postgres: psql not found (apt-get install postgresql-client)"
                    rc=1
                else
                    PG_DB="schemata_${SUITE_TAG}_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
                    if pg_psql -c "CREATE DATABASE \"$PG_DB\""; then
                        run_backend postgres "$(pg_server_url "$PG_DB")" || rc=$?
                    else
                        log "postgres: cannot create database on $PG_HOST:$PG_PORT as $PG_USER"
                        PG_DB=""
                        rc=1
                    fi
                    drop_pg_db
                fi
                ;;
            *)
                log "unknown backend '$backend'"
                rc=2
                ;;
        esac
        if [[ $rc -eq 0 ]] && declare -F judge_backend >/dev/null; then
            judge_backend "$backend" || rc=$?
        fi
        result[$backend]=$rc
        [[ $rc -eq 0 ]] || OVERALL=1
    done

    echo
    for backend in $BACKENDS; do
        if [[ "${result[$backend]}" -eq 0 ]]; then
            echo "$SUITE $backend: OK"
        else
            echo "$SUITE $backend: FAILED (exit ${result[$backend]})"
        fi
    done
}
