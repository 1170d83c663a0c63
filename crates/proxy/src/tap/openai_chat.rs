//! OpenAI Chat Completions (and the legacy completions and embeddings
//! endpoints, which share its `usage`): non-streamed `usage` at the top
//! level; streamed, usage only in one chunk with `choices: []` before
//! `data: [DONE]`, and only when the request set
//! `stream_options.include_usage`.
//!
//! `prompt_tokens` includes cached input (`prompt_tokens_details.
//! cached_tokens`, or DeepSeek's `prompt_cache_hit_tokens`);
//! `completion_tokens` includes reasoning.

use serde::Deserialize;
use tokentally_event::Tokens;

use super::fields::{Count, List, Text, value_after_key};
use super::{Notes, Usage};

#[derive(Debug, Default)]
pub(crate) struct ChatReader {
    usage: Option<Tokens>,
}

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow, default)]
    id: Text<'a>,
    #[serde(borrow, default)]
    model: Text<'a>,
    #[serde(borrow, default)]
    choices: List<Choice<'a>>,
    #[serde(default)]
    usage: Option<ChatUsage>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(borrow, default)]
    delta: Option<Message<'a>>,
    #[serde(borrow, default)]
    message: Option<Message<'a>>,
    /// Legacy completions.
    #[serde(borrow, default)]
    text: Text<'a>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    content: Text<'a>,
    #[serde(borrow, default)]
    refusal: Text<'a>,
    /// DeepSeek and other compatible servers stream reasoning here.
    #[serde(borrow, default)]
    reasoning_content: Text<'a>,
    #[serde(borrow, default)]
    reasoning: Text<'a>,
    #[serde(borrow, default)]
    tool_calls: List<ToolCall<'a>>,
}

#[derive(Deserialize)]
struct ToolCall<'a> {
    #[serde(borrow, default)]
    function: Option<Function<'a>>,
}

#[derive(Deserialize)]
struct Function<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
    #[serde(borrow, default)]
    arguments: Text<'a>,
}

#[derive(Deserialize)]
struct ChatUsage {
    #[serde(default)]
    prompt_tokens: Count,
    #[serde(default)]
    completion_tokens: Count,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
    #[serde(default)]
    completion_tokens_details: Option<CompletionDetails>,
    #[serde(default)]
    prompt_cache_hit_tokens: Count,
}

#[derive(Deserialize)]
struct PromptDetails {
    #[serde(default)]
    cached_tokens: Count,
}

#[derive(Deserialize)]
struct CompletionDetails {
    #[serde(default)]
    reasoning_tokens: Count,
}

impl ChatUsage {
    fn tokens(&self) -> Tokens {
        let prompt = self.prompt_tokens.or_zero();
        let cached = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens.0)
            .or(self.prompt_cache_hit_tokens.0)
            .unwrap_or(0)
            .min(prompt);
        let output = self.completion_tokens.or_zero();
        let reasoning = self
            .completion_tokens_details
            .as_ref()
            .map_or(0, |d| d.reasoning_tokens.or_zero())
            .min(output);
        Tokens {
            input: prompt - cached,
            cache_read: cached,
            cache_write: 0,
            output,
            reasoning,
        }
    }
}

impl ChatReader {
    pub(crate) fn on_json(&mut self, json: &[u8], notes: &mut Notes) {
        let Ok(chunk) = serde_json::from_slice::<Chunk>(json) else {
            return;
        };
        notes.note_id(chunk.id.as_str());
        notes.note_model(chunk.model.as_str());
        for choice in &chunk.choices.0 {
            notes.text.push_opt(choice.text.as_str());
            for message in [&choice.delta, &choice.message].into_iter().flatten() {
                notes.text.push_opt(message.content.as_str());
                notes.text.push_opt(message.refusal.as_str());
                notes.text.push_opt(message.reasoning_content.as_str());
                notes.text.push_opt(message.reasoning.as_str());
                for call in &message.tool_calls.0 {
                    if let Some(function) = &call.function {
                        notes.text.push_opt(function.name.as_str());
                        notes.text.push_opt(function.arguments.as_str());
                    }
                }
            }
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.tokens());
        }
    }

    /// An oversized body: usage is the last top-level field.
    pub(crate) fn on_oversized(&mut self, head: &[u8], tail: &[u8], notes: &mut Notes) {
        notes.note_id_in(head, "id");
        notes.note_model_in(head, "model");
        if let Some(usage) = value_after_key(tail, "usage", true)
            .and_then(|raw| serde_json::from_slice::<ChatUsage>(raw).ok())
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
