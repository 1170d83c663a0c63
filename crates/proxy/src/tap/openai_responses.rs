//! OpenAI Responses API. Non-streamed: the response object, `usage` at its
//! top level. Streamed: typed events; `response.completed`,
//! `response.incomplete` or `response.failed` carry the response object with
//! its final `usage` (the earlier `response.created` / `in_progress` carry
//! `usage: null`). `input_tokens` includes cached; `output_tokens` includes
//! reasoning.

use serde::Deserialize;
use tokentally_event::Tokens;

use super::fields::{Count, List, Text, value_after_key};
use super::{Notes, Usage};

#[derive(Debug, Default)]
pub(crate) struct ResponsesReader {
    usage: Option<Tokens>,
}

/// A stream event, or (without `type`) a whole non-streamed response.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow, default)]
    delta: Text<'a>,
    #[serde(borrow, default)]
    response: Option<ResponseHead<'a>>,
    // The non-streamed response object's own fields:
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default)]
    model: Text<'a>,
    #[serde(default)]
    usage: Option<ResponsesUsage>,
    #[serde(borrow, default)]
    output: List<OutputItem<'a>>,
}

/// The response object inside a stream event; its `output` repeats the
/// deltas already seen and is skipped.
#[derive(Deserialize)]
struct ResponseHead<'a> {
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default)]
    model: Text<'a>,
    #[serde(default)]
    usage: Option<ResponsesUsage>,
}

#[derive(Deserialize)]
struct OutputItem<'a> {
    #[serde(borrow, default)]
    content: List<Part<'a>>,
    #[serde(borrow, default)]
    summary: List<Part<'a>>,
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    arguments: Text<'a>,
}

#[derive(Deserialize)]
struct Part<'a> {
    #[serde(borrow, default)]
    text: Text<'a>,
    #[serde(borrow, default)]
    refusal: Text<'a>,
}

#[derive(Deserialize)]
struct ResponsesUsage {
    #[serde(default)]
    input_tokens: Count,
    #[serde(default)]
    output_tokens: Count,
    #[serde(default)]
    input_tokens_details: Option<InputDetails>,
    #[serde(default)]
    output_tokens_details: Option<OutputDetails>,
}

#[derive(Deserialize)]
struct InputDetails {
    #[serde(default)]
    cached_tokens: Count,
}

#[derive(Deserialize)]
struct OutputDetails {
    #[serde(default)]
    reasoning_tokens: Count,
}

impl ResponsesUsage {
    fn tokens(&self) -> Tokens {
        let input = self.input_tokens.or_zero();
        let cached = self
            .input_tokens_details
            .as_ref()
            .map_or(0, |d| d.cached_tokens.or_zero())
            .min(input);
        let output = self.output_tokens.or_zero();
        let reasoning = self
            .output_tokens_details
            .as_ref()
            .map_or(0, |d| d.reasoning_tokens.or_zero())
            .min(output);
        Tokens {
            input: input - cached,
            cache_read: cached,
            cache_write: 0,
            output,
            reasoning,
        }
    }
}

/// Events that end a response and carry its usage.
const TERMINAL: &[&str] = &[
    "response.completed",
    "response.incomplete",
    "response.failed",
];

impl ResponsesReader {
    pub(crate) fn on_json(&mut self, json: &[u8], notes: &mut Notes) {
        let Ok(event) = serde_json::from_slice::<Event>(json) else {
            return;
        };
        match event.kind.as_str() {
            None => self.on_whole_response(&event, notes),
            Some(kind) => {
                if let Some(head) = &event.response {
                    notes.note_id(head.id.as_str());
                    notes.note_model(head.model.as_str());
                    if TERMINAL.contains(&kind)
                        && let Some(usage) = &head.usage
                    {
                        self.usage = Some(usage.tokens());
                    }
                }
                // Text, refusal, reasoning-summary and function-argument
                // deltas; audio deltas are base64, not text.
                if kind.ends_with(".delta") && !kind.contains("audio") {
                    notes.text.push_opt(event.delta.as_str());
                }
            }
        }
    }

    fn on_whole_response(&mut self, response: &Event, notes: &mut Notes) {
        notes.note_id(response.id.as_str());
        notes.note_model(response.model.as_str());
        for item in &response.output.0 {
            for part in item.content.0.iter().chain(&item.summary.0) {
                notes.text.push_opt(part.text.as_str());
                notes.text.push_opt(part.refusal.as_str());
            }
            notes.text.push_opt(item.name.as_str());
            notes.text.push_opt(item.arguments.as_str());
        }
        if let Some(usage) = &response.usage {
            self.usage = Some(usage.tokens());
        }
    }

    /// An oversized response object or terminal event: `usage` follows
    /// `output`, so it is in the tail; the id and model are in the head.
    pub(crate) fn on_oversized(&mut self, head: &[u8], tail: &[u8], notes: &mut Notes) {
        let terminal = TERMINAL
            .iter()
            .any(|kind| memchr::memmem::find(head, kind.as_bytes()).is_some());
        let streamed_event = memchr::memmem::find(head, b"\"response.").is_some();
        notes.note_id_in(head, "id");
        notes.note_model_in(head, "model");
        if (terminal || !streamed_event)
            && let Some(usage) = value_after_key(tail, "usage", true)
                .and_then(|raw| serde_json::from_slice::<ResponsesUsage>(raw).ok())
        {
            self.usage = Some(usage.tokens());
        }
    }

    pub(crate) fn usage(&self) -> Usage {
        match self.usage {
            Some(tokens) => Usage::reported(tokens),
            None => Usage::default(),
        }
    }
}
