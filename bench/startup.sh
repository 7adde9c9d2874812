#!/usr/bin/env bash
# Startup time (process start -> GET /health answers 200) with 10 vs 100,000 schemas stored,
# on PostgreSQL and on SQLite. Prints the median of REPEAT runs per case and the 100k/10 ratio
# (target: the same within noise). Judged MET when the difference of the wall-clock medians is
# within the noise of the runs themselves (at most the larger interquartile range of the two
# cases) or the ratio is at most 1.25. The server's own CPU time per start is reported too:
# it is insensitive to the machine's other load.
#
# Population is direct SQL into `schemas` and `subject_versions` (columns as in
# migrations/*/0001_init.sql) after one start on the empty database has applied the
# migrations: N distinct Avro records, subjects "subject-<k>" with 10 versions each; the id
# counter is moved past N. Hashes and guids are synthetic but unique (startup does not read them).
#
# Environment: SMALL (10), LARGE (100000), REPEAT (15; the four cases are measured in turn
# within each repetition, so machine noise spreads evenly).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

SMALL="${SMALL:-10}" LARGE="${LARGE:-100000}" REPEAT="${REPEAT:-15}"
need curl
need sqlite3
need python3
pg_setup
build_release

SUFFIX="$$"
CASES=()
declare -A URL COUNT
for n in "$SMALL" "$LARGE"; do
    f="$WORK_DIR/startup-$n.db"
    URL["sqlite-$n"]="sqlite://$f"
    db="bench_startup_${n}_$SUFFIX"
    pg_create_db "$db"
    URL["postgres-$n"]="$(pg_url "$db")"
    for backend in postgres sqlite; do
        c="$backend-$n"
        CASES+=("$c")
        COUNT[$c]="$n"
        migrate_once "${URL[$c]}"
        t0="$(date +%s.%N)"
        if [[ "$backend" == sqlite ]]; then populate_sqlite "$f" "$n"; else populate_pg "$db" "$n"; fi
        log "$c: populated in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
    done
done

for ((r = 1; r <= REPEAT; r++)); do
    for c in "${CASES[@]}"; do
        port="$(free_port)"
        out="$(SCHEMATA_DATABASE_URL="${URL[$c]}" python3 "$BENCH_DIR/startup_probe.py" \
            "127.0.0.1:$port" "$WORK_DIR/$c.log" "$SCHEMATA_BIN" serve --listen "127.0.0.1:$port")" ||
            { cat "$WORK_DIR/$c.log" >&2; die "$c: start failed"; }
        echo "${out% *}" >>"$WORK_DIR/ms-$c"
        echo "${out#* }" >>"$WORK_DIR/cpu-$c"
    done
    log "repetition $r: $(for c in "${CASES[@]}"; do printf '%s=%sms(cpu %s) ' "$c" "$(tail -n1 "$WORK_DIR/ms-$c")" "$(tail -n1 "$WORK_DIR/cpu-$c")"; done)"
done

# Sanity: the stored schemas are really served (the last id of the large case).
for backend in postgres sqlite; do
    c="$backend-$LARGE"
    port="$(free_port)"
    start_bg CHECK "$WORK_DIR/check.log" env SCHEMATA_DATABASE_URL="${URL[$c]}" "$SCHEMATA_BIN" serve --listen "127.0.0.1:$port"
    wait_http_ok "http://127.0.0.1:$port/health" || die "$c: sanity start failed"
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/schemas/ids/$LARGE")"
    subjects="$(curl -s "http://127.0.0.1:$port/subjects" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    stop_pid "$CHECK_PID"
    [[ "$code" == 200 && "$subjects" == $((LARGE / 10)) ]] || die "$c: GET /schemas/ids/$LARGE -> $code, $subjects subjects"
done

# quartile Q FILE: the Q-th quartile (1 or 3) of the numbers in FILE
quartile() { sort -g "$2" | awk -v q="$1" '{a[NR]=$1} END {i=int((NR-1)*q/4)+1; print a[i]}'; }
for backend in postgres sqlite; do
    s_file="$WORK_DIR/ms-$backend-$SMALL" l_file="$WORK_DIR/ms-$backend-$LARGE"
    small="$(median <"$s_file")" large="$(median <"$l_file")"
    s_iqr="$(awk -v a="$(quartile 1 "$s_file")" -v b="$(quartile 3 "$s_file")" 'BEGIN {print b - a}')"
    l_iqr="$(awk -v a="$(quartile 1 "$l_file")" -v b="$(quartile 3 "$l_file")" 'BEGIN {print b - a}')"
    s_cpu="$(median <"$WORK_DIR/cpu-$backend-$SMALL")" l_cpu="$(median <"$WORK_DIR/cpu-$backend-$LARGE")"
    r="$(ratio "$large" "$small")"
    met="$(awk -v s="$small" -v l="$large" -v i1="$s_iqr" -v i2="$l_iqr" -v r="$r" \
        'BEGIN { d = l - s; if (d < 0) d = -d; n = (i1 > i2) ? i1 : i2; print (d <= n || r <= 1.25) ? "MET" : "MISSED" }')"
    echo "startup: $backend wall ms ($SMALL schemas): $(paste -sd' ' "$s_file")"
    echo "startup: $backend wall ms ($LARGE schemas): $(paste -sd' ' "$l_file")"
    echo "startup: $backend server CPU ms ($SMALL / $LARGE schemas): $(paste -sd' ' "$WORK_DIR/cpu-$backend-$SMALL") / $(paste -sd' ' "$WORK_DIR/cpu-$backend-$LARGE")"
    echo "startup: $backend median ${small} ms (IQR ${s_iqr}) with $SMALL schemas, ${large} ms (IQR ${l_iqr}) with $LARGE schemas, ratio ${r}; server CPU median ${s_cpu} vs ${l_cpu} ms, ratio $(ratio "$l_cpu" "$s_cpu") (target: same within noise: ${met})"
done
