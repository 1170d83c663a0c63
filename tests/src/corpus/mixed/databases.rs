//! The tools that keep a SQLite database, for the mixed machine.

use rusqlite::{Connection, params};
use serde_json::json;

use super::Mixed;
use crate::corpus::{Call, iso};

fn open(path: &std::path::Path, schema: &str) -> rusqlite::Result<Connection> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    }
    let db = Connection::open(path)?;
    db.execute_batch(schema)?;
    Ok(db)
}

impl Mixed<'_> {
    /// OpenCode or Kilo CLI: a message of several steps, whose own tokens
    /// are the last step's.
    pub(super) fn opencode(&mut self, name: &str, tool: &str, scale: u64) -> rusqlite::Result<()> {
        let db = open(
            &self.home.join(format!(".local/share/{name}/{name}.db")),
            "PRAGMA journal_mode = wal;
             CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
             CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);",
        )?;
        db.execute_batch("BEGIN")?;
        for m in 0..6 * scale {
            let at_ms = self.time();
            let mut sum = Call {
                at_ms,
                input: 0,
                cache_read: 0,
                cache_write: 0,
                output: 0,
                reasoning: 0,
            };
            let mut last = json!({});
            for s in 0..self.n(1, 4) {
                let (input, output, read) = (self.n(10, 900), self.n(10, 900), self.n(0, 9000));
                last = json!({"input": input, "output": output, "reasoning": 0, "cache": {"read": read, "write": 0}});
                db.execute(
                    "INSERT INTO part VALUES (?1, ?2, 's', 0, 0, ?3)",
                    params![
                        format!("p{m}-{s}"),
                        format!("m{m}"),
                        json!({"type": "step-finish", "tokens": last}).to_string()
                    ],
                )?;
                sum.input += input;
                sum.output += output;
                sum.cache_read += read;
            }
            let data = json!({"role": "assistant", "time": {"created": at_ms}, "modelID": "claude-opus-4-1", "tokens": last});
            db.execute(
                "INSERT INTO message VALUES (?1, 's', ?2, ?2, ?3)",
                params![format!("m{m}"), at_ms, data.to_string()],
            )?;
            self.truth.count(tool, "claude-opus-4-1", sum);
        }
        db.execute_batch("COMMIT")
    }

    /// Goose: session counters, read once, counted in full on their day.
    pub(super) fn goose(&mut self, scale: u64) -> rusqlite::Result<()> {
        let db = open(
            &self.home.join(".local/share/goose/sessions/sessions.db"),
            "CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT, updated_at TEXT, input_tokens INTEGER, output_tokens INTEGER,
                accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER, model_config_json TEXT);",
        )?;
        for s in 0..3 * scale {
            let at_ms = self.time() / 1000 * 1000;
            let (input, output) = (self.n(1000, 90_000), self.n(100, 9000));
            let updated = jiff::Timestamp::from_millisecond(at_ms)
                .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            db.execute(
                "INSERT INTO sessions VALUES (?1, ?2, ?3, 0, 0, ?4, ?5, '{\"model_name\":\"gpt-5\"}')",
                params![format!("g{s}"), self.text.piece(20), updated, input as i64, output as i64],
            )?;
            self.truth.count(
                "goose",
                "gpt-5",
                Call {
                    at_ms,
                    input,
                    cache_read: 0,
                    cache_write: 0,
                    output,
                    reasoning: 0,
                },
            );
        }
        Ok(())
    }

    /// Cursor: counted bubbles of old builds (exact), keyed by row.
    pub(super) fn cursor(&mut self, scale: u64) -> rusqlite::Result<()> {
        let db = open(
            &self
                .home
                .join(".config/Cursor/User/globalStorage/state.vscdb"),
            "PRAGMA journal_mode = wal;
             CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
             CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);",
        )?;
        db.execute_batch("BEGIN")?;
        for c in 0..3 * scale {
            for b in 0..self.n(1, 5) {
                let at_ms = self.time();
                let (input, output) = (self.n(1000, 40_000), self.n(10, 2000));
                let prompt =
                    json!({"type": 1, "createdAt": iso(at_ms - 1000), "text": self.text.piece(80)});
                let reply = json!({"type": 2, "createdAt": iso(at_ms), "text": self.text.piece(80),
                    "tokenCount": {"inputTokens": input, "outputTokens": output},
                    "modelInfo": {"modelName": "claude-4.5-sonnet"}});
                for (key, value) in [
                    (format!("bubbleId:c{c}:u{b}"), prompt),
                    (format!("bubbleId:c{c}:a{b}"), reply),
                ] {
                    db.execute(
                        "INSERT INTO cursorDiskKV VALUES (?1, ?2)",
                        params![key, value.to_string()],
                    )?;
                }
                self.truth.count(
                    "cursor",
                    "claude-4.5-sonnet",
                    Call {
                        at_ms,
                        input,
                        cache_read: 0,
                        cache_write: 0,
                        output,
                        reasoning: 0,
                    },
                );
            }
        }
        db.execute_batch("COMMIT")
    }

    /// Zed: zstd-compressed threads whose requests are dated by the row.
    pub(super) fn zed(&mut self, scale: u64) -> rusqlite::Result<()> {
        let db = open(
            &self.home.join(".local/share/zed/threads/threads.db"),
            "PRAGMA journal_mode = wal;
             CREATE TABLE threads (id TEXT PRIMARY KEY, summary TEXT, updated_at TEXT, data_type TEXT, data BLOB, parent_id TEXT);",
        )?;
        db.execute_batch("BEGIN")?;
        for t in 0..3 * scale {
            let at_ms = self.time() / 1000 * 1000;
            let mut usage = serde_json::Map::new();
            for r in 0..self.n(1, 4) {
                let (input, output, cw, cr) = (
                    self.n(1, 200),
                    self.n(10, 900),
                    self.n(0, 3000),
                    self.n(0, 30_000),
                );
                usage.insert(
                    format!("req-{t}-{r}"),
                    json!({"input_tokens": input, "output_tokens": output,
                    "cache_creation_input_tokens": cw, "cache_read_input_tokens": cr}),
                );
                self.truth.count(
                    "zed",
                    "claude-sonnet-4-5",
                    Call {
                        at_ms,
                        input,
                        cache_read: cr,
                        cache_write: cw,
                        output,
                        reasoning: 0,
                    },
                );
            }
            let thread = json!({"model": {"provider": "anthropic", "model": "claude-sonnet-4-5"},
                "messages": [{"text": self.text.piece(80)}], "request_token_usage": usage});
            let data = ruzstd::encoding::compress_to_vec(
                thread.to_string().as_bytes(),
                ruzstd::encoding::CompressionLevel::Fastest,
            );
            db.execute(
                "INSERT INTO threads VALUES (?1, ?2, ?3, 'zstd', ?4, NULL)",
                params![format!("t{t}"), self.text.piece(20), iso(at_ms), data],
            )?;
        }
        db.execute_batch("COMMIT")
    }
}
