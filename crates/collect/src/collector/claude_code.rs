//! Claude Code: `projects/**/*.jsonl` under `$CLAUDE_CONFIG_DIR`, else
//! `~/.claude` and `~/.config/claude`.
//!
//! One call is one (message.id, requestId), or message.id alone where the
//! request id is missing. Claude Code writes a line per content block, each
//! with the usage so far: the store keeps the most complete one
//! ([`Rank::most_complete`]). A sidechain line that reuses a message id
//! under a new request id is a replay of the parent's call: the store drops
//! it once the parent is known, in whichever order they are read.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
    sync::LazyLock,
};

use memchr::memmem::Finder;
use serde::Deserialize;
use tokentally_event::{Key, Lineage, Model, Tokens, Tool, UsageEvent};

use super::{Collector, Format, LineFormat, LineParser, Skip};
use crate::{Env, timestamp};

/// The Claude Code collector.
pub struct ClaudeCode;

impl Collector for ClaudeCode {
    fn tool(&self) -> Tool {
        Tool::ClaudeCode
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        if let Some(dir) = env.var("CLAUDE_CONFIG_DIR") {
            return vec![dir.join("projects")];
        }
        let mut roots = Vec::new();
        if let Some(home) = env.home() {
            roots.push(home.join(".claude").join("projects"));
        }
        if let Some(config) = env.xdg_config_home() {
            roots.push(config.join("claude").join("projects"));
        }
        roots
    }

    fn is_log(&self, path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "jsonl")
    }

    fn format(&self) -> Format<'_> {
        Format::Lines(self)
    }
}

impl LineFormat for ClaudeCode {
    fn parser(&self, path: &Path, _state: &[u8]) -> Box<dyn LineParser> {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        Box::new(Parser {
            fallback_session: Key::of(&[stem.unwrap_or_default().as_bytes()]),
        })
    }
}

struct Parser {
    /// Used when a line has no sessionId: the file name is the session id.
    fallback_session: Key,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(rename = "sessionId", borrow)]
    session_id: Option<Cow<'a, str>>,
    #[serde(rename = "requestId", borrow)]
    request_id: Option<Cow<'a, str>>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(borrow)]
    message: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    usage: Option<Usage>,
}

// Some gateways write null counts: null is zero.
#[derive(Deserialize)]
struct Usage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation: Option<CacheCreation>,
}

#[derive(Deserialize)]
struct CacheCreation {
    ephemeral_5m_input_tokens: Option<u64>,
    ephemeral_1h_input_tokens: Option<u64>,
}

impl Usage {
    fn tokens(&self) -> Tokens {
        // The flat field is the total of the split; the split alone is used
        // only when a writer left the flat field out.
        let split = self.cache_creation.as_ref().map(|c| {
            let five = c.ephemeral_5m_input_tokens.unwrap_or(0);
            five.saturating_add(c.ephemeral_1h_input_tokens.unwrap_or(0))
        });
        Tokens {
            input: self.input_tokens.unwrap_or(0),
            cache_read: self.cache_read_input_tokens.unwrap_or(0),
            cache_write: self.cache_creation_input_tokens.or(split).unwrap_or(0),
            output: self.output_tokens.unwrap_or(0),
            reasoning: 0,
        }
    }
}

const SYNTHETIC_MODEL: &str = "<synthetic>";

impl LineParser for Parser {
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip> {
        // Only assistant lines with a usage object are calls. The key can
        // only appear unescaped as a JSON key, never inside a string.
        static USAGE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"usage\""));
        if !super::holds_any(line, std::slice::from_ref(&*USAGE))? {
            return Ok(());
        }
        let parsed: Line<'_> = serde_json::from_slice(line).map_err(|_| Skip::Malformed)?;
        if parsed.kind.as_deref() != Some("assistant") {
            return Ok(());
        }
        let Some(message) = parsed.message else {
            return Ok(());
        };
        let Some(usage) = message.usage else {
            return Ok(());
        };
        let model = message.model.as_deref().unwrap_or(Model::UNKNOWN);
        if model == SYNTHETIC_MODEL {
            return Ok(());
        }
        let Some(message_id) = message.id.filter(|id| !id.is_empty()) else {
            return Err(Skip::Incomplete);
        };
        let at_ms = parsed
            .timestamp
            .as_deref()
            .and_then(timestamp::parse_ms)
            .ok_or(Skip::Incomplete)?;
        let tokens = usage.tokens();
        let group = Key::of(&[message_id.as_bytes()]);
        let call = match parsed.request_id.as_deref().filter(|r| !r.is_empty()) {
            Some(request_id) => group.member(&[request_id.as_bytes()]),
            None => group.member(&[]),
        };
        let session = parsed
            .session_id
            .as_deref()
            .map_or(self.fallback_session, |s| Key::of(&[s.as_bytes()]));
        out.push(
            UsageEvent::logged(
                Tool::ClaudeCode,
                at_ms,
                session,
                call,
                Model::new(model),
                tokens,
            )
            .at_offset(offset)
            .with_lineage(Lineage {
                group,
                side_copy: parsed.is_sidechain.unwrap_or(false),
            }),
        );
        Ok(())
    }
}

#[cfg(test)]
#[path = "claude_code/tests.rs"]
mod tests;
