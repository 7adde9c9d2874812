#!/usr/bin/env bash
# Property-based API tests: schemathesis generates requests from openapi/openapi.yaml and runs
# every one of its checks (server errors, response schemas, status codes, valid requests
# rejected, invalid requests accepted, ...) against a running Schemata, once on a fresh SQLite
# file and once on a fresh PostgreSQL database, with a fixed seed and a bounded number of
# examples per operation. Failures listed in baseline.toml (with the reason the server keeps
# that behaviour) are tolerated; any other failure, or a run that did not complete, fails.
#
# Usage: tests/schemathesis/run.sh [path/to/schemata-binary]
#   default binary: ${CARGO_TARGET_DIR:-<repo>/target}/debug/schemata
# Environment:
#   SCHEMATA_TEST_POSTGRES_URL  admin URL (postgres://u:p@host:port/db); a database is created
#                               and dropped through it. Default:
#                               postgres://postgres@127.0.0.1:5432/postgres (trust auth).
#   SCHEMATA_ST_BACKENDS        backends to run, default "sqlite postgres".
#   SCHEMATA_ST_SEED            seed, default 20261206 (change it only together with the baseline).
#   SCHEMATA_ST_MAX_EXAMPLES    examples per operation and phase, default 15.
#   SCHEMATA_ST_TIMEOUT         seconds one backend's run may take before it is stopped and
#                               counted as failed, default 300.
#   PYTHON                      interpreter for the virtualenv, default python3 (3.11 or newer).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
REQUIREMENTS="$SCRIPT_DIR/requirements.txt"
BASELINE="$SCRIPT_DIR/baseline.toml"
DOCUMENT="$REPO_ROOT/openapi/openapi.yaml"
VENV="$REPO_ROOT/.venv-schemathesis"
PYTHON="${PYTHON:-python3}"
BACKENDS="${SCHEMATA_ST_BACKENDS:-sqlite postgres}"
SEED="${SCHEMATA_ST_SEED:-20261206}"
MAX_EXAMPLES="${SCHEMATA_ST_MAX_EXAMPLES:-15}"
RUN_TIMEOUT="${SCHEMATA_ST_TIMEOUT:-300}"

if [[ $# -ge 1 ]]; then
    BIN="$1"
else
    BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/schemata"
fi
if [[ "$BIN" != /* ]]; then
    # Relative paths: as given from the caller's directory, else from the repo root.
    if [[ -e "$PWD/$BIN" ]]; then BIN="$PWD/$BIN"; else BIN="$REPO_ROOT/$BIN"; fi
fi
if [[ ! -x "$BIN" ]]; then
    echo "schemathesis: schemata binary not found or not executable: $BIN" >&2
    echo "schemathesis: build it with: cargo build --bin schemata" >&2
    exit 2
fi

log() { echo "schemathesis: $*" >&2; }

# ---------------------------------------------------------------- virtualenv
# Installed once; a stamp holding the hash of the requirements and the Python version makes
# re-runs skip pip entirely.
setup_venv() {
    local stamp="$VENV/.requirements.sha256" want
    want="$( { cat "$REQUIREMENTS"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "installing schemathesis into $VENV"
    if [[ ! -x "$VENV/bin/python" ]]; then
        "$PYTHON" -m venv "$VENV"
    fi
    # Keep the virtualenv out of git without touching the repository's .gitignore.
    echo '*' > "$VENV/.gitignore"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$want" > "$stamp"
}
setup_venv

# ---------------------------------------------------------------- state and cleanup
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/schemata-st.XXXXXX")"
SERVER_PID=""
PG_DB=""

pg_psql() {
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
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- server
free_port() {
    "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server NAME DATABASE_URL -> sets SERVER_PID and SCHEMATA_URL
start_server() {
    local name="$1" db_url="$2" attempt port logfile
    for attempt in 1 2 3; do
        port="$(free_port)"
        logfile="$WORK_DIR/server-$name.log"
        SCHEMATA_LOG="${SCHEMATA_LOG:-warn}" "$BIN" serve --database-url "$db_url" \
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

# run_backend NAME DATABASE_URL -> non-zero if schemathesis could not run or the server died
run_backend() {
    local name="$1" db_url="$2" rc=0 started=$SECONDS
    start_server "$name" "$db_url" || return 1
    log "$name: schemathesis run (seed $SEED, $MAX_EXAMPLES examples per operation)"
    # From the work directory, so that no schemathesis.toml or example database of the
    # caller's is picked up and nothing is written into the repository. One worker, no example
    # database: the same seed sends the same requests in the same order every time.
    (
        cd "$WORK_DIR"
        timeout --kill-after=10 "$RUN_TIMEOUT" "$VENV/bin/schemathesis" run "$DOCUMENT" \
            --url "$SCHEMATA_URL" --checks all --seed "$SEED" --max-examples "$MAX_EXAMPLES" \
            --workers 1 --generation-database none --request-timeout 30 --no-color \
            --report ndjson --report-ndjson-path "$WORK_DIR/$name.ndjson" \
            >"$WORK_DIR/schemathesis-$name.log" 2>&1
    ) || rc=$?
    # Exit code 1 means failures were found: check.py judges them against the baseline.
    if [[ $rc -ne 0 && $rc -ne 1 ]]; then
        log "$name: schemathesis exited with status $rc (124: over ${RUN_TIMEOUT}s); its output:"
        tail -n 60 "$WORK_DIR/schemathesis-$name.log" | sed 's/^/    /' >&2
        rc=1
    else
        rc=0
    fi
    log "$name: finished in $((SECONDS - started)) s"
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
declare -A RESULT=()
overall=0
for backend in $BACKENDS; do
    rc=0
    case "$backend" in
        sqlite)
            run_backend sqlite "sqlite://$WORK_DIR/st.db" || rc=$?
            ;;
        postgres)
            parse_pg_url
            if ! command -v psql >/dev/null 2>&1; then
                log "postgres: psql not found (apt-get install postgresql-client)"
                rc=1
            else
                PG_DB="schemata_st_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
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
    if [[ $rc -eq 0 ]]; then
        # Judge this backend on its own, so the summary says which one failed.
        log "$backend: checking the failures against $BASELINE"
        "$VENV/bin/python" "$SCRIPT_DIR/check.py" "$BASELINE" "$WORK_DIR/$backend.ndjson" || rc=$?
    fi
    RESULT[$backend]=$rc
    [[ $rc -eq 0 ]] || overall=1
done

echo
for backend in $BACKENDS; do
    if [[ "${RESULT[$backend]}" -eq 0 ]]; then
        echo "schemathesis $backend: OK"
    else
        echo "schemathesis $backend: FAILED (exit ${RESULT[$backend]})"
    fi
done
exit "$overall"
