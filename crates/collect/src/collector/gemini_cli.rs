//! Gemini CLI: `~/.gemini/tmp/<project>/chats/**` (`GEMINI_CLI_HOME`
//! replaces the home under which `.gemini` is looked up).
//!
//! Current sessions are JSONL logs that re-append a message, whole, each
//! time it changes: the record with tokens is the one to count, once per
//! (session, message id). `$set` lines may carry messages too. Legacy
//! sessions are whole `.json` documents; a resumed legacy session is copied
//! into a `.jsonl` beside it, and the shared keys count it once.
//! Cached tokens are inside the prompt count; thoughts are outside the
//! candidates count and billed as output.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
    sync::LazyLock,
};

use memchr::memmem::Finder;
use serde::Deserialize;
use tokentally_event::{Key, Model, Tokens, Tool, UsageEvent};

use super::{Collector, Format, LineFormat, LineParser, Skip, WholeError, WholeFormat};
use crate::{Env, timestamp};

/// Gemini CLI's current JSONL sessions.
pub struct GeminiCli;

/// Gemini CLI's legacy whole-JSON sessions.
pub struct GeminiCliLegacy;

fn roots(env: &Env) -> Vec<PathBuf> {
    env.var("GEMINI_CLI_HOME")
        .or_else(|| env.home())
        .map(|home| vec![home.join(".gemini").join("tmp")])
        .unwrap_or_default()
}

fn in_chats(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "chats")
}

impl Collector for GeminiCli {
    fn tool(&self) -> Tool {
        Tool::GeminiCli
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        roots(env)
    }

    fn is_log(&self, path: &Path) -> bool {
        in_chats(path) && path.extension().is_some_and(|e| e == "jsonl")
    }

    fn format(&self) -> Format<'_> {
        Format::Lines(self)
    }
}

impl LineFormat for GeminiCli {
    fn parser(&self, path: &Path, state: &[u8]) -> Box<dyn LineParser> {
        let session = match std::str::from_utf8(state) {
            Ok(saved) if !saved.is_empty() => saved.to_owned(),
            _ => path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
        };
        Box::new(Parser { session })
    }
}

impl Collector for GeminiCliLegacy {
    fn tool(&self) -> Tool {
        Tool::GeminiCli
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        roots(env)
    }

    fn is_log(&self, path: &Path) -> bool {
        in_chats(path) && path.extension().is_some_and(|e| e == "json")
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

impl WholeFormat for GeminiCliLegacy {
    fn read(
        &self,
        path: &Path,
        _state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        self.read_bytes(&std::fs::read(path)?, out)
    }
}

impl GeminiCliLegacy {
    /// Reads a legacy session document's bytes.
    pub(crate) fn read_bytes(
        &self,
        bytes: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let doc: Document<'_> =
            serde_json::from_slice(bytes).map_err(|e| WholeError::Malformed {
                what: "Gemini CLI session",
                detail: e.to_string(),
            })?;
        let session = doc.session_id.as_deref().unwrap_or_default();
        for message in doc.messages.unwrap_or_default() {
            if let Some(event) = message.event(session, 0) {
                out.push(event);
            }
        }
        Ok(Vec::new())
    }
}

#[derive(Deserialize)]
struct Document<'a> {
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    messages: Option<Vec<Message<'a>>>,
}

/// A line (a metadata record, a message, or a `$set` update) or a message
/// inside a document.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(rename = "$set", borrow)]
    set: Option<Document<'a>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    tokens: Option<GeminiTokens>,
}

#[derive(Deserialize)]
struct GeminiTokens {
    input: Option<u64>,
    output: Option<u64>,
    cached: Option<u64>,
    thoughts: Option<u64>,
    tool: Option<u64>,
}

impl Message<'_> {
    fn event(&self, session: &str, offset: u64) -> Option<UsageEvent> {
        if self.kind.as_deref() != Some("gemini") {
            return None;
        }
        let t = self.tokens.as_ref()?;
        let id = self.id.as_deref()?;
        let at_ms = self.timestamp.as_deref().and_then(timestamp::parse_ms)?;
        let input = t.input.unwrap_or(0);
        let cached = t.cached.unwrap_or(0).min(input);
        let thoughts = t.thoughts.unwrap_or(0);
        let tokens = Tokens {
            input: (input - cached).saturating_add(t.tool.unwrap_or(0)),
            cache_read: cached,
            cache_write: 0,
            output: t.output.unwrap_or(0).saturating_add(thoughts),
            reasoning: thoughts,
        };
        Some(
            UsageEvent::logged(
                Tool::GeminiCli,
                at_ms,
                Key::of(&[session.as_bytes()]),
                Key::of(&[session.as_bytes(), id.as_bytes()]),
                self.model
                    .as_deref()
                    .map_or_else(Model::unknown, Model::new),
                tokens,
            )
            // The re-appended record with tokens is the final one; among
            // records with tokens the fullest wins (the default rank).
            .at_offset(offset),
        )
    }
}

struct Parser {
    /// The session id from the metadata record (the file name until then).
    session: String,
}

impl LineParser for Parser {
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip> {
        static WANTED: LazyLock<[Finder<'static>; 2]> =
            LazyLock::new(|| [&b"\"tokens\""[..], b"\"sessionId\""].map(Finder::new));
        if !super::holds_any(line, &WANTED[..])? {
            return Ok(());
        }
        let parsed: Message<'_> = serde_json::from_slice(line).map_err(|_| Skip::Malformed)?;
        if let Some(session) = parsed.session_id.as_deref().filter(|s| !s.is_empty()) {
            self.session = session.to_owned();
        }
        out.extend(parsed.event(&self.session, offset));
        for message in parsed.set.and_then(|s| s.messages).unwrap_or_default() {
            out.extend(message.event(&self.session, offset));
        }
        Ok(())
    }

    fn state(&self) -> Vec<u8> {
        self.session.as_bytes().to_vec()
    }
}

#[cfg(test)]
#[path = "gemini_cli/tests.rs"]
mod tests;
