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
# Server start/stop, databases and the loop over the backends: tests/lib/servers.sh.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib/servers.sh
source "$REPO_ROOT/tests/lib/servers.sh"
SUITE=schemathesis
SUITE_TAG=st
SERVER_LOG_FILTER=warn
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
    resolve_bin "$1"
else
    resolve_bin "${CARGO_TARGET_DIR:-$REPO_ROOT/target}/debug/schemata"
fi

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

make_work_dir

# ---------------------------------------------------------------- runs
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
    end_server "$name" || rc=1
    return "$rc"
}

# judge_backend NAME, called by run_backends once NAME's run succeeded: each backend is judged
# on its own, so the summary says which one failed.
judge_backend() {
    log "$1: checking the failures against $BASELINE"
    "$VENV/bin/python" "$SCRIPT_DIR/check.py" "$BASELINE" "$WORK_DIR/$1.ndjson"
}

run_backends
exit "$OVERALL"
