#!/usr/bin/env bash
# The cost of SQLite's default durability (issue 15 #8, README `--sqlite-synchronous`):
# registrations per second of new schemas with `--sqlite-synchronous full` (the default:
# every commit waits for the disk) against `normal` (faster; the last acknowledged
# registrations can be lost on a power loss), each on a fresh file in the same directory,
# measured alternately. Prints both rates (medians) and their ratio.
#
# Environment: DURATION (10, seconds), CONNECTIONS (32), ROUNDS (3), DIR (the directory for
# the database files; default a temporary directory, so on the disk of /tmp).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

DURATION="${DURATION:-10}" CONNECTIONS="${CONNECTIONS:-32}" ROUNDS="${ROUNDS:-3}"
DIR="${DIR:-$WORK_DIR}"
need curl
build_release
log "database files in $DIR ($(df -h "$DIR" | awk 'NR==2 {print $1}'))"

run() { # MODE ROUND
    local mode="$1" round="$2" port db
    port="$(free_port)"
    db="$DIR/durability-$mode-$round.db"
    rm -f "$db" "$db-wal" "$db-shm"
    start_bg SERVER "$WORK_DIR/server-$mode-$round.log" "$SCHEMATA_BIN" serve \
        --database-url "sqlite://$db" --listen "127.0.0.1:$port" --sqlite-synchronous "$mode"
    wait_http_ok "http://127.0.0.1:$port/health" || die "schemata did not start"
    "$REGISTER_LOAD_BIN" "127.0.0.1:$port" "r$round$mode" "$DURATION" "$CONNECTIONS" >"$WORK_DIR/load-$mode-$round.txt"
    stop_pid "$SERVER_PID"
    rm -f "$db" "$db-wal" "$db-shm"
    if ! grep -q '^NON200 0$' "$WORK_DIR/load-$mode-$round.txt"; then
        cat "$WORK_DIR/load-$mode-$round.txt" >&2; die "$mode: failed registrations"
    fi
    local rps
    rps="$(awk '$1 == "RPS" {print $2}' "$WORK_DIR/load-$mode-$round.txt")"
    log "round $round $mode: $rps registrations/s"
    echo "$rps" >>"$WORK_DIR/rps-$mode"
}
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2)); then run full "$r"; run normal "$r"; else run normal "$r"; run full "$r"; fi
done
FULL="$(median <"$WORK_DIR/rps-full")"
NORMAL="$(median <"$WORK_DIR/rps-normal")"
echo "sqlite_durability: full rounds: $(paste -sd' ' "$WORK_DIR/rps-full")"
echo "sqlite_durability: normal rounds: $(paste -sd' ' "$WORK_DIR/rps-normal")"
echo "sqlite_durability: full ${FULL}/s, normal ${NORMAL}/s (medians), full/normal $(ratio "$FULL" "$NORMAL")"
