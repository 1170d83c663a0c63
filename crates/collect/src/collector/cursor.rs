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

/// Rows read again below the last one seen: a bubble Cursor rewrites in
/// place while its reply streams keeps its row id for a while after.
const LOOKBACK_ROWS: i64 = 5_000;

type Conversations = HashMap<String, Vec<(i64, String, Bubble)>>;

impl WholeFormat for Cursor {
    fn stamp(&self, path: &Path) -> std::io::Result<Stamp> {
        sqlite_stamp(path)
    }

    /// The database can hold gigabytes of bubbles: after the first read,
    /// only conversations with rows above the last row id seen (less a
    /// lookback) are read again. A drop of the highest row id (a VACUUM, a
    /// recreated file) means a full read.
    fn read(
        &self,
        path: &Path,
        state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let conn = open_read_only(path)?;
        let top: i64 = conn.query_row(
            "SELECT coalesce(max(rowid), 0) FROM cursorDiskKV",
            [],
            |r| r.get(0),
        )?;
        let seen = state.try_into().map(i64::from_le_bytes).unwrap_or(0);
        let mut conversations = Conversations::new();
        if seen == 0 || top < seen {
            let mut stmt = conn.prepare(
                "SELECT key, value FROM cursorDiskKV WHERE key >= 'bubbleId:' AND key < 'bubbleId;'",
            )?;
            collect_bubbles(stmt.query([])?, &mut conversations)?;
        } else {
            let mut changed = conn.prepare(
                "SELECT DISTINCT substr(key, 10, instr(substr(key, 10), ':') - 1) FROM cursorDiskKV
                 WHERE rowid > ?1 AND key >= 'bubbleId:' AND key < 'bubbleId;'",
            )?;
            let composers: Vec<String> = changed
                .query_map([seen - LOOKBACK_ROWS], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            // A conversation is read whole: a new reply's prompt may be older.
            let mut stmt =
                conn.prepare("SELECT key, value FROM cursorDiskKV WHERE key >= ?1 AND key < ?2")?;
            for composer in composers {
                let (low, high) = (
                    format!("bubbleId:{composer}:"),
                    format!("bubbleId:{composer};"),
                );
                collect_bubbles(stmt.query([low, high])?, &mut conversations)?;
            }
        }
        conversation_events(conversations, out);
        Ok(top.to_le_bytes().to_vec())
    }
}

/// The calls of the bubbles read, conversation by conversation.
fn conversation_events(conversations: Conversations, out: &mut Vec<UsageEvent>) {
    for (composer, mut bubbles) in conversations {
        // In time order, so each reply can find the user message before it.
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
}

/// The calls of `(key, value)` rows of `cursorDiskKV`, as [`Cursor`] reads them.
pub(crate) fn bubble_events(rows: &[(String, String)], out: &mut Vec<UsageEvent>) {
    let mut conversations = Conversations::new();
    for (key, value) in rows {
        add_bubble(key.clone(), value, &mut conversations);
    }
    conversation_events(conversations, out);
}

fn collect_bubbles(
    mut rows: rusqlite::Rows<'_>,
    conversations: &mut Conversations,
) -> rusqlite::Result<()> {
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        let Ok(value) = row.get::<_, String>(1) else {
            continue;
        };
        add_bubble(key, &value, conversations);
    }
    Ok(())
}

/// Files one row's bubble under its conversation; rows that are not
/// bubbles with a time are passed over.
fn add_bubble(key: String, value: &str, conversations: &mut Conversations) {
    let Ok(bubble) = serde_json::from_str::<Bubble>(value) else {
        return;
    };
    let Some(at_ms) = bubble.created_at.as_deref().and_then(timestamp::parse_ms) else {
        return;
    };
    let composer = key.split(':').nth(1).unwrap_or_default().to_owned();
    conversations
        .entry(composer)
        .or_default()
        .push((at_ms, key, bubble));
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
        Some((input, output)) if input > 0 || output > 0 => (
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
#[path = "cursor/tests.rs"]
mod tests;
