//! Tap tests: recorded-shape bodies of the four APIs (written here, shaped
//! like the providers' documented responses), fed in every chunking, plain
//! and compressed, whole, cut off and broken.

#![allow(clippy::unwrap_used)]

use std::io::Write;

use tokentally_estimate::count;
use tokentally_event::{Provenance, Tokens};

use super::{Api, End, Exchange, Observed, Tap};

const CANARY_PROMPT: &str = "CANARY-PROMPT-5b1e";
const CANARY_REPLY: &str = "CANARY-REPLY-90c4";

/// One exchange's request side and response head.
struct Case {
    api: Api,
    method: &'static str,
    path: &'static str,
    request: Vec<u8>,
    status: u16,
    content_type: Option<&'static str>,
    content_encoding: Option<&'static str>,
}

impl Case {
    fn post(api: Api, path: &'static str, request: &str, content_type: &'static str) -> Case {
        Case {
            api,
            method: "POST",
            path,
            request: request.as_bytes().to_vec(),
            status: 200,
            content_type: Some(content_type),
            content_encoding: None,
        }
    }

    fn exchange(&self) -> Exchange<'_> {
        Exchange {
            api: self.api,
            method: self.method,
            path: self.path,
            request_body: &self.request,
            status: self.status,
            content_type: self.content_type,
            content_encoding: self.content_encoding,
        }
    }

    fn run(&self, chunks: &[&[u8]], end: End) -> Option<Observed> {
        let mut tap = Tap::start(&self.exchange()).unwrap();
        for chunk in chunks {
            tap.feed(chunk);
        }
        tap.finish(end)
    }

    /// The body whole, split at every point, byte by byte and in random
    /// pieces: every chunking gives `expected`.
    fn assert_every_chunking(&self, body: &[u8], end: End, expected: &Observed) {
        assert_eq!(self.run(&[body], end).as_ref(), Some(expected), "whole");
        for at in 0..=body.len() {
            let (a, b) = body.split_at(at);
            assert_eq!(
                self.run(&[a, b], end).as_ref(),
                Some(expected),
                "split at {at}"
            );
        }
        self.assert_fine_chunkings(body, end, expected);
    }

    /// Byte by byte and random pieces (cheaper than every split point).
    fn assert_fine_chunkings(&self, body: &[u8], end: End, expected: &Observed) {
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(self.run(&bytes, end).as_ref(), Some(expected), "bytes");
        let mut rng = fastrand::Rng::with_seed(0x7a9);
        for round in 0..20 {
            let pieces = random_pieces(body, &mut rng);
            assert_eq!(
                self.run(&pieces, end).as_ref(),
                Some(expected),
                "random round {round}"
            );
        }
    }
}

fn random_pieces<'b>(body: &'b [u8], rng: &mut fastrand::Rng) -> Vec<&'b [u8]> {
    let mut pieces = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let take = rng.usize(1..=rest.len().min(40));
        let (a, b) = rest.split_at(take);
        pieces.push(a);
        rest = b;
    }
    pieces
}

fn reported(model: &str, id: &str, tokens: Tokens) -> Observed {
    Observed {
        model: model.to_owned(),
        tokens,
        provenance: Provenance::Reported,
        response_id: Some(id.to_owned()),
    }
}

fn tokens(input: u64, cache_read: u64, cache_write: u64, output: u64, reasoning: u64) -> Tokens {
    Tokens {
        input,
        cache_read,
        cache_write,
        output,
        reasoning,
    }
}

/// SSE with `data:` lines only (OpenAI chat, Gemini).
fn data_events(events: &[&str]) -> Vec<u8> {
    events
        .iter()
        .map(|e| format!("data: {e}\n\n"))
        .collect::<String>()
        .into_bytes()
}

/// SSE with `event:` and `data:` lines (Anthropic, Responses).
fn typed_events(events: &[(&str, &str)]) -> Vec<u8> {
    events
        .iter()
        .map(|(kind, data)| format!("event: {kind}\ndata: {data}\n\n"))
        .collect::<String>()
        .into_bytes()
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).unwrap();
    e.finish().unwrap()
}

fn zlib(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).unwrap();
    e.finish().unwrap()
}

fn raw_deflate(body: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body).unwrap();
    e.finish().unwrap()
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut e = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        e.write_all(body).unwrap();
    }
    out
}

fn zstd(body: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(body, ruzstd::encoding::CompressionLevel::Fastest)
}

// ---------------------------------------------------------------- OpenAI chat

const CHAT_REQUEST_WITH_USAGE: &str = r#"{"model":"gpt-5","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Name three primes. CANARY-PROMPT-5b1e"}]}"#;
const CHAT_REQUEST_NO_USAGE: &str = r#"{"model":"gpt-4o","stream":true,"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Name three primes. CANARY-PROMPT-5b1e"}]}"#;

