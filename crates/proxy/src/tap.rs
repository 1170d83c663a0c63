//! The tap: reads a response on the side, as its chunks pass, and finds the
//! usage the provider reported; estimates when it reported none.
//!
//! The proxy hands every body chunk to [`Tap::feed`] (a copy: the forwarded
//! bytes are never touched) and calls [`Tap::finish`] at the end. The tap
//! decodes gzip / deflate / br / zstd on the side, splits SSE events or
//! JSON values incrementally, and parses only what it needs with borrowed
//! serde structs. Memory per response is bounded: payloads over 1 MiB keep
//! only their head and tail, response text over 256 KiB is counted in
//! pieces and dropped, the request copy is capped at 8 MiB.
//!
//! Which calls are counted ([`Tap::start`] returns `None` for the rest):
//! POSTs answered 2xx to a generating endpoint: OpenAI-style
//! `…/chat/completions`, `…/completions`, `…/responses`, `…/embeddings`
//! (embeddings are billed: counted from their `usage`, else estimated from
//! the input); Anthropic `…/messages`; Gemini `…:generateContent` and
//! `…:streamGenerateContent` (also Code Assist's `/v1internal:…`). The
//! API family is chosen by the path, so an OpenAI-compatible endpoint
//! behind any route (Gemini's `/v1beta/openai/chat/completions`) is read
//! as OpenAI. Not counted: token-counting endpoints
//! (`/v1/messages/count_tokens`, `:countTokens`, `/responses/input_tokens`),
//! batches, model lists, any GET, any non-2xx status (errors are not billed).
//!
//! Cost: when usage is reported (the common case) no tokenizer runs; the
//! estimate path (no usage seen) parses the request and runs tiktoken over
//! its text at [`Tap::finish`], which may take milliseconds on a long
//! prompt: call `finish` off the latency path.
//!
//! Text is held in memory only until counted, never logged, and no `Debug`
//! here prints it.

mod anthropic;
mod capture;
mod decode;
mod estimate;
mod fields;
mod gemini;
mod json;
mod openai_chat;
mod openai_responses;
mod sse;
#[cfg(test)]
mod tests;

use std::io::Write;

use tokentally_event::{Provenance, Tokens};

use anthropic::AnthropicReader;
use capture::Captured;
use decode::Decoder;
use estimate::TextTally;
use gemini::GeminiReader;
use json::JsonSplitter;
use openai_chat::ChatReader;
use openai_responses::ResponsesReader;
use sse::SseSplitter;

/// The request copy kept for an estimate; a larger request is counted as
/// one token per four bytes.
const REQUEST_KEEP: usize = 8 * 1024 * 1024;
/// Ids and model names longer than this are not identifiers: dropped.
const NAME_MAX: usize = 256;

/// The provider family of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    OpenAi,
    Anthropic,
    Gemini,
}

/// One request and the head of its response, as the proxy saw them.
pub struct Exchange<'a> {
    pub api: Api,
    pub method: &'a str,
    /// Upstream path after the route prefix, with its query.
    pub path: &'a str,
    /// The whole request body (bounded by the proxy), identity-encoded.
    pub request_body: &'a [u8],
    pub status: u16,
    pub content_type: Option<&'a str>,
    pub content_encoding: Option<&'a str>,
}

// Debug must not print the request body.
impl std::fmt::Debug for Exchange<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exchange")
            .field("api", &self.api)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("request_bytes", &self.request_body.len())
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("content_encoding", &self.content_encoding)
            .finish()
    }
}

/// How a response body ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Upstream finished the body normally.
    Complete,
    /// The body broke off (upstream error, client gone).
    CutOff,
}

/// The usage of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    /// The response's model (the resolved snapshot), else the request's;
    /// `unknown` when neither names one.
    pub model: String,
    pub tokens: Tokens,
    /// `Reported` when the provider's final usage was seen; `Estimated`
    /// when any part was counted locally.
    pub provenance: Provenance,
    /// `msg_…`, `chatcmpl-…`, `resp_…`, Gemini's `responseId` (Code
    /// Assist: its `traceId`).
    pub response_id: Option<String>,
}

