//! GitHub Copilot Chat in VS Code (and its forks): chat sessions in
//! `<editor>/User/workspaceStorage/<hash>/chatSessions/` and
//! `<editor>/User/globalStorage/emptyWindowChatSessions/`.
//!
//! Legacy sessions are whole JSON documents; current ones are JSONL
//! operation logs (`kind` 0: a snapshot, 1: set a value at a path, 2:
//! append to an array) that are replayed, in memory, into the same
//! document. Each request is one call, keyed by (session, request id).
//! Copilot writes `promptTokens` / `outputTokens` for some requests only;
//! the others are counted from their text with a tokenizer and labelled
//! `estimated`. The text is read, counted and dropped; it is never kept.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tokentally_event::{Key, Model, Provenance, Tokens, Tool, UsageEvent};

use super::{Collector, Format, WholeError, WholeFormat};
use crate::{
    Env,
    platform::{Os, vscode_user_data_dirs},
};

/// The Copilot Chat collector.
pub struct Copilot;

impl Copilot {
    /// The session folders' parents for one OS.
    pub fn roots_for(env: &Env, os: Os) -> Vec<PathBuf> {
        vscode_user_data_dirs(env, os)
            .into_iter()
            .flat_map(|d| {
                let user = d.join("User");
                [
                    user.join("workspaceStorage"),
                    user.join("globalStorage").join("emptyWindowChatSessions"),
                ]
            })
            .collect()
    }
}

impl Collector for Copilot {
    fn tool(&self) -> Tool {
        Tool::Copilot
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        Copilot::roots_for(env, Os::current())
    }

    fn is_log(&self, path: &Path) -> bool {
        let folder = path.parent().and_then(|p| p.file_name());
        folder.is_some_and(|f| f == "chatSessions" || f == "emptyWindowChatSessions")
            && path
                .extension()
                .is_some_and(|e| e == "json" || e == "jsonl")
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

impl WholeFormat for Copilot {
    fn read(
        &self,
        path: &Path,
        _state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        self.read_bytes(path, &std::fs::read(path)?, out)
    }
}

impl Copilot {
    /// Reads a session's bytes; `path` tells JSONL from JSON and names a
    /// session without an id.
    pub(crate) fn read_bytes(
        &self,
        path: &Path,
        bytes: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let malformed = |detail: String| WholeError::Malformed {
            what: "Copilot chat session",
            detail,
        };
        let doc = if path.extension().is_some_and(|e| e == "jsonl") {
            replay(bytes).map_err(malformed)?
        } else {
            serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?
        };
        let session = doc["sessionId"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| {
                path.file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            });
        for (index, request) in doc["requests"].as_array().into_iter().flatten().enumerate() {
            out.extend(event(&session, index, request));
        }
        Ok(Vec::new())
    }
}

/// Replays an operation log into the document it describes.
fn replay(bytes: &[u8]) -> Result<Value, String> {
    let mut doc = Value::Null;
    for line in bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.trim_ascii().is_empty())
    {
        // A half-written last line waits for the next read.
        let Ok(op) = serde_json::from_slice::<Value>(line) else {
            continue;
        };
        let path: Vec<&Value> = op["k"]
            .as_array()
            .map(|k| k.iter().collect())
            .unwrap_or_default();
        match op["kind"].as_u64() {
            Some(0) => doc = op["v"].clone(),
            Some(1) => *at(&mut doc, &path) = op["v"].clone(),
            Some(2) => {
                let target = at(&mut doc, &path);
                if !target.is_array() {
                    *target = Value::Array(Vec::new());
                }
                if let (Value::Array(items), Value::Array(new)) = (target, &op["v"]) {
                    items.extend(new.iter().cloned());
                }
            }
            _ => return Err(format!("unknown operation kind {}", op["kind"])),
        }
    }
    Ok(doc)
}

/// The value at a path of keys and indexes, created as needed.
/// The largest array index an operation may pad up to.
const MAX_INDEX: usize = 1 << 16;

fn at<'a>(doc: &'a mut Value, path: &[&Value]) -> &'a mut Value {
    let mut here = doc;
    for step in path {
        here = match step {
            Value::Number(n) => {
                let i = n.as_u64().unwrap_or(0) as usize;
                if !here.is_array() {
                    *here = Value::Array(Vec::new());
                }
                let Value::Array(items) = here else {
                    unreachable!("BUG: made an array above")
                };
                // Padding to a far index would take any memory; no session
                // has this many requests or parts, so it lands at the end.
                let i = if i > MAX_INDEX { items.len() } else { i };
                if items.len() <= i {
                    items.resize(i + 1, Value::Null);
                }
                &mut items[i]
            }
            key => {
                if !here.is_object() {
                    *here = Value::Object(serde_json::Map::new());
                }
                let Value::Object(map) = here else {
                    unreachable!("BUG: made an object above")
                };
                map.entry(key.as_str().unwrap_or_default())
                    .or_insert(Value::Null)
            }
        };
    }
    here
}

/// `copilot/gpt-5` → `gpt-5`; routed ids keep their last segment.
fn model_name(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

fn event(session: &str, index: usize, request: &Value) -> Option<UsageEvent> {
    let at_ms = request["timestamp"].as_i64()?;
    let model = request["modelId"]
        .as_str()
        .map(model_name)
        .unwrap_or(Model::UNKNOWN);
    let metadata = &request["result"]["metadata"];
    let reported_in = metadata["promptTokens"].as_u64();
    let reported_out = metadata["outputTokens"].as_u64();
    let input =
        reported_in.unwrap_or_else(|| tokentally_estimate::count(model, &prompt_text(request)));
    let output =
        reported_out.unwrap_or_else(|| tokentally_estimate::count(model, &response_text(request)));
    let tokens = Tokens {
        input,
        output,
        ..Tokens::default()
    };
    if tokens.is_zero() {
        return None;
    }
    let id = request["requestId"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| index.to_string());
    let exact = reported_in.is_some() && reported_out.is_some();
    Some(
        UsageEvent::logged(
            Tool::Copilot,
            at_ms,
            Key::of(&[session.as_bytes()]),
            Key::of(&[session.as_bytes(), id.as_bytes()]),
            Model::new(model),
            tokens,
        )
        .with_provenance(if exact {
            Provenance::Log
        } else {
            Provenance::Estimated
        }),
    )
}

fn prompt_text(request: &Value) -> String {
    request["message"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The reply's text parts and the tool-call rounds' interim replies.
fn response_text(request: &Value) -> String {
    let mut text = String::new();
    for part in request["response"].as_array().into_iter().flatten() {
        text.push_str(part["value"].as_str().unwrap_or_default());
    }
    for round in request["result"]["metadata"]["toolCallRounds"]
        .as_array()
        .into_iter()
        .flatten()
    {
        text.push_str(round["response"].as_str().unwrap_or_default());
    }
    text
}

#[cfg(test)]
#[path = "copilot/tests.rs"]
mod tests;
