//! Amp: one JSON document per thread, `~/.local/share/amp/threads/T-*.json`
//! (the same XDG path on every OS as far as is known), rewritten whole.
//!
//! Current threads carry usage on assistant messages; legacy threads keep a
//! `usageLedger` whose events point at messages. Both are keyed by (thread,
//! message id), so a thread holding both counts each message once. The
//! fields are additive (Anthropic convention).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokentally_event::{Key, Model, Tokens, Tool, UsageEvent};

use super::{Collector, Format, WholeError, WholeFormat};
use crate::{Env, platform::xdg_data_home, timestamp};

/// The Amp collector.
pub struct Amp;

impl Collector for Amp {
    fn tool(&self) -> Tool {
        Tool::Amp
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        xdg_data_home(env)
            .map(|d| vec![d.join("amp").join("threads")])
            .unwrap_or_default()
    }

    fn is_log(&self, path: &Path) -> bool {
        let name = path.file_name().map(|n| n.to_string_lossy());
        name.is_some_and(|n| n.starts_with("T-") && n.ends_with(".json"))
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Thread {
    id: Option<String>,
    #[serde(default)]
    messages: Vec<Message>,
    usage_ledger: Option<Ledger>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    role: Option<String>,
    message_id: Option<i64>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Usage {
    model: Option<String>,
    timestamp: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    total_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Ledger {
    #[serde(default)]
    events: Vec<LedgerEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LedgerEvent {
    timestamp: Option<String>,
    model: Option<String>,
    tokens: Option<LedgerTokens>,
    to_message_id: Option<i64>,
}

#[derive(Deserialize)]
struct LedgerTokens {
    input: Option<u64>,
    output: Option<u64>,
}

impl Usage {
    fn tokens(&self) -> Tokens {
        let split = [
            self.input_tokens,
            self.output_tokens,
            self.cache_creation_input_tokens,
            self.cache_read_input_tokens,
        ];
        if split.iter().all(Option::is_none) {
            // Only a total: its split is unknown, so it is kept as input.
            return Tokens {
                input: self.total_tokens.unwrap_or(0),
                ..Tokens::default()
            };
        }
        Tokens {
            input: self.input_tokens.unwrap_or(0),
            cache_read: self.cache_read_input_tokens.unwrap_or(0),
            cache_write: self.cache_creation_input_tokens.unwrap_or(0),
            output: self.output_tokens.unwrap_or(0),
            reasoning: 0,
        }
    }
}

impl WholeFormat for Amp {
    fn read(
        &self,
        path: &Path,
        _state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        self.read_bytes(path, &std::fs::read(path)?, out)
    }
}

impl Amp {
    /// Reads a thread's bytes; `path` only names a thread without an id.
    pub(crate) fn read_bytes(
        &self,
        path: &Path,
        bytes: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let thread: Thread = serde_json::from_slice(bytes).map_err(|e| WholeError::Malformed {
            what: "Amp thread",
            detail: e.to_string(),
        })?;
        let id = thread.id.clone().unwrap_or_else(|| {
            path.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        });
        let mut push =
            |message_id: i64, model: Option<&str>, time: Option<&str>, tokens: Tokens| {
                let Some(at_ms) = time.and_then(timestamp::parse_ms) else {
                    return;
                };
                if tokens.is_zero() {
                    return;
                }
                out.push(UsageEvent::logged(
                    Tool::Amp,
                    at_ms,
                    Key::of(&[id.as_bytes()]),
                    Key::of(&[id.as_bytes(), &message_id.to_be_bytes()]),
                    model.map_or_else(Model::unknown, Model::new),
                    tokens,
                ));
            };
        for m in thread
            .messages
            .iter()
            .filter(|m| m.role.as_deref() == Some("assistant"))
        {
            if let (Some(message_id), Some(u)) = (m.message_id, &m.usage) {
                push(
                    message_id,
                    u.model.as_deref(),
                    u.timestamp.as_deref(),
                    u.tokens(),
                );
            }
        }
        for e in thread.usage_ledger.map(|l| l.events).unwrap_or_default() {
            let Some(message_id) = e.to_message_id else {
                continue;
            };
            // Cache counts live on the message the event points at.
            let cache = thread
                .messages
                .iter()
                .find(|m| m.message_id == Some(message_id))
                .and_then(|m| m.usage.as_ref());
            let tokens = Tokens {
                input: e.tokens.as_ref().and_then(|t| t.input).unwrap_or(0),
                output: e.tokens.as_ref().and_then(|t| t.output).unwrap_or(0),
                cache_read: cache.and_then(|u| u.cache_read_input_tokens).unwrap_or(0),
                cache_write: cache
                    .and_then(|u| u.cache_creation_input_tokens)
                    .unwrap_or(0),
                reasoning: 0,
            };
            push(
                message_id,
                e.model.as_deref(),
                e.timestamp.as_deref(),
                tokens,
            );
        }
        Ok(Vec::new())
    }
}

#[cfg(test)]
#[path = "amp/tests.rs"]
mod tests;
