# Multi-stage build of the one `schemata` binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin schemata

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/schemata --create-home schemata
COPY --from=build /src/target/release/schemata /usr/local/bin/schemata
USER schemata
WORKDIR /var/lib/schemata
ENV SCHEMATA_LISTEN=0.0.0.0:8081 \
    SCHEMATA_DATABASE_URL=sqlite:///var/lib/schemata/schemata.db
EXPOSE 8081
VOLUME ["/var/lib/schemata"]
# Liveness without curl in the image: `schemata health` asks /health and exits 0 or 1.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["schemata", "health", "--url", "http://127.0.0.1:8081"]
ENTRYPOINT ["schemata"]
CMD ["serve"]
