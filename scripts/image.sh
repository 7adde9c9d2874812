#!/usr/bin/env bash
# Builds the container image with podman and runs it, by hand (not in CI: it takes minutes);
# docs/container.md explains the image and what this script checks.
#
# Usage: scripts/image.sh [--no-compose] [--keep]
#
#   1. installs podman (and what it needs here) with apt-get when it is missing;
#   2. base images: the Dockerfile's public ones when they can be pulled, else made here: a
#      Debian bookworm from the mirror apt uses (debootstrap), and a Rust builder on it with
#      this machine's toolchain (scripts/image/rust.Containerfile);
#   3. builds the image from the Dockerfile, in the Docker format (the OCI format has no
#      HEALTHCHECK);
#   4. runs it with a named volume and checks /health, a registration read back, the
#      container's health, JSON logs, the non-root user, and the data surviving a restart;
#   5. runs compose.yaml with podman-compose (PostgreSQL, two instances, HAProxy on one port)
#      and checks that both instances answer, share the database and that one port keeps
#      answering with one instance stopped;
#   6. removes what it started (unless --keep) and prints a summary.
#
# Environment: IMAGE (localhost/schemata:dev), WORK (/var/tmp/schemata-image: the base
# images' root file system, podman-compose's virtualenv), PORT (18081) and COMPOSE_PORT
# (18082) on 127.0.0.1, BASES (auto | public | local), RUST_TOOLCHAIN (1.95.0, for local
# bases), DEBIAN_MIRROR (default: the first Debian URI in apt's sources).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/schemata:dev}
WORK=${WORK:-/var/tmp/schemata-image}
PORT=${PORT:-18081}
COMPOSE_PORT=${COMPOSE_PORT:-18082}
BASES=${BASES:-auto}
RUST_TOOLCHAIN=${RUST_TOOLCHAIN:-1.95.0}
PUBLIC_BUILDER=docker.io/library/rust:1.95-slim-bookworm
PUBLIC_RUNTIME=docker.io/library/debian:bookworm-slim
LOCAL_RUNTIME=localhost/debian:bookworm-slim
LOCAL_BUILDER=localhost/rust:1.95-slim-bookworm
LOCAL_POSTGRES=localhost/postgres:15-bookworm
LOCAL_HAPROXY=localhost/haproxy:bookworm
CONTAINER=schemata-image-check
VOLUME=schemata-image-check-data
PROJECT=schemata-image-check

compose=true
keep=false
for argument in "$@"; do
    case "$argument" in
        --no-compose) compose=false ;;
        --keep) keep=true ;;
        -h | --help)
            sed -n '2,24p' "$0"
            exit 0
            ;;
        *)
            echo "image: unknown argument $argument (see --help)" >&2
            exit 2
            ;;
    esac
done

started=$SECONDS
trap 'echo "image: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR
summary=()
say() { echo "image: $* (at $((SECONDS - started)) s)"; }
note() {
    summary+=("$*")
    echo "image: $*"
}
fail() {
    echo "image: FAILED: $*" >&2
    exit 1
}

# --- 1. tools -----------------------------------------------------------------------------

install_packages() {
    say "installing $* with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v podman >/dev/null 2>&1 || install_packages podman
command -v curl >/dev/null 2>&1 || install_packages curl
mkdir -p "$WORK"
say "$(podman --version)"

# --- 2. base images -----------------------------------------------------------------------

# The Debian mirror apt uses here (deb822 sources or the one-line format).
debian_mirror() {
    if [ -n "${DEBIAN_MIRROR:-}" ]; then
        echo "$DEBIAN_MIRROR"
        return
    fi
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '/^URIs:/ && $2 ~ /debian\/?$/ { print $2; exit }')
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '$1 == "deb" && $2 ~ /debian\/?$/ { print $2; exit }')
    fi
    [ -n "$uri" ] || fail "no Debian mirror in apt's sources: set DEBIAN_MIRROR"
    echo "$uri"
}

