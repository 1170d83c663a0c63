//! GitHub Copilot CLI: `~/.copilot` (or `COPILOT_HOME`).
//!
//! Two sources, one tool id (`copilot`):
//! - session logs, `session-state/<id>/events.jsonl` (and the older
//!   `history-session-state/`): only the `session.shutdown` record carries
//!   counts, exact per-model totals for the whole session. Each total is
//!   one event at the shutdown's time.
//! - OpenTelemetry file exports, `otel/*.jsonl` and the file named by
//!   `COPILOT_OTEL_FILE_EXPORTER_PATH`, written only when the user turned
//!   them on: one event per `chat` span, exact and timed per call.
//!
//! A session seen both ways must count once. A session total is stored as a
//! side copy of the session's group and each chat span as a primary of it,
//! so the store counts the per-call spans when it has any and the total
//! otherwise, in either read order. Inference log records and agent-turn
//! summaries describe the same calls again and are ignored.

use std::path::{Path, PathBuf};

use memchr::memmem::Finder;
use serde_json::Value;
use tokentally_event::{Key, Lineage, Model, Tokens, Tool, UsageEvent};

use super::{Collector, Format, LineFormat, LineParser, Skip, holds_any};
use crate::{Env, timestamp};

/// Copilot CLI's session logs.
pub struct CopilotCliSessions;

/// Copilot's OpenTelemetry JSONL file exports (CLI, or the VS Code
/// extension pointed at the same folder).
pub struct CopilotOtel;

fn copilot_home(env: &Env) -> Option<PathBuf> {
    env.var("COPILOT_HOME")
        .or_else(|| env.home().map(|h| h.join(".copilot")))
}

/// The group every record of one session belongs to.
fn session_group(session: &str) -> Key {
    Key::of(&[b"copilot-session", session.as_bytes()])
}

impl Collector for CopilotCliSessions {
    fn tool(&self) -> Tool {
        Tool::Copilot
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        copilot_home(env)
            .map(|h| vec![h.join("session-state"), h.join("history-session-state")])
            .unwrap_or_default()
    }

    fn is_log(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "events.jsonl")
    }

    fn format(&self) -> Format<'_> {
        Format::Lines(self)
    }
}

impl LineFormat for CopilotCliSessions {
    fn parser(&self, path: &Path, _state: &[u8]) -> Box<dyn LineParser> {
        let session = path
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Box::new(SessionParser {
            session,
            shutdown: Finder::new(b"session.shutdown"),
        })
    }
}

struct SessionParser {
    session: String,
    shutdown: Finder<'static>,
}

impl LineParser for SessionParser {
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip> {
        if !holds_any(line, std::slice::from_ref(&self.shutdown))? {
            return Ok(());
        }
        let record: Value = serde_json::from_slice(line).map_err(|_| Skip::Malformed)?;
        if record["type"] != "session.shutdown" {
            return Ok(());
        }
        let at_ms = record["timestamp"]
            .as_str()
            .and_then(timestamp::parse_ms)
            .ok_or(Skip::Incomplete)?;
        let Some(metrics) = record["data"]["modelMetrics"].as_object() else {
            return Ok(());
        };
        let group = session_group(&self.session);
        for (model, metric) in metrics {
            let usage = &metric["usage"];
            let count = |field: &str| usage[field].as_u64().unwrap_or(0);
            let tokens = uncached(
                count("inputTokens"),
                count("cacheReadTokens"),
                count("cacheWriteTokens"),
                count("outputTokens"),
                0,
            );
            if tokens.is_zero() {
                continue;
            }
            out.push(
                UsageEvent::logged(
                    Tool::Copilot,
                    at_ms,
                    Key::of(&[self.session.as_bytes()]),
                    group.member(&[b"session-total", model.as_bytes()]),
                    Model::new(model),
                    tokens,
                )
                .at_offset(offset)
                .with_lineage(Lineage {
                    group,
                    side_copy: true,
                }),
            );
        }
        Ok(())
    }
}

