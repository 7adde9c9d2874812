# Shared helpers for the bench scripts (sourced, not run).
# Every script: `set -euo pipefail`, sources this, calls `bench_init`, and registers its
# own clean-up with `on_exit "command"` (servers are killed and databases dropped on exit).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_DIR/target}"
SCHEMATA_BIN="${SCHEMATA_BIN:-$TARGET_DIR/release/schemata}"
BARE_AXUM_BIN="${BARE_AXUM_BIN:-$TARGET_DIR/release/examples/bare_axum}"
REGISTER_LOAD_BIN="${REGISTER_LOAD_BIN:-$TARGET_DIR/release/examples/register_load}"

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
            --bin schemata --example bare_axum --example register_load) || die "release build failed"
    fi
    [[ -x "$SCHEMATA_BIN" ]] || die "missing $SCHEMATA_BIN"
    [[ -x "$BARE_AXUM_BIN" ]] || die "missing $BARE_AXUM_BIN"
    [[ -x "$REGISTER_LOAD_BIN" ]] || die "missing $REGISTER_LOAD_BIN"
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
    # Schemata's sqlx is built without TLS, so it talks to PostgreSQL in plaintext; libpq
    # (pgbench, psql) would negotiate TLS with a server that has ssl=on (Debian's default)
    # and pay for encryption that the server under test does not. Same transport for both.
    export PGSSLMODE=disable
}

# pg_create_db NAME: a fresh database owned by schemata, dropped on exit.
pg_create_db() {
    local db="$1"
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null
    psql -X -q -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null || die "cannot create database $db"
    on_exit "psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)'"
}

pg_url() { echo "postgres://schemata:schemata@127.0.0.1:5432/$1"; }

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) exit 1; if (NR%2) print a[(NR+1)/2]; else printf "%.6g\n", (a[NR/2]+a[NR/2+1])/2}'; }

# ratio A B → A/B with 3 decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a / b }'; }

# cpu_ticks PID → user + system CPU of a running process, in clock ticks (1/100 s)
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# wrk_rps FILE → the Requests/sec figure of a wrk report
wrk_rps() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