fn chat_stream(with_usage: bool) -> Vec<u8> {
    let mut events = vec![
        r#"{"id":"chatcmpl-B9x2","object":"chat.completion.chunk","created":1760000000,"model":"gpt-5-2025-08-07","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
        r#"{"id":"chatcmpl-B9x2","object":"chat.completion.chunk","created":1760000000,"model":"gpt-5-2025-08-07","choices":[{"index":0,"delta":{"content":"2, 3 and 5."},"finish_reason":null}],"usage":null}"#,
        r#"{"id":"chatcmpl-B9x2","object":"chat.completion.chunk","created":1760000000,"model":"gpt-5-2025-08-07","choices":[{"index":0,"delta":{"content":" CANARY-REPLY-90c4 \"done\"}"},"finish_reason":null}],"usage":null}"#,
        r#"{"id":"chatcmpl-B9x2","object":"chat.completion.chunk","created":1760000000,"model":"gpt-5-2025-08-07","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
    ];
    if with_usage {
        events.push(r#"{"id":"chatcmpl-B9x2","object":"chat.completion.chunk","created":1760000000,"model":"gpt-5-2025-08-07","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":128,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#);
    }
    events.push("[DONE]");
    data_events(&events)
}

/// The text the chat stream's deltas carry, as the estimate sees it.
const CHAT_REPLY_TEXT: &str = "2, 3 and 5. CANARY-REPLY-90c4 \"done\"}";
const CHAT_REQUEST_TEXT: &str = "You are terse.\nName three primes. CANARY-PROMPT-5b1e";

fn chat_case(request: &str) -> Case {
    Case::post(
        Api::OpenAi,
        "/v1/chat/completions",
        request,
        "text/event-stream; charset=utf-8",
    )
}

fn chat_usage() -> Tokens {
    tokens(1200 - 1024, 1024, 0, 300, 128)
}

#[test]
fn chat_stream_usage_is_the_final_chunk_in_every_chunking() {
    let case = chat_case(CHAT_REQUEST_WITH_USAGE);
    let expected = reported("gpt-5-2025-08-07", "chatcmpl-B9x2", chat_usage());
    case.assert_every_chunking(&chat_stream(true), End::Complete, &expected);
}

#[test]
fn chat_stream_with_crlf_line_ends_and_bare_cr() {
    let case = chat_case(CHAT_REQUEST_WITH_USAGE);
    let expected = reported("gpt-5-2025-08-07", "chatcmpl-B9x2", chat_usage());
    let body = String::from_utf8(chat_stream(true)).unwrap();
    let crlf = body.replace('\n', "\r\n");
    case.assert_every_chunking(crlf.as_bytes(), End::Complete, &expected);
    let cr = body.replace('\n', "\r");
    case.assert_fine_chunkings(cr.as_bytes(), End::Complete, &expected);
}

#[test]
fn chat_stream_without_include_usage_is_estimated_from_request_and_reply_text() {
    let case = chat_case(CHAT_REQUEST_NO_USAGE);
    let expected = Observed {
        model: "gpt-5-2025-08-07".to_owned(),
        tokens: tokens(
            count("gpt-5-2025-08-07", CHAT_REQUEST_TEXT),
            0,
            0,
            count("gpt-5-2025-08-07", CHAT_REPLY_TEXT),
            0,
        ),
        provenance: Provenance::Estimated,
        response_id: Some("chatcmpl-B9x2".to_owned()),
    };
    assert!(expected.tokens.input > 5 && expected.tokens.output > 5);
    case.assert_every_chunking(&chat_stream(false), End::Complete, &expected);
}

#[test]
fn chat_stream_cut_off_before_usage_is_estimated_and_never_zero() {
    let case = chat_case(CHAT_REQUEST_WITH_USAGE);
    let body = chat_stream(true);
    let cut = String::from_utf8(body.clone())
        .unwrap()
        .find("\"choices\":[]")
        .unwrap();
    let observed = case.run(&[&body[..cut]], End::CutOff).unwrap();
    assert_eq!(observed.provenance, Provenance::Estimated);
    assert_eq!(observed.tokens.input, count("gpt-5", CHAT_REQUEST_TEXT));
    assert_eq!(observed.tokens.output, count("gpt-5", CHAT_REPLY_TEXT));
    // Cut off before any byte of the reply: the request was still sent.
    let observed = case.run(&[], End::CutOff).unwrap();
    assert_eq!(observed.model, "gpt-5");
    assert_eq!(observed.tokens.output, 0);
    assert!(observed.tokens.input > 0);
}

#[test]
fn chat_usage_arriving_before_a_cut_off_is_still_reported() {
    let case = chat_case(CHAT_REQUEST_WITH_USAGE);
    let body = chat_stream(true);
    let done = String::from_utf8(body.clone())
        .unwrap()
        .find("[DONE]")
        .unwrap();
    let observed = case.run(&[&body[..done]], End::CutOff).unwrap();
    assert_eq!(observed.provenance, Provenance::Reported);
    assert_eq!(observed.tokens, chat_usage());
}

#[test]
fn chat_non_streamed_usage_subtracts_cached_from_prompt() {
    let case = Case::post(
        Api::OpenAi,
        "/v1/chat/completions",
        r#"{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}"#,
        "application/json",
    );
    let body = br#"{
  "id": "chatcmpl-CAa1",
  "object": "chat.completion",
  "created": 1760000100,
  "model": "gpt-4.1-2025-04-14",
  "choices": [
    {"index": 0, "message": {"role": "assistant", "content": "Hello {there} \"friend\"", "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}
  ],
  "usage": {"prompt_tokens": 2048, "completion_tokens": 57, "total_tokens": 2105,
    "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
  "service_tier": "default",
  "system_fingerprint": "fp_3f1a"
}"#;
    let expected = reported(
        "gpt-4.1-2025-04-14",
        "chatcmpl-CAa1",
        tokens(128, 1920, 0, 57, 0),
    );
    case.assert_every_chunking(body, End::Complete, &expected);
}

#[test]
fn chat_on_an_azure_deployment_path_and_gemini_openai_compat_route() {
    let body = br#"{"id":"chatcmpl-az","model":"gpt-4o-2024-11-20","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#;
    let mut case = Case::post(
        Api::OpenAi,
        "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21",
        "{}",
        "application/json",
    );
    let expected = reported("gpt-4o-2024-11-20", "chatcmpl-az", tokens(10, 0, 0, 2, 0));
    assert_eq!(case.run(&[body], End::Complete), Some(expected.clone()));
    case.api = Api::Gemini;
    case.path = "/v1beta/openai/chat/completions";
    assert_eq!(case.run(&[body], End::Complete), Some(expected));
}

// ------------------------------------------------------------- Responses API

const RESPONSES_REQUEST: &str = r#"{"model":"gpt-5-codex","stream":true,"instructions":"Be brief.","input":[{"role":"user","content":[{"type":"input_text","text":"Sum 2 and 2. CANARY-PROMPT-5b1e"}]}]}"#;

fn responses_stream(terminal: &str, status: &str) -> Vec<u8> {
    let head = r#"{"id":"resp_68a1","object":"response","created_at":1760000200,"status":"in_progress","model":"gpt-5-codex-2025-09-15","output":[],"usage":null}"#;
    let done = format!(
        r#"{{"type":"{terminal}","sequence_number":9,"response":{{"id":"resp_68a1","object":"response","created_at":1760000200,"status":"{status}","model":"gpt-5-codex-2025-09-15","output":[{{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{{"type":"output_text","text":"4 CANARY-REPLY-90c4","annotations":[]}}]}}],"usage":{{"input_tokens":2000,"input_tokens_details":{{"cached_tokens":1500}},"output_tokens":420,"output_tokens_details":{{"reasoning_tokens":256}},"total_tokens":2420}}}}}}"#
    );
    let created = format!(r#"{{"type":"response.created","sequence_number":0,"response":{head}}}"#);
    let in_progress =
        format!(r#"{{"type":"response.in_progress","sequence_number":1,"response":{head}}}"#);
    typed_events(&[
        ("response.created", &created),
        ("response.in_progress", &in_progress),
        (
            "response.output_item.added",
            r#"{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"type":"message","id":"msg_1","status":"in_progress","role":"assistant","content":[]}}"#,
        ),
        (
            "response.output_text.delta",
            r#"{"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"4 "}"#,
        ),
        (
            "response.output_text.delta",
            r#"{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"CANARY-REPLY-90c4"}"#,
        ),
        (
            "response.output_text.done",
            r#"{"type":"response.output_text.done","sequence_number":5,"item_id":"msg_1","output_index":0,"content_index":0,"text":"4 CANARY-REPLY-90c4"}"#,
        ),
        (terminal, &done),
    ])
}

fn responses_case() -> Case {
    Case::post(
        Api::OpenAi,
        "/v1/responses",
        RESPONSES_REQUEST,
        "text/event-stream",
    )
}

#[test]
fn responses_terminal_events_carry_the_usage() {
    let expected = reported(
        "gpt-5-codex-2025-09-15",
        "resp_68a1",
        tokens(500, 1500, 0, 420, 256),
    );
    let case = responses_case();
    case.assert_every_chunking(
        &responses_stream("response.completed", "completed"),
        End::Complete,
        &expected,
    );
    for (terminal, status) in [
        ("response.incomplete", "incomplete"),
        ("response.failed", "failed"),
    ] {
        let body = responses_stream(terminal, status);
        case.assert_fine_chunkings(&body, End::Complete, &expected);
    }
}

#[test]
fn responses_cut_off_before_the_terminal_event_is_estimated() {
    let body = responses_stream("response.completed", "completed");
    let cut = String::from_utf8(body.clone())
        .unwrap()
        .find("event: response.completed")
        .unwrap();
    let observed = responses_case().run(&[&body[..cut]], End::CutOff).unwrap();
    assert_eq!(observed.provenance, Provenance::Estimated);
    assert_eq!(observed.model, "gpt-5-codex-2025-09-15");
    assert_eq!(observed.response_id.as_deref(), Some("resp_68a1"));
    // The deltas only, not the `.done` repeat of them.
    let model = "gpt-5-codex-2025-09-15";
    assert_eq!(observed.tokens.output, count(model, "4 CANARY-REPLY-90c4"));
    assert_eq!(
        observed.tokens.input,
        count(model, "Be brief.\nSum 2 and 2. CANARY-PROMPT-5b1e")
    );
}

#[test]
fn responses_non_streamed_usage_is_at_the_top_level() {
    let case = Case::post(
        Api::OpenAi,
        "/v1/responses",
        r#"{"model":"o4-mini","input":"hi"}"#,
        "application/json",
    );
    let body = br#"{"id":"resp_0b2","object":"response","created_at":1760000300,"status":"completed","model":"o4-mini-2025-04-16","output":[{"type":"reasoning","id":"rs_1","summary":[]},{"type":"message","id":"msg_2","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hi!","annotations":[]}]}],"usage":{"input_tokens":812,"input_tokens_details":{"cached_tokens":0},"output_tokens":190,"output_tokens_details":{"reasoning_tokens":128},"total_tokens":1002},"user":null,"metadata":{}}"#;
    let expected = reported(
        "o4-mini-2025-04-16",
        "resp_0b2",
        tokens(812, 0, 0, 190, 128),
    );
    case.assert_every_chunking(body, End::Complete, &expected);
}

#[test]
fn an_oversized_response_object_still_yields_its_usage() {
    // A 3 MiB output text: kept as head and tail only.
    let big = "word ".repeat(600 * 1024);
    let body = format!(
        r#"{{"id":"resp_big","object":"response","model":"gpt-5-2025-08-07","output":[{{"type":"message","content":[{{"type":"output_text","text":"{big}"}}]}}],"usage":{{"input_tokens":40,"input_tokens_details":{{"cached_tokens":8}},"output_tokens":614400,"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":614440}},"metadata":{{}}}}"#
    );
    let case = Case::post(
        Api::OpenAi,
        "/v1/responses",
        r#"{"model":"gpt-5","input":"go"}"#,
        "application/json",
    );
    let mut tap = Tap::start(&case.exchange()).unwrap();
    let mut max_held = 0;
    for piece in body.as_bytes().chunks(16 * 1024) {
        tap.feed(piece);
        max_held = max_held.max(tap.held_bytes());
    }
    assert!(max_held <= 1024 * 1024 + 64 * 1024, "held {max_held}");
    let observed = tap.finish(End::Complete).unwrap();
    assert_eq!(
        observed,
        reported("gpt-5-2025-08-07", "resp_big", tokens(32, 8, 0, 614400, 0))
    );
}

// ------------------------------------------------------------------ Anthropic

const ANTHROPIC_REQUEST: &str = r#"{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"system":[{"type":"text","text":"You review code.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Review this. CANARY-PROMPT-5b1e"}]}"#;

const MESSAGE_START: &str = r#"{"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"cache_creation_input_tokens":3000,"cache_read_input_tokens":20000,"cache_creation":{"ephemeral_5m_input_tokens":3000,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}"#;

fn anthropic_stream(deltas: &[&str], tail: &[(&str, &str)]) -> Vec<u8> {
    let mut events: Vec<(&str, &str)> = vec![
        ("message_start", MESSAGE_START),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Check the loop bounds."}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        ("ping", r#"{"type": "ping"}"#),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
        ),
        (
            "content_block_delta",
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Looks fine. CANARY-REPLY-90c4"}}"#,
        ),
        (
            "content_block_stop",
            r#"{"type":"content_block_stop","index":1}"#,
        ),
    ];
    events.extend(deltas.iter().map(|d| ("message_delta", *d)));
    events.extend_from_slice(tail);
    typed_events(&events)
}

const ANTHROPIC_TEXT_SEEN: &str = "Check the loop bounds.Looks fine. CANARY-REPLY-90c4";

fn anthropic_case() -> Case {
    Case::post(
        Api::Anthropic,
        "/v1/messages",
        ANTHROPIC_REQUEST,
        "text/event-stream",
    )
}

const MESSAGE_STOP: (&str, &str) = ("message_stop", r#"{"type":"message_stop"}"#);

#[test]
fn anthropic_message_delta_usage_is_cumulative_never_summed() {
    let body = anthropic_stream(
        &[
            r#"{"type":"message_delta","delta":{"stop_reason":"pause_turn","stop_sequence":null},"usage":{"output_tokens":150}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":null,"cache_creation_input_tokens":null,"cache_read_input_tokens":null,"output_tokens":380,"server_tool_use":{"web_search_requests":1}}}"#,
        ],
        &[MESSAGE_STOP],
    );
    let expected = reported(
        "claude-sonnet-4-5-20250929",
        "msg_01XFDUDYJgAACzvnptvVoYEL",
        tokens(12, 20000, 3000, 380, 0),
    );
    anthropic_case().assert_every_chunking(&body, End::Complete, &expected);
}

#[test]
fn anthropic_non_null_input_in_a_later_delta_replaces_message_start() {
    let body = anthropic_stream(
        &[
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"input_tokens":40,"cache_read_input_tokens":20500,"output_tokens":90}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":null,"output_tokens":200}}"#,
        ],
        &[MESSAGE_STOP],
    );
    let observed = anthropic_case().run(&[&body], End::Complete).unwrap();
    assert_eq!(observed.tokens, tokens(40, 20500, 3000, 200, 0));
    assert_eq!(observed.provenance, Provenance::Reported);
}

#[test]
fn anthropic_cut_off_after_message_start_keeps_exact_input_and_estimates_output() {
    let body = anthropic_stream(&[], &[]);
    let model = "claude-sonnet-4-5-20250929";
    let expected = Observed {
        model: model.to_owned(),
        tokens: tokens(12, 20000, 3000, count(model, ANTHROPIC_TEXT_SEEN), 0),
        provenance: Provenance::Estimated,
        response_id: Some("msg_01XFDUDYJgAACzvnptvVoYEL".to_owned()),
    };
    assert!(expected.tokens.output > 1);
    anthropic_case().assert_every_chunking(&body, End::CutOff, &expected);
}

#[test]
fn anthropic_error_event_after_200_keeps_what_was_seen() {
    let body = anthropic_stream(
        &[],
        &[(
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )],
    );
    let model = "claude-sonnet-4-5-20250929";
    let observed = anthropic_case().run(&[&body], End::Complete).unwrap();
    assert_eq!(observed.provenance, Provenance::Estimated);
    assert_eq!(
        observed.tokens,
        tokens(12, 20000, 3000, count(model, ANTHROPIC_TEXT_SEEN), 0)
    );
    // Even after a message_delta, an error means the stream did not end.
    let body = anthropic_stream(
        &[r#"{"type":"message_delta","delta":{},"usage":{"output_tokens":7}}"#],
        &[(
            "error",
            r#"{"type":"error","error":{"type":"api_error","message":"x"}}"#,
        )],
    );
    let observed = anthropic_case().run(&[&body], End::Complete).unwrap();
    assert_eq!(observed.provenance, Provenance::Estimated);
    assert_eq!(observed.tokens.input, 12);
    assert_eq!(
        observed.tokens.output,
        count(model, ANTHROPIC_TEXT_SEEN).max(7)
    );
}

#[test]
fn anthropic_non_streamed_message() {
    let case = Case::post(
        Api::Anthropic,
        "/v1/messages",
        ANTHROPIC_REQUEST,
        "application/json",
    );
    let body = br#"{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-opus-4-1-20250805","content":[{"type":"text","text":"Hi {\"a\": [1]}"},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Oslo"}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1800,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":503,"service_tier":"standard"}}"#;
    let expected = reported(
        "claude-opus-4-1-20250805",
        "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        tokens(2095, 1800, 0, 503, 0),
    );
    case.assert_every_chunking(body, End::Complete, &expected);
}

// --------------------------------------------------------------------- Gemini

const GEMINI_REQUEST: &str = r#"{"contents":[{"role":"user","parts":[{"text":"Explain tides. CANARY-PROMPT-5b1e"}]}],"systemInstruction":{"parts":[{"text":"Short answers."}]},"generationConfig":{"thinkingConfig":{"includeThoughts":false}}}"#;

fn gemini_chunks(final_chunk: bool) -> Vec<String> {
    let mut chunks = vec![
        r#"{"candidates":[{"content":{"parts":[{"text":"The moon "}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":500,"candidatesTokenCount":3,"totalTokenCount":503,"promptTokensDetails":[{"modality":"TEXT","tokenCount":500}]},"modelVersion":"gemini-2.5-pro","responseId":"mYXfaOq7Lr"}"#.to_owned(),
        r#"{"candidates":[{"content":{"parts":[{"text":"pulls the sea. CANARY-REPLY-90c4"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":500,"candidatesTokenCount":40,"totalTokenCount":540},"modelVersion":"gemini-2.5-pro","responseId":"mYXfaOq7Lr"}"#.to_owned(),
    ];
    if final_chunk {
        chunks.push(r#"{"candidates":[{"content":{"parts":[{"text":""}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":500,"cachedContentTokenCount":300,"candidatesTokenCount":80,"thoughtsTokenCount":40,"toolUsePromptTokenCount":7,"totalTokenCount":627,"cacheTokensDetails":[{"modality":"TEXT","tokenCount":300}]},"modelVersion":"gemini-2.5-pro","responseId":"mYXfaOq7Lr"}"#.to_owned());
    }
    chunks
}

fn gemini_usage() -> Tokens {
    tokens(500 - 300 + 7, 300, 0, 120, 40)
}

#[test]
fn gemini_sse_last_usage_metadata_wins() {
    let case = Case::post(
        Api::Gemini,
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
        GEMINI_REQUEST,
        "text/event-stream",
    );
    let chunks = gemini_chunks(true);
    let body = data_events(&chunks.iter().map(String::as_str).collect::<Vec<_>>());
    let expected = reported("gemini-2.5-pro", "mYXfaOq7Lr", gemini_usage());
    case.assert_every_chunking(&body, End::Complete, &expected);
}

#[test]
fn gemini_json_array_stream_without_alt_sse() {
    let case = Case::post(
        Api::Gemini,
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
        GEMINI_REQUEST,
        "application/json; charset=UTF-8",
    );
    let body = format!("[{}]", gemini_chunks(true).join("\r\n,\r\n"));
    let expected = reported("gemini-2.5-pro", "mYXfaOq7Lr", gemini_usage());
    case.assert_every_chunking(body.as_bytes(), End::Complete, &expected);
}

#[test]
fn gemini_code_assist_usage_is_nested_under_response_and_id_is_trace_id() {
    let case = Case::post(
        Api::Gemini,
        "/v1internal:streamGenerateContent?alt=sse",
        r#"{"model":"gemini-2.5-flash","project":"p-1","request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}}"#,
        "text/event-stream",
    );
    let wrapped: Vec<String> = gemini_chunks(true)
        .iter()
        .map(|c| format!(r#"{{"response":{c},"traceId":"7c3e9a01d2","consumedCredits":1,"remainingCredits":99}}"#))
        .collect();
    let body = data_events(&wrapped.iter().map(String::as_str).collect::<Vec<_>>());
    let expected = reported("gemini-2.5-pro", "7c3e9a01d2", gemini_usage());
    case.assert_every_chunking(&body, End::Complete, &expected);
}

#[test]
fn gemini_cut_off_keeps_the_prompt_and_floors_output_at_the_last_snapshot() {
    let case = Case::post(
        Api::Gemini,
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        GEMINI_REQUEST,
        "text/event-stream",
    );
    let chunks = gemini_chunks(false);
    let body = data_events(&chunks.iter().map(String::as_str).collect::<Vec<_>>());
    let observed = case.run(&[&body], End::CutOff).unwrap();
    assert_eq!(observed.provenance, Provenance::Estimated);
    assert_eq!(observed.tokens.input, 500);
    // The snapshot said 40 output tokens so far; the text seen is fewer.
    assert_eq!(observed.tokens.output, 40);
    assert_eq!(observed.model, "gemini-2.5-pro");
    // The same stream ended normally: its last snapshot is the usage.
    let observed = case.run(&[&body], End::Complete).unwrap();
    assert_eq!(observed.provenance, Provenance::Reported);
    assert_eq!(observed.tokens, tokens(500, 0, 0, 40, 0));
}

#[test]
fn gemini_model_comes_from_the_path_when_the_response_has_none() {
    let case = Case::post(
        Api::Gemini,
        "/v1beta/models/gemini-2.0-flash-001:generateContent",
        GEMINI_REQUEST,
        "application/json",
    );
    let body = br#"{"candidates":[{"content":{"parts":[{"text":"ok"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":1,"totalTokenCount":10}}"#;
    let observed = case.run(&[body], End::Complete).unwrap();
    assert_eq!(observed.model, "gemini-2.0-flash-001");
    assert_eq!(observed.response_id, None);
    assert_eq!(observed.tokens, tokens(9, 0, 0, 1, 0));
}

// ------------------------------------------------------------- Compression

#[test]
fn compressed_bodies_are_decoded_on_the_side_in_any_chunking() {
    let chat = chat_case(CHAT_REQUEST_WITH_USAGE);
    let expected = reported("gpt-5-2025-08-07", "chatcmpl-B9x2", chat_usage());
    let body = chat_stream(true);
    type Encode = fn(&[u8]) -> Vec<u8>;
    let encoders: [(&'static str, Encode); 5] = [
        ("gzip", gzip),
        ("deflate", zlib),
        ("deflate", raw_deflate),
        ("br", brotli),
        ("zstd", zstd),
    ];
    for (encoding, encode) in encoders {
        let case = Case {
            content_encoding: Some(encoding),
            ..chat_case(CHAT_REQUEST_WITH_USAGE)
        };
        let compressed = encode(&body);
        assert_ne!(compressed, body);
        case.assert_every_chunking(&compressed, End::Complete, &expected);
    }
    // Uppercase coding names are the same coding.
    let case = Case {
        content_encoding: Some("GZIP"),
        ..chat
    };
    assert_eq!(case.run(&[&gzip(&body)], End::Complete), Some(expected));
}

#[test]
fn compressed_anthropic_and_gemini_streams() {
    let anthropic = anthropic_stream(
        &[
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":380}}"#,
        ],
        &[MESSAGE_STOP],
    );
    let expected = reported(
        "claude-sonnet-4-5-20250929",
        "msg_01XFDUDYJgAACzvnptvVoYEL",
        tokens(12, 20000, 3000, 380, 0),
    );
    for (encoding, encoded) in [
        ("br", brotli(&anthropic)),
        ("zstd", zstd(&anthropic)),
        ("gzip", gzip(&anthropic)),
    ] {
        let case = Case {
            content_encoding: Some(encoding),
            ..anthropic_case()
        };
        case.assert_fine_chunkings(&encoded, End::Complete, &expected);
    }
    let gemini = format!("[{}]", gemini_chunks(true).join(",\n"));
    let case = Case {
        content_encoding: Some("gzip"),
        ..Case::post(
            Api::Gemini,
            "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
            GEMINI_REQUEST,
            "application/json",
        )
    };
    let expected = reported("gemini-2.5-pro", "mYXfaOq7Lr", gemini_usage());
    case.assert_fine_chunkings(&gzip(gemini.as_bytes()), End::Complete, &expected);
}

#[test]
fn a_cut_off_gzip_stream_counts_what_was_decoded() {
    let case = Case {
        content_encoding: Some("gzip"),
        ..anthropic_case()
    };
    let compressed = gzip(&anthropic_stream(&[], &[]));
    let observed = case
        .run(&[&compressed[..compressed.len() - 6]], End::CutOff)
        .unwrap();
    assert_eq!(observed.provenance, Provenance::Estimated);
    assert_eq!(observed.tokens.input, 12);
    assert_eq!(
        observed.tokens.output,
        count("claude-sonnet-4-5-20250929", ANTHROPIC_TEXT_SEEN)
    );
}

#[test]
fn an_undecodable_body_is_estimated_not_dropped() {
    let case = Case {
        content_encoding: Some("gzip"),
        ..chat_case(CHAT_REQUEST_WITH_USAGE)
    };
    let garbage = vec![0x55u8; 4000];
    let observed = case.run(&[&garbage], End::Complete).unwrap();
    assert_eq!(observed.provenance, Provenance::Estimated);
    assert_eq!(observed.tokens.output, 1000);
    assert_eq!(observed.tokens.input, count("gpt-5", CHAT_REQUEST_TEXT));
}

// ------------------------------------------------------- What is not counted

#[test]
fn token_counting_endpoints_gets_and_errors_are_not_usage() {
    let not_billed = [
        (Api::Anthropic, "POST", "/v1/messages/count_tokens", 200),
        (Api::Anthropic, "POST", "/v1/messages/batches", 200),
        (
            Api::Gemini,
            "POST",
            "/v1beta/models/gemini-2.5-pro:countTokens",
            200,
        ),
        (Api::Gemini, "POST", "/v1internal:countTokens", 200),
        (Api::OpenAi, "POST", "/v1/responses/input_tokens", 200),
        (Api::OpenAi, "GET", "/v1/models", 200),
        (Api::OpenAi, "GET", "/v1/responses/resp_1", 200),
        (Api::OpenAi, "POST", "/v1/threads/thread_1/messages", 200),
        (Api::OpenAi, "POST", "/v1/chat/completions", 400),
        (Api::OpenAi, "POST", "/v1/chat/completions", 429),
        (Api::Anthropic, "POST", "/v1/messages", 529),
        (
            Api::Gemini,
            "POST",
            "/v1beta/models/gemini-2.5-pro:generateContent",
            500,
        ),
    ];
    for (api, method, path, status) in not_billed {
        let case = Case {
            method,
            status,
            ..Case::post(api, path, "{}", "application/json")
        };
        assert!(
            Tap::start(&case.exchange()).is_none(),
            "{method} {path} {status}"
        );
    }
    let billed = [
        (Api::Anthropic, "/v1/messages?beta=true"),
        (Api::Gemini, "/v1beta/models/gemini-2.5-pro:generateContent"),
        (Api::Gemini, "/v1internal:generateContent"),
        (Api::OpenAi, "/v1/responses"),
        (Api::OpenAi, "/v1/embeddings"),
    ];
    for (api, path) in billed {
        let case = Case::post(api, path, "{}", "application/json");
        assert!(Tap::start(&case.exchange()).is_some(), "{path}");
    }
}

#[test]
fn an_empty_reply_to_an_empty_request_counts_nothing() {
    let case = Case::post(Api::OpenAi, "/v1/chat/completions", "", "application/json");
    assert_eq!(case.run(&[], End::Complete), None);
}

// ----------------------------------------------------------- Framing details

#[test]
fn sse_comments_multi_line_data_and_no_final_blank_line() {
    let case = Case {
        content_type: None,
        ..chat_case(CHAT_REQUEST_WITH_USAGE)
    };
    // The usage chunk's JSON split over three data lines, a comment and an
    // id field between, and the stream ending without a blank line.
    let body = concat!(
        ": keep-alive\n\n",
        "id: 1\ndata: {\"id\":\"chatcmpl-ml\",\"model\":\"gpt-5-mini\",\n",
        ": comment inside an event\n",
        "data:\"choices\":[],\n",
        "data: \"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}",
    );
    let expected = reported("gpt-5-mini", "chatcmpl-ml", tokens(7, 0, 0, 3, 0));
    case.assert_every_chunking(body.as_bytes(), End::Complete, &expected);
}

#[test]
fn json_strings_with_braces_quotes_and_escapes_do_not_confuse_the_splitter() {
    let case = Case::post(
        Api::Gemini,
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
        GEMINI_REQUEST,
        "application/json",
    );
    let body = r#"[{"candidates":[{"content":{"parts":[{"text":"}]},{\"x\\\":[\\"}]}}]},
{"candidates":[{"content":{"parts":[{"text":"ok"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":11,"candidatesTokenCount":4},"modelVersion":"gemini-2.5-pro","responseId":"r-2"}]"#;
    let expected = reported("gemini-2.5-pro", "r-2", tokens(11, 0, 0, 4, 0));
    case.assert_every_chunking(body.as_bytes(), End::Complete, &expected);
}

// ----------------------------------------------------------- Bounds, privacy

#[test]
fn a_long_stream_keeps_memory_bounded_and_still_counts_all_text() {
    let case = chat_case(CHAT_REQUEST_NO_USAGE);
    let mut tap = Tap::start(&case.exchange()).unwrap();
    let word_event = "data: {\"id\":\"chatcmpl-L\",\"model\":\"gpt-4o\",\"choices\":[{\"delta\":{\"content\":\" tide\"}}]}\n\n";
    let events = 200_000; // about 17 MB of SSE, 1 MB of text
    let mut max_held = 0;
    for _ in 0..events {
        tap.feed(word_event.as_bytes());
        max_held = max_held.max(tap.held_bytes());
    }
    assert!(max_held < 600 * 1024, "held {max_held}");
    let observed = tap.finish(End::Complete).unwrap();
    assert_eq!(observed.provenance, Provenance::Estimated);
    // " tide" is one token in o200k_base; counting in pieces loses none.
    assert_eq!(count("gpt-4o", " tide tide"), 2);
    assert_eq!(observed.tokens.output, events);
}

#[test]
fn an_oversized_capture_keeps_its_head_and_tail_and_counts_the_rest() {
    use super::capture::{Capture, Captured};
    let mut capture = Capture::default();
    let payload: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    for piece in payload.chunks(7000) {
        capture.push(piece);
    }
    let Captured::Oversized {
        head,
        tail,
        dropped,
    } = capture.view()
    else {
        panic!("a 3 MiB payload is kept whole");
    };
    assert_eq!(head, &payload[..head.len()]);
    assert_eq!(tail, &payload[payload.len() - tail.len()..]);
    assert!(head.len() >= 16 * 1024 && tail.len() >= 64 * 1024);
    assert_eq!(head.len() + tail.len() + dropped as usize, payload.len());
    assert!(capture.held() <= 1024 * 1024);
    capture.clear();
    capture.push(b"{}");
    assert!(matches!(capture.view(), Captured::Whole(b"{}")));
}

#[test]
fn no_text_reaches_the_observation_or_debug_output() {
    let chat = chat_case(CHAT_REQUEST_NO_USAGE);
    let mut tap = Tap::start(&chat.exchange()).unwrap();
    tap.feed(&chat_stream(false));
    let tap_debug = format!("{tap:?} {:?}", chat.exchange());
    let estimated = tap.finish(End::Complete).unwrap();
    let anthropic = anthropic_case()
        .run(&[&anthropic_stream(&[], &[])], End::CutOff)
        .unwrap();
    let responses = responses_case()
        .run(
            &[&responses_stream("response.completed", "completed")],
            End::Complete,
        )
        .unwrap();
    let all = format!("{tap_debug} {estimated:?} {anthropic:?} {responses:?}");
    assert!(all.contains("chatcmpl-B9x2"), "the debug output is real");
    for canary in [CANARY_PROMPT, CANARY_REPLY, "CANARY"] {
        assert!(!all.contains(canary), "{canary} leaked");
    }
}