/// Copilot reports input with the cached part inside it (the OpenTelemetry
/// convention); the ledger keeps input uncached.
fn uncached(input: u64, cache_read: u64, cache_write: u64, output: u64, reasoning: u64) -> Tokens {
    Tokens {
        input: input.saturating_sub(cache_read.saturating_add(cache_write)),
        cache_read,
        cache_write,
        output,
        reasoning: reasoning.min(output),
    }
}

impl Collector for CopilotOtel {
    fn tool(&self) -> Tool {
        Tool::Copilot
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = copilot_home(env)
            .map(|h| h.join("otel"))
            .into_iter()
            .collect();
        roots.extend(env.var("COPILOT_OTEL_FILE_EXPORTER_PATH"));
        roots
    }

    fn is_log(&self, path: &Path) -> bool {
        path.extension().is_some_and(|e| e == "jsonl")
    }

    fn format(&self) -> Format<'_> {
        Format::Lines(self)
    }
}

impl LineFormat for CopilotOtel {
    fn parser(&self, _path: &Path, _state: &[u8]) -> Box<dyn LineParser> {
        Box::new(SpanParser {
            usage: Finder::new(b"gen_ai.usage."),
        })
    }
}

struct SpanParser {
    usage: Finder<'static>,
}

impl LineParser for SpanParser {
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip> {
        if !holds_any(line, std::slice::from_ref(&self.usage))? {
            return Ok(());
        }
        let span: Value = serde_json::from_slice(line).map_err(|_| Skip::Malformed)?;
        let attrs = &span["attributes"];
        // Log records and agent summaries repeat a chat span's counts.
        if attrs["gen_ai.operation.name"] != "chat" || span["spanId"].is_null() {
            return Ok(());
        }
        let at_ms = hr_time_ms(&span["startTime"]).ok_or(Skip::Incomplete)?;
        out.extend(chat_event(&span, attrs, at_ms, offset));
        Ok(())
    }
}

fn chat_event(span: &Value, attrs: &Value, at_ms: i64, offset: u64) -> Option<UsageEvent> {
    let first = |names: &[&str]| names.iter().find_map(|n| attrs[*n].as_u64()).unwrap_or(0);
    let tokens = uncached(
        first(&["gen_ai.usage.input_tokens"]),
        first(&["gen_ai.usage.cache_read.input_tokens"]),
        first(&[
            "gen_ai.usage.cache_write.input_tokens",
            "gen_ai.usage.cache_creation.input_tokens",
        ]),
        first(&["gen_ai.usage.output_tokens"]),
        first(&[
            "gen_ai.usage.reasoning.output_tokens",
            "gen_ai.usage.reasoning_tokens",
        ]),
    );
    if tokens.is_zero() {
        return None;
    }
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let model = text(&attrs["gen_ai.response.model"])
        .or_else(|| text(&attrs["gen_ai.request.model"]))
        .map_or_else(Model::unknown, |m| Model::new(&m));
    let span_id = [text(&span["traceId"]), text(&span["spanId"])].map(Option::unwrap_or_default);
    let session = [
        "gen_ai.conversation.id",
        "copilot_chat.session_id",
        "session.id",
    ]
    .iter()
    .find_map(|n| text(&attrs[*n]));
    let parts: [&[u8]; 3] = [b"span", span_id[0].as_bytes(), span_id[1].as_bytes()];
    let event = match &session {
        Some(session) => {
            let group = session_group(session);
            UsageEvent::logged(
                Tool::Copilot,
                at_ms,
                Key::of(&[session.as_bytes()]),
                group.member(&parts),
                model,
                tokens,
            )
            .with_lineage(Lineage {
                group,
                side_copy: false,
            })
        }
        None => UsageEvent::logged(
            Tool::Copilot,
            at_ms,
            Key::of(&[span_id[0].as_bytes()]),
            Key::of(&parts),
            model,
            tokens,
        ),
    };
    Some(event.at_offset(offset))
}

/// OpenTelemetry's JavaScript SDK writes times as `[seconds, nanoseconds]`.
fn hr_time_ms(time: &Value) -> Option<i64> {
    let seconds = time[0].as_i64()?;
    let nanos = time[1].as_i64().unwrap_or(0);
    seconds.checked_mul(1000)?.checked_add(nanos / 1_000_000)
}

#[cfg(test)]
#[path = "copilot_cli/tests.rs"]
mod tests;
