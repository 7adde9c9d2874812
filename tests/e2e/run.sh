#!/usr/bin/env bash
# End-to-end tests: the real confluent-kafka Python client, then the npm clients
# (@kafkajs/confluent-schema-registry, @confluentinc/schemaregistry) against a running
# Schemata, once on a fresh SQLite file and once on a fresh PostgreSQL database.
#
# Usage: tests/e2e/run.sh [path/to/schemata-binary] [extra pytest args...]
#   default binary: ${CARGO_TARGET_DIR:-<repo>/target}/debug/schemata
# Environment:
#   SCHEMATA_TEST_POSTGRES_URL  admin URL (e.g. postgres://u:p@127.0.0.1:5432/postgres); its
#                               credentials/host are used, its database is the admin db.
#                               Default: postgres://postgres@127.0.0.1:5432/postgres (trust auth).
#   SCHEMATA_E2E_BACKENDS       backends to run, default "sqlite postgres".
#   PYTHON                      interpreter for the virtualenv, default python3.
#   SCHEMATA_E2E_NPM            1 (default) runs the Node tests in tests/e2e/npm (needs node
#                               and npm; dependencies installed with `npm ci`); 0 skips them.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
REQUIREMENTS="$SCRIPT_DIR/requirements.txt"
VENV="$REPO_ROOT/.venv-e2e"
PYTHON="${PYTHON:-python3}"
BACKENDS="${SCHEMATA_E2E_BACKENDS:-sqlite postgres}"
NPM_DIR="$SCRIPT_DIR/npm"
RUN_NPM="${SCHEMATA_E2E_NPM:-1}"
# Anything but 0 or 1 is a mistake (`true`, `yes`, `off`...): refuse it rather than skip the
# Node tests silently.
if [[ "$RUN_NPM" != 0 && "$RUN_NPM" != 1 ]]; then
    echo "e2e: SCHEMATA_E2E_NPM must be 0 or 1, not '$RUN_NPM'" >&2
    exit 2
fi

if [[ $# -ge 1 && "$1" != -* ]]; then
    BIN="$1"
    shift
else
    BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/schemata"
fi
PYTEST_ARGS=("$@")
if [[ "$BIN" != /* ]]; then
    # Relative paths: as given from the caller's directory, else from the repo root.
    if [[ -e "$PWD/$BIN" ]]; then BIN="$PWD/$BIN"; else BIN="$REPO_ROOT/$BIN"; fi
fi
if [[ ! -x "$BIN" ]]; then
    echo "e2e: schemata binary not found or not executable: $BIN" >&2
    echo "e2e: build it with: cargo build --bin schemata" >&2
    exit 2
fi

log() { echo "e2e: $*" >&2; }

# ---------------------------------------------------------------- virtualenv
setup_venv() {
    local stamp="$VENV/.requirements.sha256" want
    want="$( { cat "$REQUIREMENTS"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "installing Python dependencies into $VENV"
    if [[ ! -x "$VENV/bin/python" ]]; then
        "$PYTHON" -m venv "$VENV"
    fi
    # Keep the virtualenv out of git without touching the repository's .gitignore.
    echo '*' > "$VENV/.gitignore"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
    echo "$want" > "$stamp"
}
setup_venv

# ---------------------------------------------------------------- npm packages
# `npm ci` from the committed package-lock.json into tests/e2e/npm/node_modules (ignored by
# git), again only when the lock file changes. Install scripts are not run: none is needed.
setup_npm() {
    local stamp="$NPM_DIR/node_modules/.package-lock.sha256" want
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        log "node/npm not found (set SCHEMATA_E2E_NPM=0 to skip the Node tests)"
        return 1
    fi
    want="$( { cat "$NPM_DIR/package-lock.json"; node --version; } | sha256sum | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return 0
    fi
    log "installing npm dependencies into $NPM_DIR/node_modules"
    (cd "$NPM_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) || return 1
    echo "$want" > "$stamp"
}
if [[ "$RUN_NPM" == 1 ]]; then
    setup_npm || exit 2
fi

# ---------------------------------------------------------------- state and cleanup
WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/schemata-e2e.XXXXXX")"
SERVER_PID=""
PG_DB=""

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
        SCHEMATA_LOG="${SCHEMATA_LOG:-info}" "$BIN" serve --database-url "$db_url" \
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

# run_backend NAME DATABASE_URL -> non-zero if pytest or the Node tests failed
run_backend() {
    local name="$1" db_url="$2" rc=0
    start_server "$name" "$db_url" || return 1
    log "$name: running pytest"
    (
        cd "$SCRIPT_DIR"
        SCHEMATA_URL="$SCHEMATA_URL" SCHEMATA_BIN="$BIN" "$VENV/bin/python" -m pytest -c "$SCRIPT_DIR/pytest.ini" \
            -p no:cacheprovider -v --ignore="$NPM_DIR" "$SCRIPT_DIR" \
            ${PYTEST_ARGS[@]+"${PYTEST_ARGS[@]}"}
    ) || rc=$?
    if [[ "$RUN_NPM" == 1 ]]; then
        log "$name: running Node tests (tests/e2e/npm)"
        (
            cd "$NPM_DIR"
            SCHEMATA_URL="$SCHEMATA_URL" node --test --test-reporter=spec
        ) || rc=$?
    fi
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
            run_backend sqlite "sqlite://$WORK_DIR/e2e.db" || rc=$?
            ;;
        postgres)
            parse_pg_url
            if ! command -v psql >/dev/null 2>&1; then
                log "postgres: psql not found (apt-get install postgresql-client)"
                rc=1
            else
                PG_DB="schemata_e2e_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
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
    RESULT[$backend]=$rc
    [[ $rc -eq 0 ]] || overall=1
done

echo
for backend in $BACKENDS; do
    if [[ "${RESULT[$backend]}" -eq 0 ]]; then
        echo "e2e $backend: OK"
    else
        echo "e2e $backend: FAILED (exit ${RESULT[$backend]})"
    fi
done
exit "$overall"