# A slim Debian bookworm as a local image: debootstrap's minbase without documentation,
# manuals, translations or package lists, as Debian's slim images are.
make_local_runtime() {
    if podman image exists "$LOCAL_RUNTIME"; then
        say "$LOCAL_RUNTIME exists (podman rmi it to make it again)"
        return
    fi
    command -v debootstrap >/dev/null 2>&1 || install_packages debootstrap
    local mirror rootfs="$WORK/rootfs"
    mirror=$(debian_mirror)
    say "debootstrap bookworm from $mirror into $rootfs"
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
        fail "debootstrap (log: $WORK/debootstrap.log)"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
    find "$rootfs/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
    # Later apt-get installs in images built on it stay slim too: no package caches, no
    # downloaded packages kept, no recommended packages, no documentation.
    cat >"$rootfs/etc/apt/apt.conf.d/slim" <<'EOF'
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT::Keep-Downloaded-Packages "false";
APT::Install-Recommends "false";
EOF
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
EOF
    tar -C "$rootfs" --numeric-owner -c . |
        podman import --quiet --change 'CMD ["bash"]' \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            - "$LOCAL_RUNTIME" >/dev/null
    rm -rf "$rootfs"
    say "imported $LOCAL_RUNTIME"
}

# podman's defaults may not run here: rootful podman raises the open-files and processes
# limits beyond what a container host without CAP_SYS_RESOURCE allows, and crun refuses a
# cgroup v1 host with controllers on its cgroup v2 hierarchy ("hybrid mode"). When a trial
# container fails, podman (and podman-compose, which calls it) get a configuration that
# keeps the host's limits and uses runc.
make_podman_work() {
    local probe=$1 error
    if error=$(podman run --rm "$probe" true 2>&1); then
        return
    fi
    say "podman cannot run a container with its defaults here: ${error##*: }"
    command -v runc >/dev/null 2>&1 || install_packages runc
    local nofile nproc pid_max
    nofile=$(ulimit -Hn)
    nproc=$(ulimit -Hu)
    pid_max=$(cat /proc/sys/kernel/pid_max)
    [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ] && nproc=$pid_max
    [ "$nofile" = unlimited ] && nofile=1048576
    cat >"$WORK/containers.conf" <<EOF
# Written by scripts/image.sh: the host's own limits, and runc instead of crun.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
EOF
    export CONTAINERS_CONF="$WORK/containers.conf"
    error=$(podman run --rm "$probe" true 2>&1) ||
        fail "podman still cannot run a container with $CONTAINERS_CONF: $error"
    say "podman runs containers with $CONTAINERS_CONF (runc, nofile=$nofile, nproc=$nproc)"
}

# The Rust builder on the local Debian: gcc and libc6-dev, this machine's toolchain, and the
# host's CA bundle for cargo (scripts/image/rust.Containerfile).
make_local_builder() {
    if podman image exists "$LOCAL_BUILDER"; then
        say "$LOCAL_BUILDER exists (podman rmi it to make it again)"
        return
    fi
    local cargo toolchain context="$WORK/builder-context"
    cargo=$(rustup which --toolchain "$RUST_TOOLCHAIN" cargo 2>/dev/null) ||
        fail "no Rust toolchain $RUST_TOOLCHAIN here (rustup toolchain list; set RUST_TOOLCHAIN)"
    toolchain=$(cd "$(dirname "$cargo")/.." && pwd -P)
    rm -rf "$context"
    mkdir -p "$context"
    cp scripts/image/rust.Containerfile "$context/Containerfile"
    cp /etc/ssl/certs/ca-certificates.crt "$context/host-ca.crt"
    say "building $LOCAL_BUILDER with the toolchain in $toolchain"
    podman build --tag "$LOCAL_BUILDER" --build-arg BASE="$LOCAL_RUNTIME" \
        --volume "$toolchain:/toolchain:ro" "$context" >"$WORK/builder.log" 2>&1 || {
        tail -n 30 "$WORK/builder.log" >&2
        fail "building $LOCAL_BUILDER (log: $WORK/builder.log)"
    }
    rm -rf "$context"
}

# Local stand-ins for compose.yaml's PostgreSQL and HAProxy images.
make_local_service_image() {
    local tag=$1 containerfile=$2
    if podman image exists "$tag"; then
        return
    fi
    say "building $tag ($containerfile)"
    podman build --tag "$tag" --build-arg BASE="$LOCAL_RUNTIME" \
        --file "$containerfile" scripts/image >"$WORK/service-image.log" 2>&1 || {
        tail -n 30 "$WORK/service-image.log" >&2
        fail "building $tag (log: $WORK/service-image.log)"
    }
}

if [ "$BASES" = auto ]; then
    say "trying to pull $PUBLIC_RUNTIME"
    if timeout 120 podman pull --quiet "$PUBLIC_RUNTIME" >/dev/null 2>&1; then
        BASES=public
    else
        BASES=local
        say "cannot pull from docker.io here: making the base images locally"
    fi
