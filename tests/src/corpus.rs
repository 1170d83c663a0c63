//! A seeded corpus of Claude Code and Codex logs, laid out as a home
//! directory, with the totals it must produce per UTC day, tool and model.
//!
//! The generator knows every call it writes and counts each exactly once by
//! construction, whatever traps it lays around it (streamed blocks, copies
//! in other files, replays, re-emitted counters, resets, malformed lines).
//! It shares no code with the engine.

mod claude;
mod codex;
pub mod mixed;
mod text;

use std::{
    collections::BTreeMap,
    io,
    path::{Path, PathBuf},
};

use jiff::civil::Date;
use serde::Serialize;

use crate::prng::Prng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct CorpusSpec {
    /// The seed: the same seed gives the same bytes.
    pub seed: u64,
    /// About how many bytes to write.
    pub target_bytes: u64,
    /// The first day of activity (UTC).
    pub start_day: Date,
    /// Days of activity.
    pub days: u32,
}

impl CorpusSpec {
    /// A corpus of about `mb` megabytes over 60 days from 2026-08-01.
    pub fn of_mb(seed: u64, mb: u64) -> Self {
        CorpusSpec {
            seed,
            target_bytes: mb << 20,
            start_day: jiff::civil::date(2026, 8, 1),
            days: 60,
        }
    }
}

/// Counted totals of one day, tool and model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Input tokens not cached.
    pub input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Cache reads.
    pub cache_read_tokens: u64,
    /// Cache writes.
    pub cache_write_tokens: u64,
    /// Reasoning (part of output).
    pub reasoning_tokens: u64,
    /// input + output + cache read + cache write.
    pub total_tokens: u64,
    /// Calls.
    pub calls: u64,
    /// Estimated calls (none in logs with counts).
    pub estimated_calls: u64,
}

/// The ground truth: (UTC day, tool, model) → counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth(pub BTreeMap<(String, String, String), Counts>);

/// One counted call, normalised (input without cache reads, output with
/// reasoning), as the generator knows it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Call {
    /// When (the kept line's timestamp), in milliseconds since the epoch.
    pub at_ms: i64,
    /// Input tokens not cached.
    pub input: u64,
    /// Cache reads.
    pub cache_read: u64,
    /// Cache writes.
    pub cache_write: u64,
    /// Output tokens, reasoning included.
    pub output: u64,
    /// Reasoning (part of output).
    pub reasoning: u64,
}

impl Truth {
    /// Counts a call whose counts are estimates.
    pub(crate) fn count_estimated(&mut self, tool: &str, model: &str, call: Call) {
        self.count(tool, model, call);
        let day = jiff::Timestamp::from_millisecond(call.at_ms)
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default();
        if let Some(c) = self.0.get_mut(&(day, tool.to_owned(), model.to_owned())) {
            c.estimated_calls += 1;
        }
    }

    /// Counts one call of `tool` (`claude-code`, `codex`) and `model` on its UTC day.
    pub fn count(&mut self, tool: &str, model: &str, call: Call) {
        let day = jiff::Timestamp::from_millisecond(call.at_ms)
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let c = self
            .0
            .entry((day, tool.to_owned(), model.to_owned()))
            .or_default();
        c.input_tokens += call.input;
        c.output_tokens += call.output;
        c.cache_read_tokens += call.cache_read;
        c.cache_write_tokens += call.cache_write;
        c.reasoning_tokens += call.reasoning;
        c.total_tokens += call.input + call.output + call.cache_read + call.cache_write;
        c.calls += 1;
    }

    /// The truth as `report --json` rows (sorted by period, tool, model).
    pub fn rows(&self) -> Vec<serde_json::Value> {
        self.0
            .iter()
            .map(|((day, tool, model), c)| {
                let mut row = serde_json::to_value(c).unwrap_or_default();
                row["period"] = day.clone().into();
                row["tool"] = tool.clone().into();
                row["model"] = model.clone().into();
                row
            })
            .collect()
    }

    /// The whole of `report --json --by day --tz UTC` this truth stands for.
    pub fn report_json(&self) -> serde_json::Value {
        serde_json::json!({
            "timezone": "UTC",
            "by": "day",
            "rows": self.rows(),
            "totals": self.totals(),
        })
    }

    /// Sum over every row.
    pub fn totals(&self) -> Counts {
        let mut t = Counts::default();
        for c in self.0.values() {
            t.input_tokens += c.input_tokens;
            t.output_tokens += c.output_tokens;
            t.cache_read_tokens += c.cache_read_tokens;
            t.cache_write_tokens += c.cache_write_tokens;
            t.reasoning_tokens += c.reasoning_tokens;
            t.total_tokens += c.total_tokens;
            t.calls += c.calls;
            t.estimated_calls += c.estimated_calls;
        }
        t
    }
}

/// Where generated files go.
pub trait Sink {
    /// Writes a whole file at `relative` (to the home).
    fn file(&mut self, relative: &Path, bytes: &[u8]) -> io::Result<()>;
}

/// Writes files under a home directory.
pub struct DirSink(pub PathBuf);

impl Sink for DirSink {
    fn file(&mut self, relative: &Path, bytes: &[u8]) -> io::Result<()> {
        let path = self.0.join(relative);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, bytes)
    }
}

/// Keeps files in memory, in the order written.
#[derive(Default)]
pub struct MemSink(pub Vec<(PathBuf, Vec<u8>)>);

impl Sink for MemSink {
    fn file(&mut self, relative: &Path, bytes: &[u8]) -> io::Result<()> {
        self.0.push((relative.to_owned(), bytes.to_vec()));
        Ok(())
    }
}

/// Generates the corpus into `sink` and returns its truth.
pub fn generate(spec: &CorpusSpec, sink: &mut dyn Sink) -> io::Result<Truth> {
    let mut rng = Prng::new(spec.seed);
    let mut text = text::Text::new(spec.seed);
    let mut truth = Truth::default();
    let mut written = 0u64;
    let mut claude = claude::Generator::default();
    let mut codex = codex::Generator::default();
    let mut session = 0u64;
    while written < spec.target_bytes {
        let day = spec
            .start_day
            .checked_add(jiff::Span::new().days(rng.range(0, u64::from(spec.days)) as i64))
            .unwrap_or(spec.start_day);
        // About four Claude sessions for each Codex one; the second is
        // Codex, so even a tiny corpus has both.
        let is_codex = if session < 2 {
            session == 1
        } else {
            rng.chance(20)
        };
        written += if is_codex {
            codex.session(session, day, &mut rng, &mut text, &mut truth, sink)?
        } else {
            claude.session(session, day, &mut rng, &mut text, &mut truth, sink)?
        };
        session += 1;
    }
    Ok(truth)
}

/// Milliseconds since the epoch of `day` at `ms_of_day`.
pub(crate) fn at(day: Date, ms_of_day: u64) -> i64 {
    let midnight = day
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0);
    midnight + ms_of_day as i64
}

/// `2026-09-14T10:15:01.120Z`.
pub(crate) fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod recount;
#[cfg(test)]
mod tests;