/// Reads one response on the side.
pub struct Tap {
    decoder: Decoder<Body>,
    /// False once the body cannot be decoded (unknown coding, corrupt
    /// data): later bytes are only counted.
    readable: bool,
    request: RequestCopy,
    /// Gemini names the model in the path.
    path_model: Option<String>,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap")
            .field("readable", &self.readable)
            .field("path_model", &self.path_model)
            .finish_non_exhaustive()
    }
}

enum RequestCopy {
    Kept(Vec<u8>),
    /// Too large to keep: its model (looked for near its ends) and length.
    Oversized {
        model: Option<String>,
        len: usize,
    },
}

impl Tap {
    /// `None` when the exchange is not a billable call (see the module
    /// documentation for which are).
    pub fn start(exchange: &Exchange) -> Option<Tap> {
        if !(200..300).contains(&exchange.status) || !exchange.method.eq_ignore_ascii_case("POST") {
            return None;
        }
        let kind = Kind::of(exchange.api, exchange.path)?;
        let framing = match exchange.content_type.map(str::to_ascii_lowercase) {
            Some(ct) if ct.contains("text/event-stream") => Framing::Sse(SseSplitter::default()),
            Some(ct) if ct.contains("json") => Framing::Json(JsonSplitter::default()),
            _ => Framing::Undecided,
        };
        let body = Body {
            framing,
            reader: kind.reader(),
            notes: Notes::default(),
        };
        let (decoder, readable) = match Decoder::new(exchange.content_encoding, body) {
            Ok(decoder) => (decoder, true),
            Err(body) => (Decoder::Identity(body), false),
        };
        Some(Tap {
            decoder,
            readable,
            request: RequestCopy::of(exchange.request_body),
            path_model: gemini_path_model(exchange.path),
        })
    }

    /// One response body chunk, in order.
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.readable && self.decoder.feed(chunk).is_ok() {
            return;
        }
        // Undecodable bytes still say something was said.
        self.readable = false;
        if let Some(body) = self.decoder.sink_mut() {
            body.notes.text.add_unread_bytes(chunk.len() as u64);
        }
    }

    /// The end of the response: its usage, or `None` when nothing at all
    /// can be counted.
    pub fn finish(self, end: End) -> Option<Observed> {
        self.conclude(end)?.observe()
    }

    /// The cheap half of [`Tap::finish`]: ends decoding and reads what the
    /// provider reported. Whether the rest is cheap too is
    /// [`Conclusion::is_reported`]; an estimate is best made off the
    /// request path.
    pub fn conclude(mut self, end: End) -> Option<Conclusion> {
        if self.readable {
            self.decoder.flush_end();
        }
        let body = self.decoder.sink_mut()?;
        body.end();
        let usage = body.reader.usage(end == End::Complete);
        let notes = std::mem::take(&mut body.notes);
        Some(Conclusion {
            usage,
            notes,
            request: self.request,
            path_model: self.path_model,
        })
    }
}

/// A response read to its end, before any estimate is made.
pub struct Conclusion {
    usage: Usage,
    notes: Notes,
    request: RequestCopy,
    path_model: Option<String>,
}

impl Conclusion {
    /// True when the provider reported the final usage: no tokenizer runs.
    pub fn is_reported(&self) -> bool {
        self.usage.is_final
    }

    /// The call's usage; estimates from the text kept when the provider
    /// reported none (milliseconds on a long prompt).
    pub fn observe(self) -> Option<Observed> {
        let Conclusion {
            usage,
            notes,
            request,
            path_model,
        } = self;
        let request = Request::parse_when(
            &request,
            notes.model.is_none() && path_model.is_none(),
            !usage.is_final && !usage.input_known,
        );
        let model = notes
            .model
            .or(path_model)
            .or_else(|| request.model.clone())
            .unwrap_or_else(|| "unknown".to_owned());
        if usage.is_final {
            return Some(Observed {
                model,
                tokens: usage.tokens,
                provenance: Provenance::Reported,
                response_id: notes.response_id,
            });
        }
        let mut tokens = usage.tokens;
        if !usage.input_known {
            tokens.input = request.tokens(&model);
            tokens.cache_read = 0;
            tokens.cache_write = 0;
        }
        tokens.output = tokens.output.max(notes.text.into_tokens(&model));
        tokens.reasoning = tokens.reasoning.min(tokens.output);
        (!tokens.is_zero()).then_some(Observed {
            model,
            tokens,
            provenance: Provenance::Estimated,
            response_id: notes.response_id,
        })
    }
}

