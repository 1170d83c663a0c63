//! Anthropic Messages. Non-streamed: `usage` on the message. Streamed:
//! `message_start` carries input and cache counts (and a provisional
//! output); every `message_delta` usage field is CUMULATIVE, so output is
//! the last one's and each input/cache field the last non-null value,
//! falling back to `message_start`. Deltas are never added up.
//! `input_tokens` is already uncached; output includes thinking.

use serde::Deserialize;
use tokentally_event::Tokens;

use super::fields::{Count, List, Text, value_after_key};
use super::{Notes, Usage};

#[derive(Debug, Default)]
pub(crate) struct AnthropicReader {
    /// From `message_start`.
    start: Option<AnthropicUsage>,
    /// Each field the last non-null value of any `message_delta`.
    delta: Option<AnthropicUsage>,
    /// A non-streamed message's usage: final.
    whole: Option<AnthropicUsage>,
    stopped: bool,
    /// An `error` event arrived (after a 200): the stream did not finish.
    errored: bool,
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: Text<'a>,
    #[serde(borrow, default)]
    message: Option<MessageHead<'a>>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
    #[serde(borrow, default)]
    delta: Option<Delta<'a>>,
    #[serde(borrow, default)]
    content_block: Option<Block<'a>>,
    // A non-streamed message's own fields:
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default)]
    model: Text<'a>,
    #[serde(borrow, default)]
    content: List<Block<'a>>,
}

#[derive(Deserialize)]
struct MessageHead<'a> {
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default)]
    model: Text<'a>,
    #[serde(default)]
    usage: Option<AnthropicUsage>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow, default)]
    text: Text<'a>,
    #[serde(borrow, default)]
    thinking: Text<'a>,
    #[serde(borrow, default)]
    partial_json: Text<'a>,
}

#[derive(Deserialize)]
struct Block<'a> {
    #[serde(borrow, default)]
    text: Text<'a>,
    #[serde(borrow, default)]
    thinking: Text<'a>,
    #[serde(borrow, default)]
    name: Text<'a>,
}

#[derive(Debug, Default, Clone, Copy, Deserialize)]
struct AnthropicUsage {
    #[serde(default)]
    input_tokens: Count,
    #[serde(default)]
    cache_creation_input_tokens: Count,
    #[serde(default)]
    cache_read_input_tokens: Count,
    #[serde(default)]
    output_tokens: Count,
}

impl AnthropicUsage {
    /// Each field of `newer` that is present replaces ours.
    fn overlay(self, newer: AnthropicUsage) -> AnthropicUsage {
        AnthropicUsage {
            input_tokens: Count(newer.input_tokens.0.or(self.input_tokens.0)),
            cache_creation_input_tokens: Count(
                newer
                    .cache_creation_input_tokens
                    .0
                    .or(self.cache_creation_input_tokens.0),
            ),
            cache_read_input_tokens: Count(
                newer
                    .cache_read_input_tokens
                    .0
                    .or(self.cache_read_input_tokens.0),
            ),
            output_tokens: Count(newer.output_tokens.0.or(self.output_tokens.0)),
        }
    }

    fn tokens(self) -> Tokens {
        Tokens {
            input: self.input_tokens.or_zero(),
            cache_read: self.cache_read_input_tokens.or_zero(),
            cache_write: self.cache_creation_input_tokens.or_zero(),
            output: self.output_tokens.or_zero(),
            // Anthropic reports no separate thinking count.
            reasoning: 0,
        }
    }
}

impl AnthropicReader {
    pub(crate) fn on_json(&mut self, json: &[u8], notes: &mut Notes) {
        let Ok(event) = serde_json::from_slice::<Event>(json) else {
            return;
        };
        match event.kind.as_str() {
            Some("message_start") => {
                if let Some(message) = &event.message {
                    notes.note_id(message.id.as_str());
                    notes.note_model(message.model.as_str());
                    if let Some(usage) = message.usage {
                        self.start = Some(usage);
                    }
                }
            }
            Some("content_block_start") => {
                if let Some(block) = &event.content_block {
                    push_block(block, notes);
                }
            }
            Some("content_block_delta") => {
                if let Some(delta) = &event.delta {
                    notes.text.push_opt(delta.text.as_str());
                    notes.text.push_opt(delta.thinking.as_str());
                    notes.text.push_opt(delta.partial_json.as_str());
                }
            }
            Some("message_delta") => {
                if let Some(usage) = event.usage {
                    self.delta = Some(self.delta.unwrap_or_default().overlay(usage));
                }
            }
            Some("message_stop") => self.stopped = true,
            Some("error") => self.errored = true,
            Some("message") => {
                notes.note_id(event.id.as_str());
                notes.note_model(event.model.as_str());
                event
                    .content
                    .0
                    .iter()
                    .for_each(|block| push_block(block, notes));
                if let Some(usage) = event.usage {
                    self.whole = Some(usage);
                }
            }
            // `ping` and unknown events.
            _ => {}
        }
    }

    /// An oversized non-streamed message: `usage` is its last field.
    pub(crate) fn on_oversized(&mut self, head: &[u8], tail: &[u8], notes: &mut Notes) {
        notes.note_id_in(head, "id");
        notes.note_model_in(head, "model");
        if let Some(usage) = value_after_key(tail, "usage", true)
            .and_then(|raw| serde_json::from_slice::<AnthropicUsage>(raw).ok())
        {
            self.whole = Some(usage);
        }
    }

    /// Final when the message was whole, or its stream reached a
    /// `message_delta` and then its end (`message_stop`, or the body's end
    /// when complete and no `error` event came). A stream that broke keeps `message_start`'s exact
    /// input and cache counts; its output is then estimated.
    pub(crate) fn usage(&self, complete: bool) -> Usage {
        if let Some(whole) = self.whole {
            return Usage::reported(whole.tokens());
        }
        let merged = match (self.start, self.delta) {
            (None, None) => return Usage::default(),
            (Some(start), None) => start,
            (None, Some(delta)) => delta,
            (Some(start), Some(delta)) => start.overlay(delta),
        };
        if self.delta.is_some() && (self.stopped || (complete && !self.errored)) {
            Usage::reported(merged.tokens())
        } else {
            Usage::partial(merged.tokens(), self.start.is_some())
        }
    }
}

fn push_block(block: &Block, notes: &mut Notes) {
    notes.text.push_opt(block.text.as_str());
    notes.text.push_opt(block.thinking.as_str());
    notes.text.push_opt(block.name.as_str());
}