fi
case "$BASES" in
    public)
        builder_image=$PUBLIC_BUILDER
        runtime_image=$PUBLIC_RUNTIME
        postgres_image=docker.io/library/postgres:17-bookworm
        haproxy_image=docker.io/library/haproxy:2.8
        podman pull --quiet "$PUBLIC_RUNTIME" >/dev/null
        make_podman_work "$PUBLIC_RUNTIME"
        ;;
    local)
        make_local_runtime
        make_podman_work "$LOCAL_RUNTIME"
        make_local_builder
        builder_image=$LOCAL_BUILDER
        runtime_image=$LOCAL_RUNTIME
        postgres_image=$LOCAL_POSTGRES
        haproxy_image=$LOCAL_HAPROXY
        ;;
    *) fail "BASES is auto, public or local, not $BASES" ;;
esac
note "base images: builder $builder_image, runtime $runtime_image"

# --- 3. the image -------------------------------------------------------------------------

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
say "building $IMAGE from the Dockerfile (commit $commit; a first build takes minutes)"
build_started=$SECONDS
podman build --format docker --tag "$IMAGE" \
    --build-arg BUILDER_IMAGE="$builder_image" \
    --build-arg RUNTIME_IMAGE="$runtime_image" \
    --build-arg SCHEMATA_BUILD_COMMIT="$commit" \
    . >"$WORK/build.log" 2>&1 || {
    tail -n 30 "$WORK/build.log" >&2
    fail "podman build (log: $WORK/build.log)"
}
cached=$(grep -c -- '--> Using cache' "$WORK/build.log" || true)
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
note "built $IMAGE in $((SECONDS - build_started)) s ($cached steps from the cache): $((size / 1000000)) MB ($size bytes)"
note "image user: $(podman image inspect --format '{{.Config.User}}' "$IMAGE"); healthcheck: $(podman image inspect --format '{{.Config.Healthcheck.Test}}' "$IMAGE")"
note "image environment: $(podman image inspect --format '{{range .Config.Env}}{{.}} {{end}}' "$IMAGE" | tr ' ' '\n' | grep '^SCHEMATA_' | tr '\n' ' ')"

# --- 4. run it ----------------------------------------------------------------------------

cleanup() {
    if [ "$keep" = true ]; then
        echo "image: --keep: left container $CONTAINER, volume $VOLUME and compose project $PROJECT"
        return
    fi
    podman rm --force --time 10 "$CONTAINER" >/dev/null 2>&1 || true
    podman volume rm --force "$VOLUME" >/dev/null 2>&1 || true
    if [ -n "${compose_command:-}" ]; then
        compose_down
    fi
}

# podman-compose's `down --volumes` removes the named volumes, not the anonymous ones the
# image's VOLUME gives each instance: the containers are removed with theirs first.
compose_down() {
    local containers
    containers=$(podman ps --all --quiet --filter "label=io.podman.compose.project=$PROJECT")
    if [ -n "$containers" ]; then
        # shellcheck disable=SC2086 # one argument per container id
        podman rm --force --volumes --time 10 $containers >/dev/null 2>&1 || true
    fi
    compose_env "${compose_command[@]}" -p "$PROJECT" -f compose.yaml down --volumes \
        >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Wait until URL answers 200, at most $2 seconds.
wait_for() {
    local url=$1 deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$url" 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 1
    done
}

# The container's health as podman records it (the field's name changed across versions).
health_of() {
    podman inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Healthcheck.Status}}{{end}}' "$1" 2>/dev/null ||
        podman inspect --format '{{.State.Healthcheck.Status}}' "$1"
}

schema='{"schema": "{\"type\":\"record\",\"name\":\"Order\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}"}'
register() {
    curl -fsS -X POST "$1/subjects/$2/versions" \
        -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "$schema"
}

podman rm --force "$CONTAINER" >/dev/null 2>&1 || true
podman volume rm --force "$VOLUME" >/dev/null 2>&1 || true
say "running $IMAGE as $CONTAINER on 127.0.0.1:$PORT with volume $VOLUME"
# Without systemd podman complains that it cannot schedule the health check: kept aside.
podman run --detach --name "$CONTAINER" --publish "127.0.0.1:$PORT:8081" \
    --volume "$VOLUME:/var/lib/schemata" "$IMAGE" >/dev/null 2>"$WORK/run.err" || {
    cat "$WORK/run.err" >&2
    fail "podman run"
}
base="http://127.0.0.1:$PORT"
wait_for "$base/health" 60 || {
    podman logs "$CONTAINER" >&2 || true
    fail "$base/health did not answer 200 within 60 s"
}
note "GET /health: $(curl -fsS "$base/health")"
answer=$(register "$base" image-check-value) || fail "registration refused"
note "POST /subjects/image-check-value/versions: $answer"
id=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' <<<"$answer")
[ -n "$id" ] || fail "no id in the registration's answer"
read_back=$(curl -fsS "$base/schemas/ids/$id")
note "GET /schemas/ids/$id: $read_back"