#[cfg(test)]
impl Tap {
    /// Bytes of memory the tap's buffers hold (decoders aside).
    fn held_bytes(&mut self) -> usize {
        let Some(body) = self.decoder.sink_mut() else {
            return 0;
        };
        let framing = match &body.framing {
            Framing::Sse(sse) => sse.held(),
            Framing::Json(json) => json.held(),
            Framing::Undecided => 0,
        };
        framing + body.notes.text.held()
    }
}

/// Which API's shape the response has, chosen by the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Chat,
    Responses,
    Anthropic,
    Gemini,
}

impl Kind {
    fn of(api: Api, path: &str) -> Option<Kind> {
        let path = path.split(['?', '#']).next().unwrap_or(path);
        let path = path.trim_end_matches('/');
        let last = path.rsplit('/').next().unwrap_or(path);
        if let Some((_, method)) = last.rsplit_once(':') {
            return matches!(method, "generateContent" | "streamGenerateContent")
                .then_some(Kind::Gemini);
        }
        if path.ends_with("/chat/completions")
            || path.ends_with("/completions")
            || path.ends_with("/embeddings")
        {
            return Some(Kind::Chat);
        }
        if path.ends_with("/responses") {
            return Some(Kind::Responses);
        }
        // OpenAI's Assistants API also has `…/messages`; only the Anthropic
        // route's is a model call.
        if api == Api::Anthropic && path.ends_with("/messages") {
            return Some(Kind::Anthropic);
        }
        None
    }

    fn reader(self) -> Reader {
        match self {
            Kind::Chat => Reader::Chat(ChatReader::default()),
            Kind::Responses => Reader::Responses(ResponsesReader::default()),
            Kind::Anthropic => Reader::Anthropic(AnthropicReader::default()),
            Kind::Gemini => Reader::Gemini(GeminiReader::default()),
        }
    }
}

/// `gemini-2.5-pro` from `/v1beta/models/gemini-2.5-pro:streamGenerateContent`
/// (or a Vertex path `…/publishers/google/models/…`).
fn gemini_path_model(path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let at = path.rfind("models/")?;
    let rest = &path[at + "models/".len()..];
    let model = rest.split(':').next().unwrap_or(rest);
    (!model.is_empty() && model.len() <= NAME_MAX && !model.contains('/')).then(|| model.to_owned())
}

/// The usage a reader found, before any estimate.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Usage {
    tokens: Tokens,
    /// The provider's final usage for the call: exact.
    is_final: bool,
    /// Input and cache counts are the provider's (the output may not be).
    input_known: bool,
}

impl Usage {
    pub(crate) fn reported(tokens: Tokens) -> Usage {
        Usage {
            tokens,
            is_final: true,
            input_known: true,
        }
    }

    pub(crate) fn partial(tokens: Tokens, input_known: bool) -> Usage {
        Usage {
            tokens,
            is_final: false,
            input_known,
        }
    }
}

/// What the response said besides usage: ids, model, text for estimates.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    pub(crate) text: TextTally,
    model: Option<String>,
    response_id: Option<String>,
}

impl Notes {
    /// The first id seen wins (stream chunks repeat it).
    pub(crate) fn note_id(&mut self, id: Option<&str>) {
        if self.response_id.is_none() {
            self.response_id = id.filter(|id| id.len() <= NAME_MAX).map(str::to_owned);
        }
    }

    pub(crate) fn note_model(&mut self, model: Option<&str>) {
        if self.model.is_none() {
            self.model = model.filter(|m| m.len() <= NAME_MAX).map(str::to_owned);
        }
    }

    pub(crate) fn note_id_in(&mut self, hay: &[u8], key: &str) {
        if self.response_id.is_none() {
            self.note_id(fields::string_after_key(hay, key, false).as_deref());
        }
    }

    pub(crate) fn note_model_in(&mut self, hay: &[u8], key: &str) {
        if self.model.is_none() {
            self.note_model(fields::string_after_key(hay, key, false).as_deref());
        }
    }
}

enum Reader {
    Chat(ChatReader),
    Responses(ResponsesReader),
    Anthropic(AnthropicReader),
    Gemini(GeminiReader),
}

