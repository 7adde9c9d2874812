#!/usr/bin/env bash
# Listing latency with SMALL (10) vs LARGE (100,000) schemas stored, on PostgreSQL and on
# SQLite (issue 15, defect 2: a listing's cost must follow its page, not the registry).
# Prints, per backend and endpoint, the median latency at both sizes and the LARGE/SMALL
# ratio (target: about 1; judged MET at most 2).
#
# Population is direct SQL (columns as in migrations/*/0001_init.sql) after `schemata
# migrate` has created the tables, N schemas in the default context:
#   id 1        `"string"`, the key schema of every topic: subject `topic-<k>-key` v1
#   id 2        record `com.example.Common`: subject `common` v1
#   ids 3..N    records referencing `common` v1: subject `topic-<k>-value` v1 (k = id - 2)
# so id 1 is used by N-2 versions and `common` v1 is referenced by N-2 schemas.
#
# Endpoints measured (each over one kept-alive connection, after a warm-up):
#   GET /schemas?limit=10
#   GET /subjects?limit=10
#   GET /schemas/ids/1/versions?limit=10            an id shared by every key subject
#   GET /schemas/ids/3/versions                     an id used once (unpaged, as clients ask)
#   GET /subjects/common/versions/1/referencedby?limit=10
#
# Environment: SMALL (10), LARGE (100000), ROUNDS (5; the cases are measured in turn within
# each round, so machine noise spreads evenly), REQUESTS (200 per endpoint, case and round),
# SCHEMATA_BIN (default: the release build in $CARGO_TARGET_DIR, built unless SKIP_BUILD=1;
# point it at target/debug/schemata with small sizes to check the script itself).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

SMALL="${SMALL:-10}" LARGE="${LARGE:-100000}" ROUNDS="${ROUNDS:-5}" REQUESTS="${REQUESTS:-200}"
((SMALL >= 3 && LARGE >= SMALL)) || die "need 3 <= SMALL <= LARGE"
need curl
need sqlite3
need python3
pg_setup
if [[ "${SKIP_BUILD:-0}" != 1 && "$SCHEMATA_BIN" == "$TARGET_DIR/release/schemata" ]]; then
    log "cargo build --release --bin schemata (target dir $TARGET_DIR)"
    (cd "$REPO_DIR" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release --quiet --bin schemata) ||
        die "release build failed"
fi
[[ -x "$SCHEMATA_BIN" ]] || die "missing $SCHEMATA_BIN"
log "server: $SCHEMATA_BIN"

SUFFIX="$$"
ENDPOINTS=(
    "/schemas?limit=10"
    "/subjects?limit=10"
    "/schemas/ids/1/versions?limit=10"
    "/schemas/ids/3/versions"
    "/subjects/common/versions/1/referencedby?limit=10"
)
COMMON_TEXT='{"type":"record","name":"Common","namespace":"com.example","fields":[{"name":"id","type":"long"}]}'
VALUE_TEXT_SQL="'{\"type\":\"record\",\"name\":\"Value' || i || '\",\"namespace\":\"com.example.listing\",\"fields\":[{\"name\":\"common\",\"type\":\"com.example.Common\"},{\"name\":\"f' || i || '\",\"type\":\"string\"}]}'"
REFS='[{"name":"com.example.Common","subject":"common","version":1}]'

migrate() { # DATABASE_URL
    SCHEMATA_DATABASE_URL="$1" "$SCHEMATA_BIN" migrate >"$WORK_DIR/migrate.log" 2>&1 ||
        { cat "$WORK_DIR/migrate.log" >&2; die "migrate failed for $1"; }
}

populate_sqlite() { # FILE N
    sqlite3 "$1" <<SQL >/dev/null || die "cannot populate $1"
PRAGMA journal_mode = WAL;
BEGIN;
INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at)
VALUES ('.', 1, printf('%064x', 1), 'AVRO', '"string"', '[]', NULL, NULL, printf('00000000-0000-4000-8000-%012x', 1), 0),
       ('.', 2, printf('%064x', 2), 'AVRO', '$COMMON_TEXT', '[]', NULL, NULL, printf('00000000-0000-4000-8000-%012x', 2), 0);
INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at)
VALUES ('.', 'common', 1, 2, 0, 0);
WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at)
SELECT '.', i, printf('%064x', i), 'AVRO', $VALUE_TEXT_SQL, '$REFS', NULL, NULL,
       printf('00000000-0000-4000-8000-%012x', i), 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at)
SELECT '.', printf('topic-%06d-value', i - 2), 1, i, 0, 0 FROM n
UNION ALL SELECT '.', printf('topic-%06d-key', i - 2), 1, 1, 0, 0 FROM n;
WITH RECURSIVE n(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO schema_references (context, schema_id, ref_context, ref_subject, ref_version)
SELECT '.', i, '.', 'common', 1 FROM n;
UPDATE contexts SET next_schema_id = $2 + 1 WHERE name = '.';
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
ANALYZE;
SQL
}

