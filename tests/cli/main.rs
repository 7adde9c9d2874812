//! Tests of the client library (`schemata-client`) and of the client subcommands of the
//! `schemata` binary, against the real registry started in-process on a fresh SQLite file;
//! `export` and `import` (`import.rs`) also against fresh PostgreSQL databases, with the
//! API tests' harness (`app`).

#[path = "../api/common/mod.rs"]
mod app;
#[path = "../lib/certs.rs"]
mod certs;
mod common;
#[path = "../support/jwt.rs"]
mod jwt;

mod bearer;
mod ci_snippets;
mod cli;
mod client_avro;
mod client_bad_input;
mod client_json;
mod client_protobuf;
mod client_rest;
mod follow_kafka;
mod import;
mod import_kafka;
mod import_memory;
mod kafka_sasl;
mod kafka_tls;
mod logs;
mod memory;
mod metrics;
mod passwords;
mod sasl_front;
mod secrets;
mod security;
mod tansu;
mod tls;
