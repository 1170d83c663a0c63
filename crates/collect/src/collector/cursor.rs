//! Cursor: `<Cursor>/User/globalStorage/state.vscdb`, a SQLite key-value
//! store (`~/.config/Cursor`, `~/Library/Application Support/Cursor`,
//! `%APPDATA%\Cursor`).
//!
//! Only `cursorDiskKV` rows whose key starts with `bubbleId:` are read: the
//! same database holds Cursor's credentials in other keys, which are never
//! queried. An assistant bubble (type 2) is one call, keyed by its row key
//! (rows are rewritten when streaming ends). Older builds wrote
//! `tokenCount` on the final bubble; current builds leave it at zero, so
//! such a call is counted from text: its reply, and the user message that
//! preceded it in the same conversation, labelled `estimated`. That misses
//! the context Cursor adds (files, rules, history): the estimate is low.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use serde::Deserialize;
use tokentally_event::{Key, Model, Provenance, Tokens, Tool, UsageEvent};

use super::{
    Collector, Format, Stamp, WholeError, WholeFormat,
    sqlite::{open_read_only, sqlite_stamp},
};
use crate::{
    Env,
    platform::{Os, config_dir},
    timestamp,
};

/// The Cursor collector.
pub struct Cursor;

impl Cursor {
    /// The database on one OS (a file root: the folder beside it holds
    /// every extension's storage and is not walked).
    pub fn root_for(env: &Env, os: Os) -> Option<PathBuf> {
        config_dir(env, os).map(|c| {
            c.join("Cursor")
                .join("User")
                .join("globalStorage")
                .join("state.vscdb")
        })
    }
}

impl Collector for Cursor {
    fn tool(&self) -> Tool {
        Tool::Cursor
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        Cursor::root_for(env, Os::current()).into_iter().collect()
    }

    fn is_log(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "state.vscdb")
            && path
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|p| p == "globalStorage")
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bubble {
    #[serde(rename = "type")]
    kind: Option<u8>,
    created_at: Option<String>,
    text: Option<String>,
    token_count: Option<TokenCount>,
    model_info: Option<ModelInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenCount {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModelInfo {
    model_name: Option<String>,
}

impl WholeFormat for Cursor {
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
        // Bubbles per conversation, in time order, so each reply can find
        // the user message before it.
        let mut stmt =
            conn.prepare("SELECT key, value FROM cursorDiskKV WHERE key LIKE 'bubbleId:%'")?;
        let mut conversations: HashMap<String, Vec<(i64, String, Bubble)>> = HashMap::new();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let key: String = row.get(0)?;
            let Ok(value) = row.get::<_, String>(1) else {
                continue;
            };
            let Ok(bubble) = serde_json::from_str::<Bubble>(&value) else {
                continue;
            };
            let Some(at_ms) = bubble.created_at.as_deref().and_then(timestamp::parse_ms) else {
                continue;
            };
            let composer = key.split(':').nth(1).unwrap_or_default().to_owned();
            conversations
                .entry(composer)
                .or_default()
                .push((at_ms, key, bubble));
        }
        for (composer, mut bubbles) in conversations {
            bubbles.sort_by_key(|(at, _, _)| *at);
            let mut prompt = String::new();
            for (at_ms, key, bubble) in bubbles {
                match bubble.kind {
                    Some(1) => prompt = bubble.text.unwrap_or_default(),
                    Some(2) => out.extend(event(&composer, &key, at_ms, &bubble, &prompt)),
                    _ => {}
                }
            }
        }
        Ok(Vec::new())
    }
}