# Podman runs HEALTHCHECKs from systemd timers; where there is no systemd, run it once here.
say "running the image's HEALTHCHECK"
check_output=$(podman healthcheck run "$CONTAINER" 2>&1) || fail "healthcheck: $check_output"
health=$(health_of "$CONTAINER")
[ "$health" = healthy ] || fail "container health is $health"
note "podman healthcheck run: ${check_output:-exit 0}; container health: $health"

# The server is the container's process 1; its /proc directory belongs to its user.
server_uid=$(podman exec "$CONTAINER" stat -c %u /proc/1)
note "the server process (pid 1 in the container) runs as uid $server_uid"
[ "$server_uid" = 10001 ] || fail "the server runs as uid $server_uid"
note "volume: $(podman exec "$CONTAINER" ls -ln /var/lib/schemata | tail -n +2 | awk '{print $3 ":" $4, $9}' | tr '\n' ' ')"

# sed rather than head: with pipefail, a writer cut off by head would fail the script.
first_log=$(podman logs "$CONTAINER" 2>&1 | sed -n 1p)
if command -v python3 >/dev/null 2>&1; then
    podman logs "$CONTAINER" 2>&1 | python3 -c '
import json, sys
lines = [line for line in sys.stdin if line.strip()]
for line in lines:
    json.loads(line)
print(f"{len(lines)} log lines, each a JSON object")' >"$WORK/logs.check" ||
        fail "a log line is not JSON: $(podman logs "$CONTAINER" 2>&1 | sed -n 1,3p)"
    note "logs: $(cat "$WORK/logs.check"); the first: ${first_log:0:160}..."
fi

