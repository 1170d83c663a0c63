//! Diagnostics on stderr, off unless `TOKENTALLY_LOG` asks (for example
//! `TOKENTALLY_LOG=debug`). Log lines carry paths, offsets and counts, never
//! text from a log.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter =
        EnvFilter::try_from_env("TOKENTALLY_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    // A second init (tests calling main twice) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
