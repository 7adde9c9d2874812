//! Tests of the client library (`schemata-client`) and of the client subcommands of the
//! `schemata` binary, against the real registry started in-process on a fresh SQLite file.

mod common;

mod cli;
mod client_avro;
mod client_bad_input;
mod client_json;
mod client_protobuf;
mod client_rest;
mod logs;
mod memory;
mod passwords;
mod secrets;
mod tls;
