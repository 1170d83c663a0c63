//! Diagnostics. On stderr: off unless `TOKENTALLY_LOG` asks (for example
//! `TOKENTALLY_LOG=debug`). The agent also writes them to a file in
//! `DATA/logs/`, a new one each day and the last seven kept, at `info`
//! unless `TOKENTALLY_LOG` says otherwise. Log lines carry paths, offsets,
//! routes and counts, never text from a log or a request.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, Layer, layer::SubscriberExt, util::SubscriberInitExt};

/// Days of agent log files kept.
const KEPT_FILES: usize = 7;
/// Lines waiting for the file writer. The library's default (128,000)
/// allocates and touches a 4 MiB queue up front, a fifth of the agent's
/// memory budget, for a process that logs a few lines an hour.
const QUEUED_LINES: usize = 1_024;

/// Sets up logging; with `file_dir`, also to rotating files there. The
/// guard flushes the file when dropped: keep it until the process ends.
pub fn init(file_dir: Option<&Path>) -> Option<WorkerGuard> {
    let filter = |default: &str| {
        EnvFilter::try_from_env("TOKENTALLY_LOG").unwrap_or_else(|_| EnvFilter::new(default))
    };
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(filter("warn"));
    let (file, guard) = match file_dir.and_then(rolling) {
        Some((writer, guard)) => {
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_target(false)
                .with_filter(filter("info"));
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    // A second init (tests calling main twice) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    guard
}

fn rolling(dir: &Path) -> Option<(tracing_appender::non_blocking::NonBlocking, WorkerGuard)> {
    // Made first: the appender looks for old files to prune before it
    // creates the folder, and says so on stderr at an agent's first start.
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("tokentally: cannot write logs in {}: {e}", dir.display());
        return None;
    }
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("agent")
        .filename_suffix("log")
        .max_log_files(KEPT_FILES)
        .build(dir)
        .map_err(|e| eprintln!("tokentally: cannot write logs in {}: {e}", dir.display()))
        .ok()?;
    // Lossy: a burst beyond the queue drops lines rather than stalling the
    // agent's work on disk writes.
    let writer = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(QUEUED_LINES)
        .lossy(true)
        .thread_name("tokentally-log")
        .finish(appender);
    Some(writer)
}
