//! OpenCode and Kilo CLI: a SQLite database under `$XDG_DATA_HOME/opencode`
//! (`kilo` for Kilo CLI), else `~/.local/share/...`, on every OS; one file
//! per release channel (`opencode.db`, `opencode-canary.db`).
//!
//! The database is opened read-only next to the tool, which writes it in
//! WAL mode: readers see the last committed rows and never block it.
//! Message rows are rewritten while a reply streams, and a message's own
//! `tokens` hold only its last step, so a message's usage is the sum of its
//! `step-finish` parts (the message's tokens when it has none). Whether
//! `output` already includes `reasoning` is read off the `total`.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use rusqlite::Connection;
use serde::Deserialize;
use tokentally_event::{Key, Model, Tokens, Tool, UsageEvent};

use super::{
    Collector, Format, Stamp, WholeError, WholeFormat,
    sqlite::{open_read_only, sqlite_stamp},
};
use crate::{Env, platform::xdg_data_home};

/// OpenCode's layout under one data folder name.
pub struct OpenCodeFamily {
    pub(super) tool: Tool,
    /// Folder under the XDG data home, and the database name's stem.
    pub(super) name: &'static str,
}

/// OpenCode.
pub const OPENCODE: OpenCodeFamily = OpenCodeFamily {
    tool: Tool::OpenCode,
    name: "opencode",
};
/// Kilo CLI.
pub const KILO_CLI: OpenCodeFamily = OpenCodeFamily {
    tool: Tool::KiloCli,
    name: "kilo",
};

impl Collector for OpenCodeFamily {
    fn tool(&self) -> Tool {
        self.tool
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        xdg_data_home(env)
            .map(|d| vec![d.join(self.name)])
            .unwrap_or_default()
    }

    fn is_log(&self, path: &Path) -> bool {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return false;
        };
        let Some(stem) = name.strip_suffix(".db") else {
            return false;
        };
        // Only the top folder holds databases; `storage/` is the legacy JSON.
        let top = path
            .parent()
            .and_then(|p| p.file_name())
            .is_some_and(|p| p == self.name);
        top && (stem == self.name
            || stem
                .strip_prefix(self.name)
                .is_some_and(|rest| rest.starts_with('-')))
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

impl WholeFormat for OpenCodeFamily {
    fn stamp(&self, path: &Path) -> std::io::Result<Stamp> {
        sqlite_stamp(path)
    }

    fn read(
        &self,
        path: &Path,
        _state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let conn = open_read_only(path)?;
        let steps = step_totals(&conn)?;
        let mut stmt = conn.prepare("SELECT id, session_id, time_created, data FROM message")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let session: String = row.get(1)?;
            let created: Option<i64> = row.get(2)?;
            let data: String = row.get(3)?;
            out.extend(self.message_event(&id, &session, created, &data, &steps));
        }
        Ok(Vec::new())
    }
}

impl OpenCodeFamily {
    /// The call of one `message` row, given its parts' sums by message id.
    pub(crate) fn message_event(
        &self,
        id: &str,
        session: &str,
        created: Option<i64>,
        data: &str,
        steps: &HashMap<String, Tokens>,
    ) -> Option<UsageEvent> {
        let message = serde_json::from_str::<MessageData>(data).ok()?;
        if message.role.as_deref() != Some("assistant") {
            return None;
        }
        let tokens = match steps.get(id) {
            Some(sum) => *sum,
            None => message
                .tokens
                .as_ref()
                .map(Usage::tokens)
                .unwrap_or_default(),
        };
        let at_ms = message.time.and_then(|t| t.created).or(created)?;
        if tokens.is_zero() {
            return None;
        }
        Some(UsageEvent::logged(
            self.tool,
            at_ms,
            Key::of(&[session.as_bytes()]),
            Key::of(&[id.as_bytes()]),
            message
                .model_id
                .as_deref()
                .map_or_else(Model::unknown, Model::new),
            tokens,
        ))
    }
}

/// Adds one step's tokens to a message's sum.
pub(super) fn add_step(sum: &mut Tokens, step: &Tokens) {
    // Saturating: absurd counts in a corrupt part must not wrap (or panic).
    sum.input = sum.input.saturating_add(step.input);
    sum.cache_read = sum.cache_read.saturating_add(step.cache_read);
    sum.cache_write = sum.cache_write.saturating_add(step.cache_write);
    sum.output = sum.output.saturating_add(step.output);
    sum.reasoning = sum.reasoning.saturating_add(step.reasoning);
}

/// The summed `step-finish` tokens of each message.
fn step_totals(conn: &Connection) -> Result<HashMap<String, Tokens>, rusqlite::Error> {
    let mut totals: HashMap<String, Tokens> = HashMap::new();
    let mut stmt =
        conn.prepare("SELECT message_id, data FROM part WHERE data LIKE '%step-finish%'")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let message: String = row.get(0)?;
        let data: String = row.get(1)?;
        add_part(&mut totals, message, &data);
    }
    Ok(totals)
}

/// Adds one `part` row to its message's sum when it is a `step-finish`.
pub(crate) fn add_part(totals: &mut HashMap<String, Tokens>, message: String, data: &str) {
    let Ok(part) = serde_json::from_str::<PartData>(data) else {
        return;
    };
    if part.kind.as_deref() != Some("step-finish") {
        return;
    }
    if let Some(step) = part.tokens.as_ref().map(Usage::tokens) {
        add_step(totals.entry(message).or_default(), &step);
    }
}

#[derive(Deserialize)]
pub(super) struct MessageData {
    /// In legacy files only; the database keeps it in a column.
    pub(super) id: Option<String>,
    #[serde(rename = "sessionID")]
    pub(super) session_id: Option<String>,
    pub(super) role: Option<String>,
    pub(super) time: Option<Time>,
    #[serde(rename = "modelID")]
    pub(super) model_id: Option<String>,
    pub(super) tokens: Option<Usage>,
}

#[derive(Deserialize, Clone, Copy)]
pub(super) struct Time {
    pub(super) created: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct PartData {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) tokens: Option<Usage>,
}

#[derive(Deserialize)]
pub(super) struct Usage {
    input: Option<u64>,
    output: Option<u64>,
    reasoning: Option<u64>,
    cache: Option<Cache>,
    total: Option<u64>,
}

#[derive(Deserialize)]
struct Cache {
    read: Option<u64>,
    write: Option<u64>,
}

impl Usage {
    pub(super) fn tokens(&self) -> Tokens {
        let input = self.input.unwrap_or(0);
        let output = self.output.unwrap_or(0);
        let reasoning = self.reasoning.unwrap_or(0);
        let (read, write) = self
            .cache
            .as_ref()
            .map_or((0, 0), |c| (c.read.unwrap_or(0), c.write.unwrap_or(0)));
        // A total that counts output and reasoning apart means reasoning is
        // not inside output; a total without it means it is. With no total,
        // OpenCode's own sums treat them as apart.
        let sum = [output, read, write]
            .into_iter()
            .try_fold(input, u64::checked_add);
        let inside = sum.is_some() && self.total == sum && reasoning > 0;
        let output = if inside {
            output
        } else {
            output.saturating_add(reasoning)
        };
        Tokens {
            input,
            cache_read: read,
            cache_write: write,
            output,
            // Inside output, so never more than it, whatever the record says.
            reasoning: reasoning.min(output),
        }
    }
}

#[cfg(test)]
#[path = "opencode/tests.rs"]
mod tests;
