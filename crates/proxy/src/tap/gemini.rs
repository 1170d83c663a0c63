//! Google Gemini `:generateContent` / `:streamGenerateContent` (SSE with
//! `alt=sse`, else one streamed JSON array), and the Code Assist variant
//! (`/v1internal:…`) that wraps each response in `{"response": …,
//! "traceId": …}`. `usageMetadata` is a running snapshot: the last one
//! wins, never summed.
//!
//! Normalised: input = prompt − cached + toolUsePrompt, cache_read =
//! cached, output = candidates + thoughts, reasoning = thoughts.

use serde::Deserialize;
use tokentally_event::Tokens;

use super::fields::{Count, List, Text, value_after_key};
use super::{Notes, Usage};

#[derive(Debug, Default)]
pub(crate) struct GeminiReader {
    last: Option<Tokens>,
    /// The chunk that carried the last snapshot also carried a
    /// `finishReason`: the snapshot is the final one.
    last_is_final: bool,
}

#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow, default)]
    candidates: List<Candidate<'a>>,
    #[serde(default, rename = "usageMetadata")]
    usage_metadata: Option<UsageMetadata>,
    #[serde(borrow, default, rename = "modelVersion")]
    model_version: Text<'a>,
    #[serde(borrow, default, rename = "responseId")]
    response_id: Text<'a>,
    /// Code Assist: the Gemini response inside the wrapper.
    #[serde(borrow, default)]
    response: Option<Box<Chunk<'a>>>,
    #[serde(borrow, default, rename = "traceId")]
    trace_id: Text<'a>,
}

#[derive(Deserialize)]
struct Candidate<'a> {
    #[serde(borrow, default)]
    content: Option<Content<'a>>,
    #[serde(borrow, default, rename = "finishReason")]
    finish_reason: Text<'a>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow, default)]
    parts: List<Part<'a>>,
}

#[derive(Deserialize)]
struct Part<'a> {
    #[serde(borrow, default)]
    text: Text<'a>,
    #[serde(borrow, default, rename = "functionCall")]
    function_call: Option<FunctionCall<'a>>,
}

#[derive(Deserialize)]
struct FunctionCall<'a> {
    #[serde(borrow, default)]
    name: Text<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: Count,
    #[serde(default)]
    cached_content_token_count: Count,
    #[serde(default)]
    candidates_token_count: Count,
    #[serde(default)]
    thoughts_token_count: Count,
    #[serde(default)]
    tool_use_prompt_token_count: Count,
}

impl UsageMetadata {
    fn tokens(&self) -> Tokens {
        let prompt = self.prompt_token_count.or_zero();
        let cached = self.cached_content_token_count.or_zero().min(prompt);
        let thoughts = self.thoughts_token_count.or_zero();
        Tokens {
            input: (prompt - cached).saturating_add(self.tool_use_prompt_token_count.or_zero()),
            cache_read: cached,
            cache_write: 0,
            output: self
                .candidates_token_count
                .or_zero()
                .saturating_add(thoughts),
            reasoning: thoughts,
        }
    }
}

impl GeminiReader {
    pub(crate) fn on_json(&mut self, json: &[u8], notes: &mut Notes) {
        let Ok(chunk) = serde_json::from_slice::<Chunk>(json) else {
            return;
        };
        // Code Assist: the CLI takes the wrapper's traceId as response id.
        notes.note_id(chunk.trace_id.as_str());
        let inner = chunk.response.as_deref().unwrap_or(&chunk);
        notes.note_id(inner.response_id.as_str());
        notes.note_model(inner.model_version.as_str());
        let mut finished = false;
        for candidate in &inner.candidates.0 {
            finished |= candidate.finish_reason.as_str().is_some();
            let parts = candidate.content.as_ref().map(|c| c.parts.0.as_slice());
            for part in parts.unwrap_or_default() {
                notes.text.push_opt(part.text.as_str());
                if let Some(call) = &part.function_call {
                    notes.text.push_opt(call.name.as_str());
                }
            }
        }
        if let Some(usage) = &inner.usage_metadata {
            self.last = Some(usage.tokens());
            self.last_is_final = finished;
        }
    }

    /// An oversized response (large inline media): usage and the model
    /// follow the candidates, so both are looked for in the tail.
    pub(crate) fn on_oversized(&mut self, head: &[u8], tail: &[u8], notes: &mut Notes) {
        notes.note_id_in(tail, "traceId");
        notes.note_id_in(head, "traceId");
        notes.note_id_in(tail, "responseId");
        notes.note_model_in(tail, "modelVersion");
        if let Some(usage) = value_after_key(tail, "usageMetadata", true)
            .and_then(|raw| serde_json::from_slice::<UsageMetadata>(raw).ok())
        {
            self.last = Some(usage.tokens());
            self.last_is_final = memchr::memmem::find(tail, b"\"finishReason\"").is_some()
                || memchr::memmem::find(head, b"\"finishReason\"").is_some();
        }
    }

    /// The last snapshot is final when the body ended normally, or when it
    /// came with the finish reason; otherwise its input is exact and its
    /// output a floor for the estimate.
    pub(crate) fn usage(&self, complete: bool) -> Usage {
        match self.last {
            Some(tokens) if complete || self.last_is_final => Usage::reported(tokens),
            Some(tokens) => Usage::partial(tokens, true),
            None => Usage::default(),
        }
    }
}
