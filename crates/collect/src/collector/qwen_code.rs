//! Qwen Code: `~/.qwen/projects/<project>/chats/<session>.jsonl`
//! (`QWEN_HOME` replaces `~/.qwen`).
//!
//! Usage sits on `assistant` records as Gemini-style `usageMetadata`: the
//! prompt count includes cached tokens. Whether thoughts are inside the
//! candidates count depends on the provider path, so it is decided by
//! arithmetic on the total. Forks copy records with their uuids: the uuid is
//! the call key. Telemetry records repeat the usage and are not read.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
    sync::LazyLock,
};

use memchr::memmem::Finder;
use serde::Deserialize;
use tokentally_event::{Key, Model, Tokens, Tool, UsageEvent};

use super::{Collector, Format, LineFormat, LineParser, Skip};
use crate::{Env, timestamp};

/// The Qwen Code collector.
pub struct QwenCode;

impl Collector for QwenCode {
    fn tool(&self) -> Tool {
        Tool::QwenCode
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let root = env
            .var("QWEN_HOME")
            .or_else(|| env.home().map(|h| h.join(".qwen")));
        root.map(|r| vec![r.join("projects")]).unwrap_or_default()
    }

    fn is_log(&self, path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "jsonl")
            && path.components().any(|c| c.as_os_str() == "chats")
    }

    fn format(&self) -> Format<'_> {
        Format::Lines(self)
    }
}

impl LineFormat for QwenCode {
    fn parser(&self, _path: &Path, _state: &[u8]) -> Box<dyn LineParser> {
        Box::new(Parser)
    }
}

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    uuid: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    #[serde(rename = "usageMetadata")]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    prompt_token_count: Option<u64>,
    candidates_token_count: Option<u64>,
    thoughts_token_count: Option<u64>,
    cached_content_token_count: Option<u64>,
    total_token_count: Option<u64>,
}

impl Usage {
    fn tokens(&self) -> Tokens {
        let prompt = self.prompt_token_count.unwrap_or(0);
        let cached = self.cached_content_token_count.unwrap_or(0).min(prompt);
        let thoughts = self.thoughts_token_count.unwrap_or(0);
        let candidates = match (self.candidates_token_count, self.total_token_count) {
            (Some(c), _) => c,
            // Only a total: the remainder is output.
            (None, Some(total)) => total.saturating_sub(prompt),
            (None, None) => 0,
        };
        // Native Gemini path: total = prompt + candidates + thoughts, thoughts
        // outside. OpenAI-compatible path (the usual one): thoughts inside.
        // (A sum past u64 is no total of these.)
        let sum = prompt
            .checked_add(candidates)
            .and_then(|s| s.checked_add(thoughts));
        let outside = sum.is_some() && self.total_token_count == sum && thoughts > 0;
        let output = if outside {
            candidates + thoughts
        } else {
            candidates
        };
        Tokens {
            input: prompt - cached,
            cache_read: cached,
            cache_write: 0,
            output,
            // Inside output, so never more than it, whatever the record says.
            reasoning: thoughts.min(output),
        }
    }
}

struct Parser;

impl LineParser for Parser {
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip> {
        static USAGE: LazyLock<Finder<'static>> =
            LazyLock::new(|| Finder::new(b"\"usageMetadata\""));
        if !super::holds_any(line, std::slice::from_ref(&*USAGE))? {
            return Ok(());
        }
        let record: Record<'_> = serde_json::from_slice(line).map_err(|_| Skip::Malformed)?;
        if record.kind.as_deref() != Some("assistant") {
            return Ok(());
        }
        let Some(usage) = record.usage else {
            return Ok(());
        };
        let uuid = record
            .uuid
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or(Skip::Incomplete)?;
        let at_ms = record
            .timestamp
            .as_deref()
            .and_then(timestamp::parse_ms)
            .ok_or(Skip::Incomplete)?;
        let tokens = usage.tokens();
        if tokens.is_zero() {
            return Ok(());
        }
        out.push(
            UsageEvent::logged(
                Tool::QwenCode,
                at_ms,
                Key::of(&[record.session_id.as_deref().unwrap_or_default().as_bytes()]),
                Key::of(&[uuid.as_bytes()]),
                record
                    .model
                    .as_deref()
                    .map_or_else(Model::unknown, Model::new),
                tokens,
            )
            .at_offset(offset),
        );
        Ok(())
    }
}

#[cfg(test)]
#[path = "qwen_code/tests.rs"]
mod tests;
