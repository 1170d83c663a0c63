//! The server's endpoints over HTTP, each test run against SQLite and
//! PostgreSQL (`TOKENTALLY_TEST_POSTGRES`, see crates/server/ci-postgres.sh).

#![allow(clippy::unwrap_used)]

mod support;

mod canary;
mod cli;
mod devices;
mod enroll;
mod reports;
mod usage;
