# syntax=docker/dockerfile:1
# The `schemata` image (docs/container.md): a multi-stage build of the one binary onto a slim
# Debian, run as a non-root user, logs in JSON, SQLite data in a volume, a HEALTHCHECK that
# needs no curl. Both base images are build arguments, so a machine that cannot pull them
# builds its own (scripts/image.sh does that with debootstrap).
ARG BUILDER_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BUILDER_IMAGE} AS build
WORKDIR /src

# Dependencies first, in a layer of their own: the manifests, the lock file and empty
# stand-ins for each crate's sources (and the benches the manifests name), built once. A change
# to the sources leaves this layer cached, so only the three workspace crates are compiled
# again. The registry cache mount keeps downloaded crates across builds.
COPY Cargo.toml Cargo.lock ./
COPY compat/Cargo.toml compat/
COPY client/Cargo.toml client/
RUN mkdir -p src compat/src compat/benches client/src client/benches \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs compat/src/lib.rs client/src/lib.rs \
    && echo 'fn main() {}' > compat/benches/json_diff.rs \
    && echo 'fn main() {}' > client/benches/serde.rs
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo build --release --locked --bin schemata

# The real sources. Copied files keep their own (older) modification times, so the crate
# roots are touched: cargo would otherwise take the stand-ins' build as up to date.
COPY build.rs ./
COPY migrations migrations
COPY src src
COPY compat/src compat/src
COPY client/src client/src
# The `commit` label of `schemata_build_info` (docs/operations.md); `unknown` when not given.
ARG SCHEMATA_BUILD_COMMIT=unknown
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    touch src/main.rs src/lib.rs compat/src/lib.rs client/src/lib.rs \
    && SCHEMATA_BUILD_COMMIT="${SCHEMATA_BUILD_COMMIT}" cargo build --release --locked --bin schemata \
    && cp target/release/schemata /usr/local/bin/schemata

FROM ${RUNTIME_IMAGE}
# The binary and the CA bundle (for HTTPS to a JWKS URL, PostgreSQL with `sslmode=verify-*` and
# `schemata health` over HTTPS); nothing else is installed.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN groupadd --system --gid 10001 schemata \
    && useradd --system --uid 10001 --gid schemata --no-create-home \
        --home-dir /var/lib/schemata --shell /usr/sbin/nologin schemata \
    && mkdir -p /var/lib/schemata \
    && chown schemata:schemata /var/lib/schemata \
    && chmod 0750 /var/lib/schemata
COPY --from=build /usr/local/bin/schemata /usr/local/bin/schemata
# Numeric, so an orchestrator can tell the user is not root (Kubernetes' runAsNonRoot).
USER 10001:10001
WORKDIR /var/lib/schemata
# Every flag has its SCHEMATA_* variable (README, "Configuration"); these are the image's
# defaults. SCHEMATA_HEALTH_URL is where the HEALTHCHECK asks: change it with the listen port.
ENV SCHEMATA_LISTEN=0.0.0.0:8081 \
    SCHEMATA_DATABASE_URL=sqlite:///var/lib/schemata/schemata.db \
    SCHEMATA_LOG_FORMAT=json \
    SCHEMATA_HEALTH_URL=http://127.0.0.1:8081
EXPOSE 8081
# The SQLite file (and its -wal and -shm files). A new named volume starts as this directory,
# owned by the schemata user; a bind-mounted directory must be writable by uid 10001.
VOLUME ["/var/lib/schemata"]
# Liveness without curl in the image: `schemata health` asks /health and exits 0 or 1.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["schemata", "health"]
ENTRYPOINT ["schemata"]
CMD ["serve"]
