//! The receiver end to end: real OTLP/HTTP exports from the OpenTelemetry
//! SDK, and raw requests, against `serve` on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod http_rules;
mod sdk_exports;