impl Reader {
    fn on_payload(&mut self, payload: Captured<'_>, notes: &mut Notes) {
        match payload {
            Captured::Whole(json) => {
                // `[DONE]` and other non-object payloads carry nothing.
                if json.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                    return;
                }
                match self {
                    Reader::Chat(r) => r.on_json(json, notes),
                    Reader::Responses(r) => r.on_json(json, notes),
                    Reader::Anthropic(r) => r.on_json(json, notes),
                    Reader::Gemini(r) => r.on_json(json, notes),
                }
            }
            Captured::Oversized {
                head,
                tail,
                dropped,
            } => {
                // Its text was not read: counted by size if it comes to that.
                notes
                    .text
                    .add_unread_bytes(dropped + (head.len() + tail.len()) as u64);
                match self {
                    Reader::Chat(r) => r.on_oversized(head, tail, notes),
                    Reader::Responses(r) => r.on_oversized(head, tail, notes),
                    Reader::Anthropic(r) => r.on_oversized(head, tail, notes),
                    Reader::Gemini(r) => r.on_oversized(head, tail, notes),
                }
            }
        }
    }

    fn usage(&self, complete: bool) -> Usage {
        match self {
            Reader::Chat(r) => r.usage(),
            Reader::Responses(r) => r.usage(),
            Reader::Anthropic(r) => r.usage(complete),
            Reader::Gemini(r) => r.usage(complete),
        }
    }
}

enum Framing {
    /// No content type said: the first byte decides.
    Undecided,
    Sse(SseSplitter),
    Json(JsonSplitter),
}

/// The decoded body's reader: the decoder writes into it.
struct Body {
    framing: Framing,
    reader: Reader,
    notes: Notes,
}

impl Body {
    fn take(&mut self, bytes: &[u8]) {
        let Body {
            framing,
            reader,
            notes,
        } = self;
        if let Framing::Undecided = framing {
            match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{' | b'[') => *framing = Framing::Json(JsonSplitter::default()),
                Some(_) => *framing = Framing::Sse(SseSplitter::default()),
                None => return,
            }
        }
        let mut on_payload = |payload: Captured<'_>| reader.on_payload(payload, notes);
        match framing {
            Framing::Sse(sse) => sse.feed(bytes, &mut on_payload),
            Framing::Json(json) => json.feed(bytes, &mut on_payload),
            Framing::Undecided => {}
        }
    }

    fn end(&mut self) {
        let Body {
            framing,
            reader,
            notes,
        } = self;
        match framing {
            Framing::Sse(sse) => sse.end(&mut |payload| reader.on_payload(payload, notes)),
            Framing::Json(json) => notes.text.add_unread_bytes(json.unfinished_len()),
            Framing::Undecided => {}
        }
    }
}

impl Write for Body {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.take(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl RequestCopy {
    fn of(body: &[u8]) -> RequestCopy {
        if body.len() <= REQUEST_KEEP {
            return RequestCopy::Kept(body.to_vec());
        }
        // Too large to keep: look for the model near either end only.
        let edge = 64 * 1024;
        let model = fields::string_after_key(&body[..edge], "model", false)
            .or_else(|| fields::string_after_key(&body[body.len() - edge..], "model", true))
            .filter(|m| m.len() <= NAME_MAX);
        RequestCopy::Oversized {
            model,
            len: body.len(),
        }
    }
}

/// The request, parsed only when the finish needs it.
struct Request {
    model: Option<String>,
    json: Option<serde_json::Value>,
    unkept_len: usize,
}

impl Request {
    fn parse_when(copy: &RequestCopy, need_model: bool, need_tokens: bool) -> Request {
        match copy {
            RequestCopy::Kept(bytes) if need_model || need_tokens => {
                let json = serde_json::from_slice::<serde_json::Value>(bytes).ok();
                Request {
                    model: json
                        .as_ref()
                        .and_then(estimate::request_model)
                        .filter(|m| m.len() <= NAME_MAX),
                    json,
                    unkept_len: 0,
                }
            }
            RequestCopy::Kept(_) => Request {
                model: None,
                json: None,
                unkept_len: 0,
            },
            RequestCopy::Oversized { model, len } => Request {
                model: model.clone(),
                json: None,
                unkept_len: *len,
            },
        }
    }

    fn tokens(&self, model: &str) -> u64 {
        match &self.json {
            Some(json) => estimate::request_tokens(json, model),
            None => (self.unkept_len as u64).div_ceil(4),
        }
    }
}
