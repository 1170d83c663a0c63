//! Zed's built-in agent: `threads/threads.db` under Zed's data folder
//! (`$XDG_DATA_HOME/zed` or `~/.local/share/zed`, `~/Library/Application
//! Support/Zed`, `%LOCALAPPDATA%\Zed`); a thread's JSON is zstd-compressed.
//!
//! `request_token_usage` maps each request id to its usage (Anthropic
//! convention); the row is rewritten on every save. Zed keeps no time per
//! request, so a request is dated the first time it is seen: the ledger
//! keeps that first date, since later reads of the same request only
//! repeat it. Threads driven by an external agent (Claude Code, Gemini
//! inside Zed) are skipped: those agents write their own logs.

use std::{
    collections::HashMap,
    io::Read,
    path::{Path, PathBuf},
};

use serde::Deserialize;
use tokentally_event::{Key, Model, Rank, Tokens, Tool, UsageEvent};

use super::{
    Collector, Format, Stamp, WholeError, WholeFormat,
    sqlite::{open_read_only, sqlite_stamp},
};
use crate::{
    Env,
    platform::{Os, xdg_data_home},
};

/// The Zed collector.
pub struct Zed;

impl Zed {
    /// Zed's threads database on one OS (a file root).
    pub fn database_for(env: &Env, os: Os) -> Option<PathBuf> {
        let data = match os {
            Os::Linux => xdg_data_home(env).map(|d| d.join("zed")),
            Os::MacOs => env
                .home()
                .map(|h| h.join("Library").join("Application Support").join("Zed")),
            Os::Windows => env.var("LOCALAPPDATA").map(|l| l.join("Zed")),
        };
        data.map(|d| d.join("threads").join("threads.db"))
    }
}

impl Collector for Zed {
    fn tool(&self) -> Tool {
        Tool::Zed
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        Zed::database_for(env, Os::current()).into_iter().collect()
    }

    fn is_log(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "threads.db")
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

#[derive(Deserialize)]
struct Thread {
    model: Option<ThreadModel>,
    #[serde(default)]
    request_token_usage: HashMap<String, Usage>,
}

#[derive(Deserialize)]
struct ThreadModel {
    provider: Option<String>,
    model: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
}

/// Providers that are external agents writing their own logs.
const EXTERNAL_AGENTS: &[&str] = &[
    "claude_code",
    "claude-code",
    "gemini_cli",
    "gemini-cli",
    "codex",
];

impl WholeFormat for Zed {
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
        let mut stmt = conn.prepare("SELECT id, updated_at, data_type, data FROM threads")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            let updated: String = row.get(1)?;
            let data_type: String = row.get(2)?;
            let data: Vec<u8> = row.get(3)?;
            thread_events(&id, &updated, &data_type, data, out);
        }
        Ok(Vec::new())
    }
}

