//! Collectors of AI tools' local logs.
//!
//! Each tool has one [`Collector`] (one file under `collector/`, with its
//! fixtures beside it) that says where the tool keeps its logs and turns one
//! line into usage events. Everything else is shared: discovery
//! ([`discover`]), identifying files across restarts ([`fingerprint`]),
//! reading only what is new ([`tail`]), the scan that commits events with
//! their checkpoints ([`scan`]) and the watcher ([`watch`]).
//!
//! Parsers read text fields only to skip them: no event type can hold text.

pub mod collector;
pub mod discover;
mod env;
mod error;
pub mod fingerprint;
#[doc(hidden)]
pub mod fuzzing;
pub mod platform;
pub mod scan;
pub mod tail;
#[cfg(test)]
mod testkit;
mod timestamp;
pub mod watch;

pub use collector::{
    Collector, Format, LineFormat, LineParser, Skip, Stamp, WholeError, WholeFormat, all_collectors,
};
pub use env::Env;
pub use error::CollectError;
pub use scan::{ScanOptions, ScanProgress, ScanStep, ScanSummary, scan};
