//! Codex CLI: `sessions/**/rollout-*.jsonl` and `archived_sessions/` under
//! `$CODEX_HOME`, else `~/.codex`.
//!
//! `token_count` events carry the session's running total; a call is a step
//! of that total. A re-emitted event whose total did not move adds nothing,
//! `info: null` adds nothing, and a total that drops is a new baseline whose
//! own `last_token_usage` is the call. A step is keyed by its time and its
//! counters, so copies of the same lines in another file (archived copies,
//! forks) are one call; where a copy lacks the history before it, its first
//! step looks larger, and the smaller record wins ([`Rank::smallest`]).

use std::{
    path::{Path, PathBuf},
    sync::LazyLock,
};

use memchr::memmem::Finder;

use serde::{Deserialize, Serialize};
use tokentally_event::{Key, Model, Rank, Tokens, Tool, UsageEvent};

use super::{Collector, Format, LineFormat, LineParser, Skip};
use crate::{Env, timestamp};

/// The Codex CLI collector.
pub struct Codex;

impl Collector for Codex {
    fn tool(&self) -> Tool {
        Tool::Codex
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let Some(root) = env
            .var("CODEX_HOME")
            .or_else(|| env.home().map(|h| h.join(".codex")))
        else {
            return Vec::new();
        };
        vec![root.join("sessions"), root.join("archived_sessions")]
    }

    fn is_log(&self, path: &Path) -> bool {
        let name = path.file_name().map(|n| n.to_string_lossy());
        name.is_some_and(|n| n.starts_with("rollout-") && n.ends_with(".jsonl"))
    }

    fn format(&self) -> Format<'_> {
        Format::Lines(self)
    }
}

impl LineFormat for Codex {
    fn parser(&self, path: &Path, state: &[u8]) -> Box<dyn LineParser> {
        let state = serde_json::from_slice(state).unwrap_or_else(|_| State {
            session: Key::of(&[path.file_stem().unwrap_or_default().as_encoded_bytes()]).0,
            ..State::default()
        });
        Box::new(Parser { state })
    }
}

/// What a file's parser remembers between lines (and between scans).
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Hash of the session id (the file name until session_meta is read).
    session: [u8; 16],
    /// The model of the latest turn_context.
    model: Option<String>,
    /// The running total after the last counted event.
    total: Option<Counters>,
    /// Set for spawned sub-agent files: the second of the replayed burst of
    /// the parent's counters that opens them (0: none yet).
    replay_second: Option<i64>,
    /// True once the replay burst is over.
    replay_done: bool,
}

struct Parser {
    state: State,
}

/// Codex's TokenUsage: input includes cached, output includes reasoning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Counters {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    cached_input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    reasoning_output_tokens: u64,
    #[serde(default)]
    total_tokens: u64,
}

impl Counters {
    fn fields(&self) -> [u64; 5] {
        [
            self.input_tokens,
            self.cached_input_tokens,
            self.output_tokens,
            self.reasoning_output_tokens,
            self.total_tokens,
        ]
    }

    fn dropped_below(&self, before: &Counters) -> bool {
        self.fields()
            .iter()
            .zip(before.fields())
            .any(|(now, then)| *now < then)
    }

    fn minus(&self, before: &Counters) -> Counters {
        Counters {
            input_tokens: self.input_tokens - before.input_tokens,
            cached_input_tokens: self.cached_input_tokens - before.cached_input_tokens,
            output_tokens: self.output_tokens - before.output_tokens,
            reasoning_output_tokens: self.reasoning_output_tokens - before.reasoning_output_tokens,
            total_tokens: self.total_tokens - before.total_tokens,
        }
    }

    fn normalised(&self) -> Tokens {
        Tokens {
            input: self.input_tokens.saturating_sub(self.cached_input_tokens),
            cache_read: self.cached_input_tokens,
            cache_write: 0,
            output: self.output_tokens,
            // Part of output; a log claiming more is capped, not trusted.
            reasoning: self.reasoning_output_tokens.min(self.output_tokens),
        }
    }