populate_pg() { # DB N
    psql -X -q -v ON_ERROR_STOP=1 -d "$1" <<SQL >/dev/null || die "cannot populate $1"
BEGIN;
INSERT INTO schemas (context, id, hash, schema_type, schema_text, refs, metadata, rule_set, guid, created_at)
SELECT '.', i, encode(sha256(convert_to(t, 'UTF8')), 'hex'), 'AVRO', t, r, NULL, NULL, md5(t)::uuid::text, 0
FROM (SELECT 1 AS i, '"string"' AS t, '[]' AS r
      UNION ALL SELECT 2, '$COMMON_TEXT', '[]'
      UNION ALL SELECT i, $VALUE_TEXT_SQL, '$REFS' FROM generate_series(3, $2) AS i) s;
INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at)
SELECT '.', 'common', 1, 2, 0, 0
UNION ALL SELECT '.', format('topic-%s-value', lpad((i - 2)::text, 6, '0')), 1, i, 0, 0 FROM generate_series(3, $2) AS i
UNION ALL SELECT '.', format('topic-%s-key', lpad((i - 2)::text, 6, '0')), 1, 1, 0, 0 FROM generate_series(3, $2) AS i;
INSERT INTO schema_references (context, schema_id, ref_context, ref_subject, ref_version)
SELECT '.', i, '.', 'common', 1 FROM generate_series(3, $2) AS i;
SELECT setval('schema_id_seq_default', $2);
COMMIT;
VACUUM ANALYZE schemas, subject_versions, schema_references;
SQL
}

# latency PORT ROUND: for each endpoint, REQUESTS GETs over one kept-alive connection after
# 20 unmeasured ones; one line per endpoint: "<index> <median ms>".
latency() {
    python3 - "$1" "$REQUESTS" "${ENDPOINTS[@]}" <<'PY'
import http.client, statistics, sys, time
port, requests, paths = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
conn = http.client.HTTPConnection("127.0.0.1", port)
for index, path in enumerate(paths):
    samples = []
    for n in range(20 + requests):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            sys.exit(f"GET {path} -> {response.status} {body[:200]!r}")
        if n >= 20:
            samples.append(elapsed * 1000)
    print(index, f"{statistics.median(samples):.4f}")
PY
}

CASES=()
declare -A URL PORT
for n in "$SMALL" "$LARGE"; do
    f="$WORK_DIR/listing-$n.db"
    URL["sqlite-$n"]="sqlite://$f"
    db="bench_listing_${n}_$SUFFIX"
    pg_create_db "$db"
    URL["postgres-$n"]="$(pg_url "$db")"
    for backend in postgres sqlite; do
        c="$backend-$n"
        CASES+=("$c")
        migrate "${URL[$c]}"
        t0="$(date +%s.%N)"
        if [[ "$backend" == sqlite ]]; then populate_sqlite "$f" "$n"; else populate_pg "$db" "$n"; fi
        log "$c: populated in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s"
        PORT[$c]="$(free_port)"
        start_bg SERVER "$WORK_DIR/$c.log" env SCHEMATA_DATABASE_URL="${URL[$c]}" \
            "$SCHEMATA_BIN" serve --listen "127.0.0.1:${PORT[$c]}"
        wait_http_ok "http://127.0.0.1:${PORT[$c]}/health" || { cat "$WORK_DIR/$c.log" >&2; die "$c: server did not start"; }
    done
done

# Sanity: each listing answers its page (10 entries where the size allows).
for c in "${CASES[@]}"; do
    base="http://127.0.0.1:${PORT[$c]}"
    n="${c##*-}"
    want=$((n - 2 < 10 ? n - 2 : 10))
    got="$(curl -s "$base/subjects/common/versions/1/referencedby?limit=10" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    [[ "$got" == "$want" ]] || die "$c: referencedby answered $got ids, expected $want"
    got="$(curl -s "$base/schemas/ids/1/versions?limit=10" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    [[ "$got" == "$want" ]] || die "$c: /schemas/ids/1/versions answered $got pairs, expected $want"
    want=$((2 * n - 3 < 10 ? 2 * n - 3 : 10))
    got="$(curl -s "$base/subjects?limit=10" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    [[ "$got" == "$want" ]] || die "$c: /subjects?limit=10 answered $got names, expected $want"
done

for ((r = 1; r <= ROUNDS; r++)); do
    for c in "${CASES[@]}"; do
        latency "${PORT[$c]}" | while read -r index ms; do
            echo "$ms" >>"$WORK_DIR/ms-$c-$index"
        done
    done
    log "round $r done"
done

for backend in postgres sqlite; do
    for index in "${!ENDPOINTS[@]}"; do
        small="$(median <"$WORK_DIR/ms-$backend-$SMALL-$index")"
        large="$(median <"$WORK_DIR/ms-$backend-$LARGE-$index")"
        r="$(ratio "$large" "$small")"
        met="$(awk -v r="$r" 'BEGIN { print (r <= 2) ? "MET" : "MISSED" }')"
        echo "listing: $backend GET ${ENDPOINTS[$index]}: median ${small} ms with $SMALL schemas, ${large} ms with $LARGE schemas, ratio ${r} (target: about 1, at most 2: ${met})"
    done
done
