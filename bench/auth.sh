#!/usr/bin/env bash
# GET /schemas/ids/{id} on Schemata (SQLite, warm cache) with authentication on vs the same
# server without authentication. SCHEME=basic (the default): HTTP basic authentication, one
# user, an argon2id line from `schemata passwd`, default parameters; SCHEME=bearer: a bearer
# token (an RS256 JWT the script signs with openssl, its key in a --jwks file). Every request
# carries the credentials; a verified password or token is remembered (docs/rest-api.md §10),
# so argon2 or the signature check runs once per client and not per request.
# Prints req/s of each and the ratio (target >= 0.8).
#
# Environment: SCHEME (basic), DURATION (15s), WARMUP (3s), CONNECTIONS (32), THREADS (2), ROUNDS (5; the two
# servers are measured alternately, the headline ratio being the median of the per-round
# ratios), PIN (1: both servers pinned to CPU 0 and wrk to CPU 1; 0: no pinning),
# SKIP_BUILD (1: use $SCHEMATA_BIN as it is, e.g. SCHEMATA_BIN=target/debug/schemata for a
# quick check that the script runs; the ratio only means something for a release build).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init

DURATION="${DURATION:-15s}" WARMUP="${WARMUP:-3s}" CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}" ROUNDS="${ROUNDS:-5}" PIN="${PIN:-1}" SCHEME="${SCHEME:-basic}"
[[ "$SCHEME" == basic || "$SCHEME" == bearer ]] || die "SCHEME must be basic or bearer"
need wrk
need curl
need jq
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    log "cargo build --release --bin schemata (target dir $TARGET_DIR)"
    (cd "$REPO_DIR" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release --quiet --bin schemata) ||
        die "release build failed"
fi
[[ -x "$SCHEMATA_BIN" ]] || die "missing $SCHEMATA_BIN"

if [[ "$PIN" == 1 && "$(nproc)" -ge 2 ]]; then
    SERVER_PIN=(taskset -c 0) WRK_PIN=(taskset -c 1) PINNING="servers on CPU 0, wrk on CPU 1"
else
    SERVER_PIN=() WRK_PIN=() PINNING="none"
fi

# 1. The credentials: for basic, the users file with one user (the line `schemata passwd`
# prints); for bearer, an RSA key, its JWKS, and a token signed with it valid for a day.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
if [[ "$SCHEME" == basic ]]; then
    PASSWORD="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    printf '%s\n' "$PASSWORD" | "$SCHEMATA_BIN" passwd bench >"$WORK_DIR/users.txt" || die "schemata passwd failed"
    grep -q '^bench: \$argon2id\$' "$WORK_DIR/users.txt" || die "no argon2id line from schemata passwd"
    CREDENTIALS=(-u "bench:$PASSWORD")
    AUTH_HEADER="Authorization: Basic $(printf '%s' "bench:$PASSWORD" | base64 -w0)"
    AUTH_FLAGS=(--basic-auth-file "$WORK_DIR/users.txt")
else
    need openssl
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK_DIR/key.pem" 2>/dev/null
    N="$(openssl rsa -in "$WORK_DIR/key.pem" -noout -modulus | cut -d= -f2 | xxd -r -p | b64url)"
    jq -n --arg n "$N" '{keys: [{kty: "RSA", kid: "bench", alg: "RS256", use: "sig", n: $n, e: "AQAB"}]}' \
        >"$WORK_DIR/jwks.json"
    HEADER="$(printf '{"alg":"RS256","kid":"bench","typ":"JWT"}' | b64url)"
    CLAIMS="$(jq -cn --argjson exp "$(($(date +%s) + 86400))" \
        '{iss: "bench", aud: "registry", sub: "bench", exp: $exp}' | b64url)"
    SIGNATURE="$(printf '%s' "$HEADER.$CLAIMS" | openssl dgst -sha256 -sign "$WORK_DIR/key.pem" | b64url)"
    TOKEN="$HEADER.$CLAIMS.$SIGNATURE"
    CREDENTIALS=(-H "Authorization: Bearer $TOKEN")
    AUTH_HEADER="Authorization: Bearer $TOKEN"
    AUTH_FLAGS=(--jwks "$WORK_DIR/jwks.json" --jwt-issuer bench --jwt-audience registry)
fi