    fn key_bytes(&self) -> [u8; 40] {
        let mut out = [0u8; 40];
        for (chunk, value) in out.chunks_exact_mut(8).zip(self.fields()) {
            chunk.copy_from_slice(&value.to_be_bytes());
        }
        out
    }
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    payload: Option<Payload<'a>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<std::borrow::Cow<'a, str>>,
    info: Option<Info<'a>>,
}

#[derive(Deserialize)]
struct Info<'a> {
    total_token_usage: Option<Counters>,
    last_token_usage: Option<Counters>,
    #[serde(borrow)]
    model: Option<std::borrow::Cow<'a, str>>,
}

impl LineParser for Parser {
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip> {
        static WANTED: LazyLock<[Finder<'static>; 3]> = LazyLock::new(|| {
            [
                &b"\"token_count\""[..],
                b"\"turn_context\"",
                b"\"session_meta\"",
            ]
            .map(Finder::new)
        });
        if !super::holds_any(line, &WANTED[..])? {
            return Ok(());
        }
        let parsed: Line<'_> = serde_json::from_slice(line).map_err(|_| Skip::Malformed)?;
        let Some(payload) = parsed.payload else {
            return Ok(());
        };
        match (parsed.kind.as_deref(), payload.kind.as_deref()) {
            (Some("session_meta"), _) => {
                if let Some(id) = payload.id.as_deref() {
                    self.state.session = Key::of(&[id.as_bytes()]).0;
                }
                // A spawned sub-agent opens with a replay of its parent's
                // counters, all within one second.
                if memchr::memmem::find(line, b"thread_spawn").is_some() {
                    self.state.replay_second = Some(0);
                }
                Ok(())
            }
            (Some("turn_context"), _) => {
                if let Some(model) = payload.model {
                    self.state.model = Some(model.into_owned());
                }
                Ok(())
            }
            (Some("event_msg"), Some("token_count")) => {
                let Some(info) = payload.info else {
                    return Ok(());
                };
                let at_ms = parsed
                    .timestamp
                    .as_deref()
                    .and_then(timestamp::parse_ms)
                    .ok_or(Skip::Incomplete)?;
                self.token_count(&info, at_ms, offset, out);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn state(&self) -> Vec<u8> {
        serde_json::to_vec(&self.state).unwrap_or_default()
    }
}

impl Parser {
    fn token_count(&mut self, info: &Info<'_>, at_ms: i64, offset: u64, out: &mut Vec<UsageEvent>) {
        let step = match (info.total_token_usage, info.last_token_usage) {
            (Some(total), last) => match self.state.total.replace(total) {
                Some(before) if total == before => return,
                Some(before) if total.dropped_below(&before) => last.unwrap_or(total),
                Some(before) => total.minus(&before),
                None => total,
            },
            (None, Some(last)) => last,
            (None, None) => return,
        };
        if self.in_replay_burst(at_ms) {
            return;
        }
        let tokens = step.normalised();
        // A "context full" marker has no input and no output: not a call.
        if step.input_tokens == 0 && step.output_tokens == 0 {
            return;
        }
        let total_key = info.total_token_usage.unwrap_or_default().key_bytes();
        let last_key = info.last_token_usage.unwrap_or_default().key_bytes();
        let model = self
            .state
            .model
            .as_deref()
            .or(info.model.as_deref())
            .map_or_else(Model::unknown, Model::new);
        out.push(
            UsageEvent::logged(
                Tool::Codex,
                at_ms,
                Key(self.state.session),
                Key::of(&[&at_ms.to_be_bytes(), &total_key, &last_key]),
                model,
                tokens,
            )
            .at_offset(offset)
            .ranked(Rank::smallest(&tokens)),
        );
    }

    /// True while reading the opening burst of a spawned sub-agent: its
    /// counters are the parent's, already counted from the parent's file;
    /// they only set the baseline.
    fn in_replay_burst(&mut self, at_ms: i64) -> bool {
        if self.state.replay_done {
            return false;
        }
        let second = at_ms.div_euclid(1000);
        match self.state.replay_second {
            None => {
                self.state.replay_done = true;
                false
            }
            Some(0) => {
                self.state.replay_second = Some(second);
                true
            }
            Some(burst) if burst == second => true,
            Some(_) => {
                self.state.replay_done = true;
                false
            }
        }
    }
}

#[cfg(test)]
#[path = "codex/tests.rs"]
mod tests;