fn event(
    composer: &str,
    key: &str,
    at_ms: i64,
    bubble: &Bubble,
    prompt: &str,
) -> Option<UsageEvent> {
    let name = bubble
        .model_info
        .as_ref()
        .and_then(|m| m.model_name.as_deref())
        .filter(|m| !m.is_empty() && *m != "default");
    let counted = bubble
        .token_count
        .as_ref()
        .map(|t| (t.input_tokens.unwrap_or(0), t.output_tokens.unwrap_or(0)));
    let (tokens, provenance) = match counted {
        Some((input, output)) if input + output > 0 => (
            Tokens {
                input,
                output,
                ..Tokens::default()
            },
            Provenance::Log,
        ),
        _ => {
            let model = name.unwrap_or(Model::UNKNOWN);
            let output =
                tokentally_estimate::count(model, bubble.text.as_deref().unwrap_or_default());
            let input = tokentally_estimate::count(model, prompt);
            (
                Tokens {
                    input,
                    output,
                    ..Tokens::default()
                },
                Provenance::Estimated,
            )
        }
    };
    if tokens.is_zero() {
        return None;
    }
    Some(
        UsageEvent::logged(
            Tool::Cursor,
            at_ms,
            Key::of(&[composer.as_bytes()]),
            Key::of(&[key.as_bytes()]),
            // "default" is Cursor's Auto mode: the real model is unknown.
            name.map_or_else(Model::unknown, Model::new),
            tokens,
        )
        .with_provenance(provenance),
    )
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params};
    use tokentally_event::Tool::Cursor;

    use crate::{
        Env,
        platform::Os,
        testkit::{Sandbox, Sums},
    };

    #[test]
    fn counted_bubbles_are_exact_others_estimated_and_credentials_never_read() {
        let mut s = Sandbox::new();
        let path = s
            .home()
            .join(".config/Cursor/User/globalStorage/state.vscdb");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "PRAGMA journal_mode = wal;
             CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
             CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
             INSERT INTO ItemTable VALUES ('cursorAuth/accessToken', 'TTCANARY-cursor-secret');",
        )
        .unwrap();
        let put = |key: &str, value: &str| {
            db.execute(
                "INSERT INTO cursorDiskKV VALUES (?1, ?2)",
                params![key, value],
            )
            .unwrap()
        };
        put(
            "composerData:c1",
            r#"{"createdAt":1770724800000,"contextTokensUsed":5000}"#,
        );
        put(
            "bubbleId:c1:b1",
            r#"{"type":1,"createdAt":"2026-02-10T12:00:00.000Z","text":"hello world"}"#,
        );
        put(
            "bubbleId:c1:b2",
            r#"{"type":2,"createdAt":"2026-02-10T12:00:03.000Z","requestId":"r-1","text":"The quick brown fox jumps over the lazy dog.","tokenCount":{"inputTokens":0,"outputTokens":0},"modelInfo":{"modelName":"gpt-4o"}}"#,
        );
        put(
            "bubbleId:c1:b3",
            r#"{"type":1,"createdAt":"2026-02-10T12:01:00.000Z","text":"TTCANARY-cursor-prompt"}"#,
        );
        put(
            "bubbleId:c1:b4",
            r#"{"type":2,"createdAt":"2026-02-10T12:01:05.000Z","requestId":"r-2","text":"TTCANARY-cursor-answer","tokenCount":{"inputTokens":15800,"outputTokens":640},"modelInfo":{"modelName":"claude-4.5-sonnet-thinking"}}"#,
        );
        s.scan();
        assert_eq!(
            s.get("2026-02-10", Cursor, "gpt-4o"),
            Sums {
                input: 2,
                output: 10,
                calls: 1,
                ..Sums::default()
            }
        );
        assert_eq!(
            s.get("2026-02-10", Cursor, "claude-4.5-sonnet-thinking"),
            Sums {
                input: 15_800,
                output: 640,
                calls: 1,
                ..Sums::default()
            }
        );
        assert_eq!(s.estimated_calls(Cursor), 1);
        s.assert_no_canary_in_ledger();
    }

    #[test]
    fn cursor_data_per_os() {
        let env = Env::from_pairs([("HOME", "/h"), ("APPDATA", "C:/Users/a/AppData/Roaming")]);
        assert_eq!(
            super::Cursor::root_for(&env, Os::MacOs),
            Some("/h/Library/Application Support/Cursor/User/globalStorage/state.vscdb".into())
        );
        assert_eq!(
            super::Cursor::root_for(&env, Os::Windows),
            Some("C:/Users/a/AppData/Roaming/Cursor/User/globalStorage/state.vscdb".into())
        );
        assert_eq!(
            super::Cursor::root_for(&env, Os::Linux),
            Some("/h/.config/Cursor/User/globalStorage/state.vscdb".into())
        );
    }
}