# 2. Two servers on fresh SQLite files, the same schema registered on each.
# (Not in a command substitution: start_bg's clean-up hook must be registered in this shell.)
start_server() { # NAME PORT [extra serve flags...]
    local name="$1" port="$2"
    shift 2
    start_bg "$name" "$WORK_DIR/$name.log" "${SERVER_PIN[@]}" "$SCHEMATA_BIN" serve \
        --database-url "sqlite://$WORK_DIR/$name.db" --listen "127.0.0.1:$port" "$@"
    wait_http_ok "http://127.0.0.1:$port/health" || { cat "$WORK_DIR/$name.log" >&2; die "$name did not start"; }
}
P_PORT="$(free_port)"
start_server PLAIN "$P_PORT"
A_PORT="$(free_port)"
start_server AUTH "$A_PORT" "${AUTH_FLAGS[@]}"
jq -n --rawfile s "$BENCH_DIR/order.avsc" '{schema: $s}' >"$WORK_DIR/register.json"
register() { # PORT [curl flags...] → prints the id
    local port="$1"
    shift
    curl -sf "$@" -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
        --data @"$WORK_DIR/register.json" \
        "http://127.0.0.1:$port/subjects/orders-value/versions" | jq -r .id
}
P_ID="$(register "$P_PORT")"
A_ID="$(register "$A_PORT" "${CREDENTIALS[@]}")"
[[ "$P_ID" =~ ^[0-9]+$ && "$A_ID" == "$P_ID" ]] || die "registration failed ($P_ID, $A_ID)"
P_URL="http://127.0.0.1:$P_PORT/schemas/ids/$P_ID"
A_URL="http://127.0.0.1:$A_PORT/schemas/ids/$A_ID"

# 3. Same answer from both (this also warms the caches); the one with auth refuses without.
curl -sf -o "$WORK_DIR/p_body" "$P_URL" || die "GET $P_URL failed"
curl -sf -H "$AUTH_HEADER" -o "$WORK_DIR/a_body" "$A_URL" || die "GET $A_URL with credentials failed"
cmp -s "$WORK_DIR/p_body" "$WORK_DIR/a_body" || die "the two servers answer differently"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$A_URL")" == 401 ]] || die "no 401 without credentials"
log "schema id $P_ID, response $(wc -c <"$WORK_DIR/p_body") bytes"

# 4. Alternate the two servers, warm-up then measurement each time.
run_wrk() { # NAME URL ROUND [wrk flags...]
    local name="$1" url="$2" round="$3" out="$WORK_DIR/wrk-$1-$3.txt"
    shift 3
    "${WRK_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" >/dev/null
    "${WRK_PIN[@]}" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url" >"$out"
    if grep -q 'Non-2xx\|Socket errors' "$out"; then cat "$out" >&2; die "$name: errors during the run"; fi
    log "round $round $name: $(wrk_rps "$out") req/s, p50 $(awk '$1=="50%" {print $2}' "$out"), p99 $(awk '$1=="99%" {print $2}' "$out")"
    wrk_rps "$out" >>"$WORK_DIR/rps-$name"
}
log "wrk -t$THREADS -c$CONNECTIONS, warm-up $WARMUP + $DURATION per run, $ROUNDS rounds, pinning: $PINNING"
for ((r = 1; r <= ROUNDS; r++)); do
    # Alternate which server goes first, so neither always follows the other's run.
    if ((r % 2)); then
        run_wrk no_auth "$P_URL" "$r"; run_wrk "${SCHEME}_auth" "$A_URL" "$r" -H "$AUTH_HEADER"
    else
        run_wrk "${SCHEME}_auth" "$A_URL" "$r" -H "$AUTH_HEADER"; run_wrk no_auth "$P_URL" "$r"
    fi
    ratio "$(tail -n1 "$WORK_DIR/rps-${SCHEME}_auth")" "$(tail -n1 "$WORK_DIR/rps-no_auth")" >>"$WORK_DIR/ratios"
done

P_RPS="$(median <"$WORK_DIR/rps-no_auth")"
A_RPS="$(median <"$WORK_DIR/rps-${SCHEME}_auth")"
R="$(median <"$WORK_DIR/ratios")"
MET="$(awk -v r="$R" 'BEGIN { print (r >= 0.8) ? "MET" : "MISSED" }')"
echo "auth: no_auth    rounds: $(paste -sd' ' "$WORK_DIR/rps-no_auth")"
echo "auth: ${SCHEME}_auth rounds: $(paste -sd' ' "$WORK_DIR/rps-${SCHEME}_auth")"
echo "auth: per-round ratios: $(paste -sd' ' "$WORK_DIR/ratios")"
echo "auth: no_auth ${P_RPS} req/s, ${SCHEME}_auth ${A_RPS} req/s (medians), ratio ${R} (median of per-round ratios; target >= 0.8: ${MET})"