say "restarting $CONTAINER (SIGTERM, then a new start on the same volume)"
podman restart --time 30 "$CONTAINER" >/dev/null 2>>"$WORK/run.err"
wait_for "$base/health" 60 || fail "no /health after the restart"
after=$(curl -fsS "$base/schemas/ids/$id")
[ "$after" = "$read_back" ] || fail "after the restart /schemas/ids/$id answers $after"
drained=$(podman logs "$CONTAINER" 2>&1 | grep -c -i 'drained' || true)
note "after a restart: schema $id still there (the volume kept the SQLite file); shutdown log lines saying it drained: $drained"
podman rm --force --time 10 "$CONTAINER" >/dev/null 2>>"$WORK/run.err"
# And the check fails when nothing answers.
if refused=$(podman run --rm "$IMAGE" health --url http://127.0.0.1:1 2>>"$WORK/run.err"); then
    fail "schemata health passed with nothing listening"
fi
note "schemata health with nothing listening: exit 1, $refused"

# --- 5. compose ---------------------------------------------------------------------------

compose_env() {
    SCHEMATA_IMAGE="$IMAGE" POSTGRES_IMAGE="$postgres_image" HAPROXY_IMAGE="$haproxy_image" \
        SCHEMATA_PORT="127.0.0.1:$COMPOSE_PORT" "$@"
}

if [ "$compose" = true ]; then
    if command -v podman-compose >/dev/null 2>&1; then
        compose_command=(podman-compose)
    else
        if [ ! -x "$WORK/venv/bin/podman-compose" ]; then
            say "installing podman-compose 1.6.0 into $WORK/venv"
            python3 -m venv "$WORK/venv"
            "$WORK/venv/bin/pip" install --quiet podman-compose==1.6.0
        fi
        compose_command=("$WORK/venv/bin/podman-compose")
    fi
    if [ "$BASES" = local ]; then
        make_local_service_image "$LOCAL_POSTGRES" scripts/image/postgres.Containerfile
        make_local_service_image "$LOCAL_HAPROXY" scripts/image/haproxy.Containerfile
    fi
    compose_down
    compose_up() {
        compose_env "${compose_command[@]}" -p "$PROJECT" -f compose.yaml up -d "$@" \
            >>"$WORK/compose.log" 2>&1 || {
            tail -n 30 "$WORK/compose.log" >&2
            fail "podman-compose up $* (log: $WORK/compose.log)"
        }
    }
    : >"$WORK/compose.log"
    # podman-compose ignores `condition: service_healthy` with podman before 4.6, and without
    # systemd nothing runs the health checks: start PostgreSQL first and run its check here
    # until it passes, as Docker Compose would wait for it.
    say "compose.yaml up: PostgreSQL first"
    compose_up postgres
    database=$(podman ps --filter "label=io.podman.compose.project=$PROJECT" \
        --filter "label=com.docker.compose.service=postgres" --format '{{.Names}}' | sed -n 1p)
    deadline=$((SECONDS + 90))
    until podman healthcheck run "$database" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$database not healthy within 90 s"
        sleep 1
    done
    say "compose.yaml up: two instances and HAProxy on 127.0.0.1:$COMPOSE_PORT"
    compose_up
    proxy="http://127.0.0.1:$COMPOSE_PORT"
    # Which instance answered each request (deploy/haproxy.cfg sets X-Served-By).
    served_by() { awk 'tolower($1) == "x-served-by:" { print $2 }' | tr -d '\r'; }
    wait_for "$proxy/ready" 180 || {
        compose_env "${compose_command[@]}" -p "$PROJECT" -f compose.yaml logs >&2 || true
        fail "$proxy/ready did not answer 200 within 180 s"
    }
    # HAProxy takes an instance in after two good checks of /ready: wait until both answer.
    deadline=$((SECONDS + 60))
    until [ "$(for _ in 1 2; do curl -fsS -D - -o /dev/null "$proxy/ready" | served_by; done | sort -u | wc -l)" = 2 ]; do
        [ "$SECONDS" -lt "$deadline" ] || fail "the proxy did not send requests to both instances within 60 s"
        sleep 1
    done
    # No systemd here runs the health checks on a timer: run each once.
    health=()
    for container in $(podman ps --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}'); do
        if [ "$(podman inspect --format '{{if .Config.Healthcheck}}yes{{end}}' "$container")" = yes ]; then
            podman healthcheck run "$container" >/dev/null 2>&1 || true
            health+=("$container: $(health_of "$container"), restarts $(podman inspect --format '{{.RestartCount}}' "$container")")
        fi
    done
    note "compose health: ${health[*]}"
    note "compose: $(podman ps --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}} ({{.Status}})' | tr '\n' ' ')"

    writers=()
    ids=()
    for n in 1 2 3 4; do
        headers=$(curl -fsS -D - -o "$WORK/answer" -X POST "$proxy/subjects/compose-$n-value/versions" \
            -H 'Content-Type: application/vnd.schemaregistry.v1+json' -d "${schema/Order/Order$n}") ||
            fail "registration $n through the proxy"
        writers+=("$(served_by <<<"$headers")")
        ids+=("$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$WORK/answer")")
    done
    note "4 schemas registered through one port: written by ${writers[*]}, ids ${ids[*]}"
    [ "$(printf '%s\n' "${writers[@]}" | sort -u | wc -l)" = 2 ] || fail "not both instances wrote"
    [ "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" = 4 ] || fail "two schemas got one id"
    readers=()
    for _ in 1 2 3 4; do
        headers=$(curl -fsS -D - -o "$WORK/answer" "$proxy/subjects/compose-1-value/versions/latest") ||
            fail "a read through the proxy"
        readers+=("$(served_by <<<"$headers")")
    done
    note "4 reads of compose-1-value: answered by ${readers[*]}: $(cat "$WORK/answer")"
    [ "$(printf '%s\n' "${readers[@]}" | sort -u | wc -l)" = 2 ] || fail "not both instances read"

    stopped=$(podman ps --filter "label=io.podman.compose.project=$PROJECT" \
        --filter "label=com.docker.compose.service=schemata-1" --format '{{.Names}}' | sed -n 1p)
    say "stopping $stopped: the port must keep answering from the other instance"
    podman stop --time 30 "$stopped" >/dev/null 2>>"$WORK/run.err"
    readers=()
    for _ in 1 2 3 4 5 6; do
        headers=$(curl -fsS -D - -o /dev/null "$proxy/schemas/ids/${ids[0]}") ||
            fail "a read through the proxy with one instance stopped"
        readers+=("$(served_by <<<"$headers")")
    done
    note "with $stopped stopped: 6 reads, all 200, answered by ${readers[*]}"
    drained=$(podman logs "$stopped" 2>&1 | grep -c -i drained || true)
    note "$stopped, stopped: log lines saying it drained: $drained"
fi

# --- 6. summary ---------------------------------------------------------------------------

echo
echo "image: summary ($((SECONDS - started)) s)"
for line in "${summary[@]}"; do
    echo "  - $line"
done
