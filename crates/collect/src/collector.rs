//! The collector trait, and the list of collectors.

mod aider;
mod amp;
mod claude_code;
mod cline_family;
mod codex;
mod continue_dev;
mod copilot;
mod copilot_cli;
mod cursor;
mod gemini_cli;
mod goose;
mod opencode;
mod opencode_legacy;
mod qwen_code;
mod sqlite;
mod zed;

pub use aider::Aider;
pub use amp::Amp;
pub use claude_code::ClaudeCode;
pub use cline_family::{CLINE, ClineFamily, KILO_CODE, ROO_CODE};
pub use codex::Codex;
pub use continue_dev::Continue;
pub use copilot::Copilot;
pub use copilot_cli::{CopilotCliSessions, CopilotOtel};
pub use cursor::Cursor;
pub use gemini_cli::{GeminiCli, GeminiCliLegacy};
pub use goose::Goose;
pub use opencode::{KILO_CLI, OPENCODE, OpenCodeFamily};
pub use opencode_legacy::{KILO_CLI_LEGACY, OPENCODE_LEGACY, OpenCodeLegacy};
pub use qwen_code::QwenCode;
pub use zed::Zed;
// What `crate::fuzzing` feeds: the readers of one database row or document.
pub(crate) use cursor::bubble_events;
pub(crate) use goose::read_rows as goose_rows;
pub(crate) use opencode::add_part;
pub(crate) use opencode_legacy::sum_steps;
pub(crate) use zed::thread_events;

use std::path::{Path, PathBuf};

use tokentally_event::{Tool, UsageEvent};

use crate::Env;

/// One tool's logs: where they are and how to read a line.
pub trait Collector: Send + Sync {
    /// The tool.
    fn tool(&self) -> Tool;

    /// The directories the tool writes its logs under, in the order the tool
    /// itself looks (overrides first). Each may not exist.
    fn roots(&self, env: &Env) -> Vec<PathBuf>;

    /// Whether a file found under a root is one of the tool's logs.
    fn is_log(&self, path: &Path) -> bool;

    /// How the tool's files are read.
    fn format(&self) -> Format<'_>;
}

/// How a tool's files are read.
pub enum Format<'a> {
    /// Append-only lines, tailed from a checkpoint (JSONL logs).
    Lines(&'a dyn LineFormat),
    /// Documents or databases rewritten in place, read whole when they
    /// change; their records are upserted by call key.
    Whole(&'a dyn WholeFormat),
}

/// A tool whose files are append-only lines.
pub trait LineFormat: Sync {
    /// A parser for one file, resuming from its saved state (empty: from the
    /// start of the file).
    fn parser(&self, path: &Path, state: &[u8]) -> Box<dyn LineParser>;
}

/// A tool whose files are rewritten in place and read whole.
pub trait WholeFormat: Sync {
    /// What changes when the source changes; the default is the file's own
    /// size, time and identity (a SQLite source adds its `-wal` file).
    fn stamp(&self, path: &Path) -> std::io::Result<Stamp> {
        Stamp::of_file(path)
    }

    /// Reads every record of the source into `out`; returns the state to keep
    /// for the next read (for sources whose counters are cumulative).
    fn read(
        &self,
        path: &Path,
        state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError>;
}

/// Why a whole source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WholeError {
    /// The file could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The document is not what the tool writes (perhaps half written).
    #[error("not a readable {what}: {detail}")]
    Malformed {
        /// What was expected.
        what: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// A database could not be queried.
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
}

/// What identifies the state of a source: when it is unchanged, the source
/// is not read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
}

impl Stamp {
    /// The stamp of one file.
    pub fn of_file(path: &Path) -> std::io::Result<Stamp> {
        let meta = std::fs::metadata(path)?;
        let id = crate::fingerprint::Identity::of(&meta);
        Ok(Stamp {
            size: meta.len(),
            mtime_ns: crate::fingerprint::mtime_ns(&meta),
            dev: id.dev,
            ino: id.ino,
        })
    }
}

/// Turns the lines of one file, in order, into usage events.
pub trait LineParser: Send {
    /// Reads one complete line (without its newline) that starts at `offset`.
    /// Lines that cannot hold a call are ignored; lines that could but cannot
    /// be read are skipped with the reason.
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip>;

    /// The state to resume from after the lines parsed so far (none for
    /// formats whose lines stand alone).
    fn state(&self) -> Vec<u8> {
        Vec::new()
    }
}

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not valid JSON, not UTF-8, or cut short.
    Malformed,
    /// Longer than the longest line read.
    Oversized,
    /// Valid, but a call record without the fields that identify it.
    Incomplete,
}

/// Every collector, in display order.
pub fn all_collectors() -> Vec<Box<dyn Collector>> {
    vec![
        Box::new(ClaudeCode),
        Box::new(Codex),
        Box::new(GeminiCli),
        Box::new(GeminiCliLegacy),
        Box::new(QwenCode),
        Box::new(OPENCODE),
        Box::new(KILO_CLI),
        Box::new(OPENCODE_LEGACY),
        Box::new(KILO_CLI_LEGACY),
        Box::new(CLINE),
        Box::new(ROO_CODE),
        Box::new(KILO_CODE),
        Box::new(Amp),
        Box::new(Continue),
        Box::new(Goose),
        Box::new(Copilot),
        Box::new(CopilotCliSessions),
        Box::new(CopilotOtel),
        Box::new(Aider),
        Box::new(Cursor),
        Box::new(Zed),
    ]
}

/// Whether a line holds any of `keys` and so must be parsed. A line with
/// none of them cannot be a call: it is ignored when it looks like a JSON
/// object and skipped as malformed when it does not.
pub(crate) fn holds_any(line: &[u8], keys: &[memchr::memmem::Finder<'_>]) -> Result<bool, Skip> {
    if keys.iter().any(|k| k.find(line).is_some()) {
        Ok(true)
    } else if looks_like_json_object(line) {
        Ok(false)
    } else {
        Err(Skip::Malformed)
    }
}

/// A quick structural check done on lines that no parser looked at: a line
/// cut off by a crash or garbage does not both start with `{` and end with `}`.
pub fn looks_like_json_object(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii();
    trimmed.first() == Some(&b'{') && trimmed.last() == Some(&b'}')
}
