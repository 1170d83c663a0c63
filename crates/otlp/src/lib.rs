//! The loopback OTLP/HTTP receiver: the token counters that Claude Code,
//! Codex and Copilot CLI export, turned into usage events.
//!
//! - [`decode_metrics`]: an export body (protobuf or JSON, gzip or not) to
//!   the request it holds.
//! - [`Receiver`]: a pure state machine from requests to
//!   [`tokentally_event::UsageEvent`]s. Delta points count as sent;
//!   cumulative points count what they added since the last point of the
//!   same series. Its [`ReceiverState`] is saved with the events so that a
//!   restart continues every series without counting an interval twice.
//! - [`serve`] / [`serve_exports`]: the HTTP endpoint on loopback.
//!
//! Only counts, a model, a tool, times and hashes leave this crate: the
//! other attributes (`user.email`, prompts, anything) are read into the
//! series hash and dropped.

mod decode;
mod points;
mod receiver;
mod server;

pub use decode::{Compression, DecodeError, Encoding, MAX_INFLATED_BYTES, decode_metrics, gunzip};
pub use points::{CLAUDE_CODE_TOKENS, GEN_AI_TOKENS, tool_of_service};
pub use receiver::{MAX_SERIES, Receiver, ReceiverState, SERIES_IDLE_MS, SeriesMark};
pub use server::{ExportSink, MAX_BODY_BYTES, serve, serve_exports};

/// The OTLP request type, re-exported so callers need not depend on
/// `opentelemetry-proto` themselves.
pub use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;

#[cfg(test)]
mod testutil;
