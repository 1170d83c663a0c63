//! The collector trait, and the list of collectors.

mod claude_code;
mod codex;

pub use claude_code::ClaudeCode;
pub use codex::Codex;

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

    /// A parser for one file, resuming from its saved state (empty: from the
    /// start of the file).
    fn parser(&self, path: &Path, state: &[u8]) -> Box<dyn LineParser>;
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

    /// The state to resume from after the lines parsed so far.
    fn state(&self) -> Vec<u8>;
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
    vec![Box::new(ClaudeCode), Box::new(Codex)]
}

/// A quick structural check done on lines that no parser looked at: a line
/// cut off by a crash or garbage does not both start with `{` and end with `}`.
pub fn looks_like_json_object(line: &[u8]) -> bool {
    let trimmed = line.trim_ascii();
    trimmed.first() == Some(&b'{') && trimmed.last() == Some(&b'}')
}
