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
# Server start/stop, databases and the loop over the backends: tests/lib/servers.sh.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib/servers.sh
source "$REPO_ROOT/tests/lib/servers.sh"
SUITE=e2e
SUITE_TAG=e2e
SERVER_LOG_FILTER=info
REQUIREMENTS="$SCRIPT_DIR/requirements.txt"
VENV="$REPO_ROOT/.venv-e2e"
PYTHON="${PYTHON:-python3}"
BACKENDS="${SCHEMATA_E2E_BACKENDS:-sqlite postgres}"
NPM_DIR="$SCRIPT_DIR/npm"
RUN_NPM="${SCHEMATA_E2E_NPM:-1}"
# Anything but 0 or 1 is a mistake (`true`, `yes`, `off`...): refuse it rather than skip the
# Node tests silently.
if [[ "$RUN_NPM" != 0 && "$RUN_NPM" != 1 ]]; then
    log "SCHEMATA_E2E_NPM must be 0 or 1, not '$RUN_NPM'"
    exit 2
fi

if [[ $# -ge 1 && "$1" != -* ]]; then
    resolve_bin "$1"
    shift
else
    resolve_bin "${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/schemata"
fi
PYTEST_ARGS=("$@")

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

make_work_dir

# ---------------------------------------------------------------- runs
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
    end_server "$name" || rc=1
    return "$rc"
}

run_backends
exit "$OVERALL"