/// The calls of one `threads` row; a row that cannot be read adds none.
pub(crate) fn thread_events(
    id: &str,
    updated: &str,
    data_type: &str,
    data: Vec<u8>,
    out: &mut Vec<UsageEvent>,
) {
    let json = match data_type {
        "zstd" => {
            let mut text = Vec::new();
            let decoded = ruzstd::decoding::StreamingDecoder::new(data.as_slice())
                .map_err(|e| e.to_string())
                .and_then(|mut d| d.read_to_end(&mut text).map_err(|e| e.to_string()));
            if decoded.is_err() {
                return;
            }
            text
        }
        _ => data,
    };
    let Ok(thread) = serde_json::from_slice::<Thread>(&json) else {
        return;
    };
    let provider = thread
        .model
        .as_ref()
        .and_then(|m| m.provider.as_deref())
        .unwrap_or_default();
    if EXTERNAL_AGENTS.contains(&provider) {
        return;
    }
    let model = thread
        .model
        .as_ref()
        .and_then(|m| m.model.as_deref())
        .map_or_else(Model::unknown, Model::new);
    let Some(seen_at) = crate::timestamp::parse_ms(updated) else {
        return;
    };
    for (request, u) in &thread.request_token_usage {
        let tokens = Tokens {
            input: u.input_tokens.unwrap_or(0),
            cache_read: u.cache_read_input_tokens.unwrap_or(0),
            cache_write: u.cache_creation_input_tokens.unwrap_or(0),
            output: u.output_tokens.unwrap_or(0),
            reasoning: 0,
        };
        if tokens.is_zero() {
            continue;
        }
        out.push(
            UsageEvent::logged(
                Tool::Zed,
                seen_at,
                Key::of(&[id.as_bytes()]),
                Key::of(&[id.as_bytes(), request.as_bytes()]),
                model.clone(),
                tokens,
            )
            // Equal counts tie on time: the earliest sighting wins.
            .ranked(Rank::most_complete(&tokens, -seen_at)),
        );
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params};
    use tokentally_event::Tool::Zed;

    use crate::{
        Env,
        platform::Os,
        testkit::{Sandbox, Sums},
    };

    fn put(db: &Connection, id: &str, updated: &str, json: &str) {
        let data = ruzstd::encoding::compress_to_vec(
            json.as_bytes(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        db.execute(
            "INSERT INTO threads VALUES (?1, 'TTCANARY-zed-summary', ?2, 'zstd', ?3, NULL)
             ON CONFLICT (id) DO UPDATE SET updated_at = ?2, data = ?3",
            params![id, updated, data],
        )
        .unwrap();
    }

    #[test]
    fn requests_count_once_dated_when_first_seen_and_external_agents_are_skipped() {
        let mut s = Sandbox::new();
        let path = s.home().join(".local/share/zed/threads/threads.db");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "PRAGMA journal_mode = wal;
             CREATE TABLE threads (id TEXT PRIMARY KEY, summary TEXT, updated_at TEXT, data_type TEXT, data BLOB, parent_id TEXT);",
        )
        .unwrap();
        let one = r#"{"model":{"provider":"anthropic","model":"claude-sonnet-4-5"},"messages":[{"text":"TTCANARY-zed-text"}],"request_token_usage":{"req-a1":{"input_tokens":30,"output_tokens":410,"cache_creation_input_tokens":2500,"cache_read_input_tokens":18000}}}"#;
        put(&db, "t1", "2026-03-05T10:00:00Z", one);
        put(
            &db,
            "t2",
            "2026-03-05T10:00:00Z",
            r#"{"model":{"provider":"claude_code","model":"claude-sonnet-4-5"},"request_token_usage":{"r":{"input_tokens":1,"output_tokens":1}}}"#,
        );
        s.scan();
        // Saved again a day later with a second request.
        let two = one.replace("}}}", r#"},"req-a2":{"input_tokens":5,"output_tokens":50,"cache_creation_input_tokens":0,"cache_read_input_tokens":20000}}}"#);
        put(&db, "t1", "2026-03-06T09:00:00Z", &two);
        s.scan();
        let first = Sums {
            input: 30,
            cache_read: 18_000,
            cache_write: 2500,
            output: 410,
            reasoning: 0,
            calls: 1,
        };
        assert_eq!(s.get("2026-03-05", Zed, "claude-sonnet-4-5"), first);
        assert_eq!(s.get("2026-03-06", Zed, "claude-sonnet-4-5").calls, 1);
        s.assert_no_canary_in_ledger();
    }

    #[test]
    fn zed_database_per_os() {
        let env = Env::from_pairs([("HOME", "/h"), ("LOCALAPPDATA", "C:/Users/a/AppData/Local")]);
        assert_eq!(
            super::Zed::database_for(&env, Os::Linux),
            Some("/h/.local/share/zed/threads/threads.db".into())
        );
        assert_eq!(
            super::Zed::database_for(&env, Os::MacOs),
            Some("/h/Library/Application Support/Zed/threads/threads.db".into())
        );
        assert_eq!(
            super::Zed::database_for(&env, Os::Windows),
            Some("C:/Users/a/AppData/Local/Zed/threads/threads.db".into())
        );
    }
}
