//! Integration tests: the real application over real HTTP, each scenario run against a fresh
//! SQLite file and a fresh PostgreSQL database.

mod common;
#[path = "../support/jwt.rs"]
mod jwt;

mod audit;
mod authentication;
mod authorization;
mod bad_input;
mod bearer;
mod caching;
mod compatibility;
mod concurrency;
mod config_mode;
mod contexts;
mod database_failure;
mod deletion;
mod http_conventions;
mod identity;
mod json_schema;
mod listing;
mod load_isolation;
mod openapi;
mod protobuf;
mod rate_limit;
mod references;
mod registration;
mod remembered_history;
mod resource_limits;
mod tls;
