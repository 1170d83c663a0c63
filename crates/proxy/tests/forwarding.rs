//! The proxy against a real HTTP server on loopback that answers like the
//! providers: bytes pass unchanged both ways, and the counts recorded are
//! the usage in the replies.
#![allow(clippy::unwrap_used)]

mod support;

use std::{
    io::Write,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body_util::Full;
use support::{Harness, Scripted, every, post, raw, send, split_at};
use tokentally_event::{Provenance, SourceRef, Tokens, Tool};

const CANARY: &str = "CANARY-7f3a9c-never-stored";

fn tokens(input: u64, cache_read: u64, cache_write: u64, output: u64, reasoning: u64) -> Tokens {
    Tokens {
        input,
        cache_read,
        cache_write,
        output,
        reasoning,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn openai_request(stream: bool, include_usage: bool) -> String {
    let mut body = serde_json::json!({
        "model": "gpt-4.1",
        "messages": [{"role": "user", "content": format!("Summarise {CANARY} in one line")}],
    });
    if stream {
        body["stream"] = true.into();
    }
    if include_usage {
        body["stream_options"] = serde_json::json!({"include_usage": true});
    }
    body.to_string()
}

fn anthropic_stream(final_delta: bool) -> String {
    let mut s = String::new();
    s += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01TT\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":20000,\"output_tokens\":1}}}\n\n";
    s += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    s += "event: ping\ndata: {\"type\": \"ping\"}\n\n";
    for i in 0..20 {
        s += &format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"{CANARY} part {i} of a long reply about nothing \"}}}}\n\n"
        );
    }
    s += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
    if final_delta {
        s += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":150}}\n\n";
        s += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":3000,\"cache_read_input_tokens\":20000,\"output_tokens\":420}}\n\n";
        s += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    }
    s
}

fn assert_passed_unchanged(reply: &support::Reply, scripted: &Scripted) {
    assert_eq!(
        reply.body,
        scripted.body(),
        "the client gets the upstream's bytes"
    );
    for (name, value) in &scripted.headers {
        assert_eq!(
            reply.header(name),
            Some(value.as_bytes()),
            "header {name} passes unchanged"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_chat_reply_passes_unchanged_and_its_usage_is_counted() {
    let h = Harness::start().await;
    let body = format!(
        "{{\"id\":\"chatcmpl-T1\",\"object\":\"chat.completion\",\"created\":1764582000,\"model\":\"gpt-4.1-2025-04-14\",\"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":\"{CANARY}\"}},\"finish_reason\":\"stop\"}}],\"usage\":{{\"prompt_tokens\":1200,\"completion_tokens\":300,\"total_tokens\":1500,\"prompt_tokens_details\":{{\"cached_tokens\":1000}},\"completion_tokens_details\":{{\"reasoning_tokens\":100}}}}}}"
    );
    let scripted = Scripted::json(&body)
        .header("x-request-id", "req_abc")
        .header("openai-processing-ms", "412");
    h.provider.script("/v1/chat/completions", scripted.clone());
    let request = openai_request(false, false);
    let reply = send(h.proxy, post("/t-openai/v1/chat/completions", &request)).await;
    assert_eq!(reply.status, 200);
    assert_passed_unchanged(&reply, &scripted);
    let events = h.take_events(1);
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.tokens, tokens(200, 1000, 0, 300, 100));
    assert_eq!(e.provenance, Provenance::Reported);
    assert_eq!(e.model.as_str(), "gpt-4.1-2025-04-14");
    assert_eq!(e.source, SourceRef::PROXY);
    assert_eq!(e.tool, Tool::ApiOther);
    assert!(!format!("{events:?}").contains(CANARY));
    let received = h.provider.received();
    assert_eq!(received[0].body, request.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_chat_stream_split_anywhere_counts_the_final_usage_chunk() {
    let h = Harness::start().await;
    let mut stream = String::new();
    for word in ["Hel", "lo ", CANARY] {
        stream += &format!(
            "data: {{\"id\":\"chatcmpl-S1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4.1-2025-04-14\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{word}\"}},\"finish_reason\":null}}],\"usage\":null}}\n\n"
        );
    }
    stream += "data: {\"id\":\"chatcmpl-S1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4.1-2025-04-14\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":7,\"total_tokens\":57,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n";
    stream += "data: [DONE]\n\n";
    // Every chunk size from 1 to 40 bytes: boundaries inside "data:",
    // inside JSON, between \n and \n.
    for size in [1, 2, 3, 5, 7, 13, 40] {
        let scripted = Scripted::sse(every(stream.as_bytes(), size));
        h.provider.script("/v1/chat/completions", scripted.clone());
        let reply = send(
            h.proxy,
            post("/t-openai/v1/chat/completions", &openai_request(true, true)),
        )
        .await;
        assert_passed_unchanged(&reply, &scripted);
        let events = h.take_events(1);
        assert_eq!(events.len(), 1, "chunks of {size}: {events:?}");
        assert_eq!(events[0].tokens, tokens(50, 0, 0, 7, 0), "chunks of {size}");
        assert_eq!(events[0].provenance, Provenance::Reported);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_stream_without_usage_is_estimated_never_zero() {
    let h = Harness::start().await;
    let mut stream = String::new();
    for _ in 0..30 {
        stream += "data: {\"id\":\"chatcmpl-E1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4.1-2025-04-14\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"some words of the reply \"},\"finish_reason\":null}]}\n\n";
    }
    stream += "data: [DONE]\n\n";
    let scripted = Scripted::sse(every(stream.as_bytes(), 64));
    h.provider.script("/v1/chat/completions", scripted.clone());
    let reply = send(
        h.proxy,
        post(
            "/t-openai/v1/chat/completions",
            &openai_request(true, false),
        ),
    )
    .await;
    assert_passed_unchanged(&reply, &scripted);
    let received = h.provider.received();
    assert!(
        !String::from_utf8_lossy(&received[0].body).contains("include_usage"),
        "nothing is injected into the request"
    );
    let events = h.take_events(1);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.provenance, Provenance::Estimated);
    assert!(e.tokens.input > 5 && e.tokens.output > 60, "{:?}", e.tokens);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_api_stream_counts_response_completed() {
    let h = Harness::start().await;
    let mut s = String::new();
    s += "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_R1\",\"object\":\"response\",\"model\":\"gpt-5-codex\",\"status\":\"in_progress\",\"usage\":null}}\n\n";
    s += &format!(
        "event: response.output_text.delta\ndata: {{\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"{CANARY}\"}}\n\n"
    );
    s += "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_R1\",\"object\":\"response\",\"model\":\"gpt-5-codex\",\"status\":\"completed\",\"usage\":{\"input_tokens\":500,\"input_tokens_details\":{\"cached_tokens\":100},\"output_tokens\":80,\"output_tokens_details\":{\"reasoning_tokens\":30},\"total_tokens\":580}}}\n\n";
    let scripted = Scripted::sse(split_at(s.as_bytes(), &[3, 100, 101, 260, 400]));
    h.provider.script("/v1/responses", scripted.clone());
    let request = r#"{"model":"gpt-5-codex","input":"hi","stream":true}"#;
    let mut req = post("/t-openai/v1/responses", request);
    req.headers_mut().insert(
        "user-agent",
        "codex_cli_rs/0.63.0 (Debian 12; x86_64)".parse().unwrap(),
    );
    let reply = send(h.proxy, req).await;
    assert_passed_unchanged(&reply, &scripted);
    let events = h.take_events(1);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].tokens, tokens(400, 100, 0, 80, 30));
    assert_eq!(events[0].tool, Tool::Codex, "attributed by user-agent");
    assert_eq!(events[0].model.as_str(), "gpt-5-codex");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_gzip_stream_takes_the_last_cumulative_delta_never_the_sum() {
    let h = Harness::start().await;
    let compressed = gzip(anthropic_stream(true).as_bytes());
    let scripted = Scripted::sse(every(&compressed, 97))
        .header("content-encoding", "gzip")
        .header("request-id", "req_011TT")
        .header("anthropic-organization-id", "org-1");
    h.provider.script("/v1/messages", scripted.clone());
    let request = format!(
        "{{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"stream\":true,\"messages\":[{{\"role\":\"user\",\"content\":\"{CANARY}\"}}]}}"
    );
    let mut req = post("/t-anthropic/v1/messages?beta=true", &request);
    for (name, value) in [
        ("anthropic-version", "2023-06-01"),
        (
            "anthropic-beta",
            "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14",
        ),
        ("authorization", "Bearer sk-ant-oat01-secret"),
        ("user-agent", "claude-cli/2.0.14 (external, cli)"),
        ("accept-encoding", "gzip, br"),
        ("x-tokentally-tool", "claude-code"),
        ("x-stainless-retry-count", "0"),
    ] {
        req.headers_mut().insert(name, value.parse().unwrap());
    }
    let reply = send(h.proxy, req.clone()).await;
    assert_passed_unchanged(&reply, &scripted);
    let events = h.take_events(1);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.tokens, tokens(12, 20000, 3000, 420, 0));
    assert_eq!(e.provenance, Provenance::Reported);
    assert_eq!(e.tool, Tool::ClaudeCode);
    assert!(e.lineage.is_some(), "joinable with the Claude Code log");
    // The upstream got the request as sent, less the attribution header.
    let got = &h.provider.received()[0];
    assert_eq!(got.method, "POST");
    assert_eq!(got.uri, "/v1/messages?beta=true");
    assert_eq!(got.body, request.as_bytes());
    for (name, value) in req.headers() {
        if name == "x-tokentally-tool" {
            assert_eq!(
                got.header(name.as_str()),
                None,
                "attribution header is stripped"
            );
        } else {
            assert_eq!(got.header(name.as_str()), Some(value.as_bytes()), "{name}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_stream_counts_what_was_seen_as_an_estimate() {
    let h = Harness::start().await;
    let mut scripted = Scripted::sse(every(anthropic_stream(false).as_bytes(), 200));
    scripted.cut_off = true;
    h.provider.script("/v1/messages", scripted);
    let reply = send(h.proxy, post("/t-anthropic/v1/messages", r#"{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hello there"}]}"#)).await;
    assert!(reply.failed, "the client sees the stream break, as it did");
    let events = h.take_events(1);
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.provenance, Provenance::Estimated);
    assert_eq!(
        (e.tokens.input, e.tokens.cache_read, e.tokens.cache_write),
        (12, 20000, 3000)
    );
    assert!(
        e.tokens.output > 100,
        "output estimated from the text seen: {:?}",
        e.tokens
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_event_after_200_keeps_the_counts_seen() {
    let h = Harness::start().await;
    let mut s = anthropic_stream(false);
    s += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{},\"usage\":{\"output_tokens\":5000}}\n\n";
    s += "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    h.provider
        .script("/v1/messages", Scripted::sse(every(s.as_bytes(), 333)));
    send(
        h.proxy,
        post(
            "/t-anthropic/v1/messages",
            r#"{"model":"claude-sonnet-4-5","stream":true,"messages":[]}"#,
        ),
    )
    .await;
    let events = h.take_events(1);
    assert_eq!(events.len(), 1);
    // The stream did not finish, so the call is an estimate; but the
    // counts the provider reported before the error are kept, not lowered
    // to what the text seen would suggest.
    assert_eq!(
        (events[0].tokens.input, events[0].tokens.output),
        (12, 5000)
    );
    assert_eq!(events[0].provenance, Provenance::Estimated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_streams_keep_the_last_usage_snapshot_also_under_code_assist() {
    let h = Harness::start().await;
    let chunk = |usage: &str, text: &str| {
        format!(
            "{{\"candidates\":[{{\"content\":{{\"role\":\"model\",\"parts\":[{{\"text\":\"{text}\"}}]}}}}],\"usageMetadata\":{usage},\"modelVersion\":\"gemini-2.5-pro\",\"responseId\":\"r-G1\"}}"
        )
    };
    let first = chunk(
        r#"{"promptTokenCount":800,"candidatesTokenCount":10,"totalTokenCount":810}"#,
        CANARY,
    );
    let last = chunk(
        r#"{"promptTokenCount":800,"cachedContentTokenCount":600,"candidatesTokenCount":95,"thoughtsTokenCount":40,"totalTokenCount":935}"#,
        "done",
    );
    let sse = format!("data: {first}\r\n\r\ndata: {last}\r\n\r\n");
    h.provider.script(
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
        Scripted::sse(every(sse.as_bytes(), 50)),
    );
    send(
        h.proxy,
        post(
            "/t-gemini/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
            r#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#,
        ),
    )
    .await;
    let events = h.take_events(1);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].tokens, tokens(200, 600, 0, 135, 40));
    // Code Assist wraps each response.
    let wrapped = format!(
        "data: {{\"response\":{first},\"traceId\":\"t1\"}}\n\ndata: {{\"response\":{last},\"traceId\":\"t1\"}}\n\n"
    );
    h.provider.script(
        "/v1internal:streamGenerateContent",
        Scripted::sse(every(wrapped.as_bytes(), 61)),
    );
    send(
        h.proxy,
        post(
            "/t-gemini/v1internal:streamGenerateContent?alt=sse",
            r#"{"model":"gemini-2.5-pro","request":{"contents":[]}}"#,
        ),
    )
    .await;
    let events = h.take_events(1);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].tokens, tokens(200, 600, 0, 135, 40));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_counting_endpoints_and_errors_are_not_usage() {
    let h = Harness::start().await;
    h.provider.script(
        "/v1/messages/count_tokens",
        Scripted::json(r#"{"input_tokens":1234}"#),
    );
    let reply = send(
        h.proxy,
        post(
            "/t-anthropic/v1/messages/count_tokens",
            r#"{"model":"claude-sonnet-4-5","messages":[]}"#,
        ),
    )
    .await;
    assert_eq!(reply.body, br#"{"input_tokens":1234}"#);
    let mut overloaded = Scripted::json(
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    );
    overloaded.status = 529;
    h.provider.script("/v1/messages", overloaded);
    let reply = send(
        h.proxy,
        post(
            "/t-anthropic/v1/messages",
            r#"{"model":"claude-sonnet-4-5","messages":[]}"#,
        ),
    )
    .await;
    assert_eq!(reply.status, 529, "the upstream's status passes unchanged");
    assert!(h.take_events(0).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_is_passed_on_as_it_arrives_not_buffered() {
    let h = Harness::start().await;
    let mut scripted = Scripted::sse(every(anthropic_stream(true).as_bytes(), 400));
    scripted.gap = Duration::from_millis(150);
    let chunks = scripted.chunks.len();
    h.provider.script("/v1/messages", scripted);
    let reply = send(
        h.proxy,
        post(
            "/t-anthropic/v1/messages",
            r#"{"model":"claude-sonnet-4-5","stream":true,"messages":[]}"#,
        ),
    )
    .await;
    let first = reply.first_byte.unwrap();
    assert!(
        first < Duration::from_millis(120),
        "first byte after {first:?}; the stream takes {} ms",
        chunks * 150
    );
    assert_eq!(h.take_events(1).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_tunnels_unknown_routes_and_huge_bodies_are_refused() {
    let h = Harness::start().await;
    let cases = [
        (
            "POST /t-openai/v1/chat/completions HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
            "403",
        ),
        (
            "CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\nConnection: close\r\n\r\n",
            "405",
        ),
        (
            "GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
            "400",
        ),
        (
            "POST /nowhere/v1/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
            "404",
        ),
        (
            "POST /t-openai/v1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 2000000\r\n\r\n",
            "413",
        ),
        (
            "POST /t-openai/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:47310\r\nOrigin: https://evil.example\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
            "403",
        ),
        (
            "POST /t-openai/%2e%2e/admin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
            "400",
        ),
    ];
    for (request, status) in cases {
        let reply = raw(h.proxy, request).await;
        assert!(
            reply.starts_with(&format!("HTTP/1.1 {status}")),
            "{request:?} -> {reply:?}"
        );
    }
    assert!(
        h.provider.received().is_empty(),
        "nothing reached the upstream"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_or_a_route_suffix_names_the_tool() {
    let h = Harness::start().await;
    h.provider.script("/v1/chat/completions", Scripted::json(r#"{"id":"chatcmpl-A","model":"gpt-4.1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"#));
    send(h.proxy, post("/t-openai~aider/v1/chat/completions", "{}")).await;
    let mut req = post("/t-openai/v1/chat/completions", "{}");
    req.headers_mut()
        .insert("x-tokentally-tool", "goose".parse().unwrap());
    send(h.proxy, req).await;
    let tools: Vec<Tool> = h.take_events(2).iter().map(|e| e.tool).collect();
    assert_eq!(tools, vec![Tool::Aider, Tool::Goose]);
    assert_eq!(h.provider.received()[0].uri, "/v1/chat/completions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_loopback_addresses_and_a_clear_error_when_the_port_is_taken() {
    use std::sync::Arc;
    use tokentally_proxy::{Proxy, ProxyConfig, ProxyError};
    let (tx, _rx) = std::sync::mpsc::channel();
    let sink = Arc::new(tx);
    let mut config = ProxyConfig::loopback(0);
    config.listen = vec!["0.0.0.0:0".parse().unwrap()];
    assert!(matches!(
        Proxy::bind(config, sink.clone()).await,
        Err(ProxyError::NotLoopback(_))
    ));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let Err(e) = Proxy::bind(ProxyConfig::loopback(port), sink).await else {
        panic!("bound a taken port");
    };
    assert!(e.to_string().contains(&port.to_string()), "{e}");
    assert!(e.to_string().contains("proxy_port"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_a_502_not_a_hang() {
    use std::sync::Arc;
    use tokentally_proxy::{Api, Proxy, ProxyConfig, Upstream};
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let (tx, _rx) = std::sync::mpsc::channel();
    let mut config = ProxyConfig::loopback(0);
    config.listen = vec!["127.0.0.1:0".parse().unwrap()];
    config.extra_upstreams =
        vec![Upstream::new("dead", &format!("http://127.0.0.1:{port}"), Api::OpenAi).unwrap()];
    let proxy = Proxy::bind(config, Arc::new(tx)).await.unwrap();
    let addr = proxy.local_addrs()[0];
    tokio::spawn(proxy.run(std::future::pending(), Duration::from_secs(1)));
    let reply = send(
        addr,
        hyper::Request::builder()
            .method("POST")
            .uri("/dead/v1/x")
            .body(Full::new(Bytes::from_static(b"{}")))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 502);
    assert!(String::from_utf8_lossy(&reply.body).contains("could not be reached"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_stalled_at_shutdown_is_closed_and_counted_as_cut_off() {
    let mut h = Harness::start().await;
    let stream = anthropic_stream(false);
    let mut scripted = Scripted::sse(split_at(stream.as_bytes(), &[600]));
    scripted.gap = Duration::from_secs(3600);
    h.provider.script("/v1/messages", scripted);
    let proxy = h.proxy;
    let client = tokio::spawn(send(
        proxy,
        post(
            "/t-anthropic/v1/messages",
            r#"{"model":"claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hello there"}]}"#,
        ),
    ));
    wait_until(|| !h.provider.received().is_empty()).await;
    // Let the first chunk (message_start) pass through.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let run = h.shut_down();
    let shutting = Instant::now();
    tokio::time::timeout(Duration::from_secs(3), run)
        .await
        .expect("Proxy::run returns after the drain")
        .unwrap();
    let events = h.take_events(1);
    assert!(shutting.elapsed() < Duration::from_secs(4));
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.provenance, Provenance::Estimated);
    assert_eq!((e.tokens.input, e.tokens.cache_read), (12, 20000));
    let reply = tokio::time::timeout(Duration::from_secs(2), client)
        .await
        .expect("the client's connection is closed")
        .unwrap();
    assert!(reply.failed, "the client sees the stream break");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_given_up_before_the_reply_began_is_estimated_from_its_request() {
    let h = Harness::start().await;
    let mut scripted = Scripted::json(
        r#"{"id":"chatcmpl-Late","model":"gpt-4.1","choices":[],"usage":{"prompt_tokens":30,"completion_tokens":4,"total_tokens":34}}"#,
    );
    scripted.head_delay = Duration::from_secs(5);
    h.provider.script("/v1/chat/completions", scripted);
    let gave_up = tokio::time::timeout(
        Duration::from_millis(500),
        send(
            h.proxy,
            post(
                "/t-openai/v1/chat/completions",
                &openai_request(false, false),
            ),
        ),
    )
    .await;
    assert!(gave_up.is_err(), "the client timed out");
    let events = h.take_events(1);
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(e.provenance, Provenance::Estimated);
    assert!(e.tokens.input > 5, "the request's tokens: {:?}", e.tokens);
    assert_eq!(e.tokens.output, 0);
    assert_eq!(e.model.as_str(), "gpt-4.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_slow_bodies_do_not_hold_a_connection() {
    let h = Harness::start_with(|c| {
        c.header_read_timeout = Duration::from_millis(300);
        c.body_read_timeout = Duration::from_millis(300);
    })
    .await;
    let started = Instant::now();
    raw(
        h.proxy,
        "POST /t-openai/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n",
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "unfinished headers held the connection for {:?}",
        started.elapsed()
    );
    let reply = raw(
        h.proxy,
        "POST /t-openai/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n{\"model\"",
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply:?}");
    assert!(h.provider.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_body_is_a_400_an_oversized_one_a_413() {
    let h = Harness::start_with(|c| c.max_request_bytes = 64).await;
    let head = "POST /t-openai/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
    let reply = raw(h.proxy, &format!("{head}zz\r\n{{}}\r\n0\r\n\r\n")).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply:?}");
    assert!(
        reply.contains("the request body could not be read"),
        "{reply:?}"
    );
    let big = "x".repeat(100);
    let reply = raw(h.proxy, &format!("{head}64\r\n{big}\r\n0\r\n\r\n")).await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply:?}");
    assert!(h.provider.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn te_trailers_goes_upstream_other_te_values_do_not() {
    let h = Harness::start().await;
    h.provider
        .script("/v1/models", Scripted::json(r#"{"data":[]}"#));
    for te in ["trailers", "gzip"] {
        let request = hyper::Request::builder()
            .method("GET")
            .uri("/t-openai/v1/models")
            .header("te", te)
            .body(Full::new(Bytes::new()))
            .unwrap();
        assert_eq!(send(h.proxy, request).await.status, 200);
    }
    let received = h.provider.received();
    assert_eq!(received[0].header("te"), Some(&b"trailers"[..]));
    assert_eq!(received[1].header("te"), None);
}

#[test]
fn an_estimate_outlives_the_runtime_and_the_sink_is_then_let_go() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let h = runtime.block_on(async {
        let h = Harness::start().await;
        let mut scripted = Scripted::sse(split_at(anthropic_stream(false).as_bytes(), &[600]));
        scripted.gap = Duration::from_secs(3600);
        h.provider.script("/v1/messages", scripted);
        tokio::spawn(send(
            h.proxy,
            post(
                "/t-anthropic/v1/messages",
                r#"{"model":"claude-sonnet-4-5","stream":true,"messages":[]}"#,
            ),
        ));
        wait_until(|| !h.provider.received().is_empty()).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        h
    });
    // What an owner does at exit: the stalled stream's task is dropped.
    runtime.shutdown_timeout(Duration::from_millis(100));
    let event = h.events.recv_timeout(Duration::from_secs(2)).unwrap();
    assert_eq!(event.provenance, Provenance::Estimated);
    assert!(
        matches!(
            h.events.recv_timeout(Duration::from_secs(2)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected)
        ),
        "the estimator thread drained and let go of the sink"
    );
}

/// Waits up to two seconds for `done`.
async fn wait_until(done: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(2);
    while !done() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
