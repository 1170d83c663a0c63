//! The estimate fallback: text seen in the response, and the text of the
//! request, counted with tiktoken only when the provider reported nothing.
//! Text lives in memory only until it is counted; it is never logged.

use serde_json::Value;

/// Response text kept uncounted up to this size; beyond it, the text is
/// counted in pieces and dropped, so a long stream holds at most this much.
const PENDING_LIMIT: usize = 256 * 1024;
/// Model used for pieces counted before the end (its encoding only
/// matters for old OpenAI models, which stream little text).
const PIECE_MODEL: &str = "gpt-4o";

/// The response text seen so far, for an estimate of the output.
#[derive(Default)]
pub(crate) struct TextTally {
    pending: String,
    counted: u64,
    /// Bytes that could not be read as text (a cut-off or oversized JSON
    /// body): counted as one token per four bytes.
    unread_bytes: u64,
}

// Debug must never print the text it holds.
impl std::fmt::Debug for TextTally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextTally")
            .field("pending_bytes", &self.pending.len())
            .field("counted", &self.counted)
            .field("unread_bytes", &self.unread_bytes)
            .finish()
    }
}

impl TextTally {
    pub(crate) fn push(&mut self, text: &str) {
        self.pending.push_str(text);
        if self.pending.len() > PENDING_LIMIT {
            self.count_piece();
        }
    }

    pub(crate) fn push_opt(&mut self, text: Option<&str>) {
        if let Some(text) = text {
            self.push(text);
        }
    }

    pub(crate) fn add_unread_bytes(&mut self, bytes: u64) {
        self.unread_bytes = self.unread_bytes.saturating_add(bytes);
    }

    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.pending.capacity()
    }

    /// Counts the pending text up to its last whitespace (so no word is
    /// split between pieces) and keeps the rest.
    fn count_piece(&mut self) {
        let cut = self
            .pending
            .rfind(char::is_whitespace)
            .filter(|&at| at > 0)
            .unwrap_or(self.pending.len());
        self.counted += tokentally_estimate::count(PIECE_MODEL, &self.pending[..cut]);
        self.pending.drain(..cut);
    }

    /// Tokens of everything seen; the text is dropped.
    pub(crate) fn into_tokens(self, model: &str) -> u64 {
        self.counted
            .saturating_add(tokentally_estimate::count(model, &self.pending))
            .saturating_add(self.unread_bytes.div_ceil(4))
    }
}

/// Fields of a request that hold the text sent to the model, across the
/// three APIs (`request` is Code Assist's wrapper around a Gemini request).
const REQUEST_TEXT_FIELDS: &[&str] = &[
    "system",
    "systemInstruction",
    "system_instruction",
    "instructions",
    "tools",
    "messages",
    "input",
    "prompt",
    "contents",
    "request",
];

/// Keys whose strings are not text the model reads as tokens of text:
/// roles, ids, types, base64 media, opaque signatures.
const NOT_TEXT_KEYS: &[&str] = &[
    "type",
    "role",
    "id",
    "tool_call_id",
    "tool_use_id",
    "call_id",
    "data",
    "url",
    "image_url",
    "file_id",
    "mime_type",
    "mimeType",
    "media_type",
    "signature",
    "thoughtSignature",
    "thought_signature",
    "encrypted_content",
    "detail",
    "cache_control",
    "status",
];

/// The request's model field, if any (`model` at the top level).
pub(crate) fn request_model(request: &Value) -> Option<String> {
    request
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
}

/// Tokens of the request's text fields, counted for `model`.
pub(crate) fn request_tokens(request: &Value, model: &str) -> u64 {
    let mut text = String::new();
    if let Value::Object(fields) = request {
        for name in REQUEST_TEXT_FIELDS {
            if let Some(value) = fields.get(*name) {
                collect_text(value, &mut text);
            }
        }
    }
    tokentally_estimate::count(model, &text)
}

fn collect_text(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(s);
        }
        Value::Array(items) => items.iter().for_each(|item| collect_text(item, out)),
        Value::Object(fields) => {
            for (key, field) in fields {
                if !NOT_TEXT_KEYS.contains(&key.as_str()) {
                    collect_text(field, out);
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}
