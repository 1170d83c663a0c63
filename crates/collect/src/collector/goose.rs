//! Goose: `sessions/sessions.db` under Goose's data folder
//! (`$GOOSE_PATH_ROOT/data`; else `$XDG_DATA_HOME/goose` or
//! `~/.local/share/goose` on Linux and macOS, `%APPDATA%\Block\goose\data` on
//! Windows).
//!
//! Goose keeps only session-cumulative counters. Each read counts, per
//! session, how far the counters moved since the last read (the state kept
//! with the checkpoint), dated at the session's `updated_at`. The step is
//! keyed by the counters it reached, so a read lost to a crash is counted
//! by the next read, once. A counter that went down starts a new baseline
//! without being counted (there is no per-request record to tell what was
//! new). There are no cache columns; the model is the session's.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};
use tokentally_event::{Key, Model, Rank, Tokens, Tool, UsageEvent};

use super::{
    Collector, Format, Stamp, WholeError, WholeFormat,
    sqlite::{open_read_only, sqlite_stamp},
};
use crate::{
    Env,
    platform::{Os, xdg_data_home},
};

/// The Goose collector.
pub struct Goose;

impl Goose {
    /// Goose's data folder on one OS.
    pub fn data_dir(env: &Env, os: Os) -> Option<PathBuf> {
        if let Some(root) = env.var("GOOSE_PATH_ROOT").filter(|r| r.is_absolute()) {
            return Some(root.join("data"));
        }
        match os {
            Os::Windows => env
                .var("APPDATA")
                .map(|a| a.join("Block").join("goose").join("data")),
            Os::Linux | Os::MacOs => xdg_data_home(env).map(|d| d.join("goose")),
        }
    }
}

impl Collector for Goose {
    fn tool(&self) -> Tool {
        Tool::Goose
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        Goose::data_dir(env, Os::current())
            .map(|d| vec![d.join("sessions")])
            .unwrap_or_default()
    }

    fn is_log(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "sessions.db")
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

/// Each session's counters at the last read.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Seen(HashMap<String, [u64; 2]>);

impl WholeFormat for Goose {
    fn stamp(&self, path: &Path) -> std::io::Result<Stamp> {
        sqlite_stamp(path)
    }

    fn read(
        &self,
        path: &Path,
        state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let mut seen: Seen = serde_json::from_slice(state).unwrap_or_default();
        let conn = open_read_only(path)?;
        let mut stmt = conn.prepare(
            "SELECT id, updated_at,
                    coalesce(accumulated_input_tokens, input_tokens, 0),
                    coalesce(accumulated_output_tokens, output_tokens, 0),
                    model_config_json
             FROM sessions",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let updated: rusqlite::types::Value = row.get(1)?;
            let now = [row.get::<_, i64>(2)?, row.get::<_, i64>(3)?];
            let model: Option<String> = row.get(4)?;
            out.extend(seen.step(id, &updated, now, model.as_deref()));
        }
        Ok(serde_json::to_vec(&seen).unwrap_or_default())
    }
}

/// One `sessions` row as read: id, updated_at, input and output counters, model config.
pub(crate) type Row = (String, rusqlite::types::Value, i64, i64, Option<String>);

/// The steps of `rows` after `state`, as [`Goose`] reads them; the new state.
pub(crate) fn read_rows(state: &[u8], rows: Vec<Row>, out: &mut Vec<UsageEvent>) -> Vec<u8> {
    let mut seen: Seen = serde_json::from_slice(state).unwrap_or_default();
    for (id, updated, input, output, model) in rows {
        out.extend(seen.step(id, &updated, [input, output], model.as_deref()));
    }
    serde_json::to_vec(&seen).unwrap_or_default()
}

impl Seen {
    /// How far one session's counters moved since they were last seen.
    fn step(
        &mut self,
        id: String,
        updated: &rusqlite::types::Value,
        now: [i64; 2],
        model: Option<&str>,
    ) -> Option<UsageEvent> {
        let now = now.map(|n| n.max(0) as u64);
        let before = self.0.insert(id.clone(), now).unwrap_or([0, 0]);
        if now[0] < before[0] || now[1] < before[1] || now == before {
            return None;
        }
        let at_ms = time_of(updated)?;
        let tokens = Tokens {
            input: now[0] - before[0],
            output: now[1] - before[1],
            ..Tokens::default()
        };
        Some(
            UsageEvent::logged(
                Tool::Goose,
                at_ms,
                Key::of(&[id.as_bytes()]),
                Key::of(&[id.as_bytes(), &now[0].to_be_bytes(), &now[1].to_be_bytes()]),
                model_name(model),
                tokens,
            )
            .ranked(Rank::smallest(&tokens)),
        )
    }
}

fn model_name(config: Option<&str>) -> Model {
    #[derive(Deserialize)]
    struct Config {
        model_name: Option<String>,
    }
    config
        .and_then(|c| serde_json::from_str::<Config>(c).ok())
        .and_then(|c| c.model_name)
        .map_or_else(Model::unknown, |m| Model::new(&m))
}

/// `updated_at` is SQLite's `YYYY-MM-DD HH:MM:SS` (UTC), RFC 3339, or a
/// number of seconds or milliseconds.
fn time_of(value: &rusqlite::types::Value) -> Option<i64> {
    use rusqlite::types::Value;
    match value {
        Value::Integer(n) if *n > 100_000_000_000 => Some(*n),
        // Seconds; a value too far out to be milliseconds is no time.
        Value::Integer(n) => n.checked_mul(1000),
        Value::Text(t) => crate::timestamp::parse_ms(t)
            .or_else(|| crate::timestamp::parse_ms(&format!("{}Z", t.replace(' ', "T")))),
        _ => None,
    }
}

#[cfg(test)]
#[path = "goose/tests.rs"]
mod tests;
