//! Exports made by the OpenTelemetry SDK and its OTLP/HTTP exporter.

use opentelemetry::metrics::MeterProvider;
use opentelemetry_otlp::Protocol;
use opentelemetry_sdk::metrics::Temporality;
use tokentally_event::{Provenance, SourceRef, Tokens, Tool};
use tokentally_otlp::ReceiverState;

use crate::harness::{
    Server, assert_no_canary, claude_attrs, gen_ai_attrs, meter_provider, totals,
};

/// Claude Code's counter through one meter provider: two rounds of usage,
/// flushed after each, and a third flush with nothing new.
fn claude_code_session(server: &Server, protocol: Protocol, temporality: Temporality, gzip: bool) {
    let provider = meter_provider(server.addr, "claude-code", protocol, temporality, gzip);
    let counter = provider
        .meter("com.anthropic.claude_code")
        .f64_counter("claude_code.token.usage")
        .with_unit("tokens")
        .build();
    counter.add(1200.0, &claude_attrs("input"));
    counter.add(300.0, &claude_attrs("output"));
    counter.add(5000.0, &claude_attrs("cacheRead"));
    counter.add(700.0, &claude_attrs("cacheCreation"));
    provider.force_flush().unwrap();
    counter.add(34.0, &claude_attrs("input"));
    counter.add(66.0, &claude_attrs("output"));
    provider.force_flush().unwrap();
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();
}

/// What [`claude_code_session`] recorded on the meter.
const CLAUDE_CODE_SESSION: Tokens = Tokens {
    input: 1234,
    output: 366,
    cache_read: 5000,
    cache_write: 700,
    reasoning: 0,
};

#[test]
fn cumulative_protobuf_exports_count_what_each_added() {
    let server = Server::start(ReceiverState::default());
    claude_code_session(
        &server,
        Protocol::HttpBinary,
        Temporality::Cumulative,
        false,
    );
    let events = server.recorded.events();
    let state = server.recorded.state.lock().unwrap().clone();
    assert_eq!(totals(&events), CLAUDE_CODE_SESSION);
    // Four series, each counted at its first export, two again later.
    assert_eq!(events.len(), 6);
    assert_eq!(state.as_ref().map(|s| s.series.len()), Some(4));
    for event in &events {
        assert_eq!(event.tool, Tool::ClaudeCode);
        assert_eq!(event.model.as_str(), "claude-sonnet-4-5-20250929");
        assert_eq!(event.provenance, Provenance::Reported);
        assert_eq!(event.source, SourceRef::TELEMETRY);
    }
    assert_no_canary(&events, state.as_ref());
    // The last flush added nothing, so the sink was not called for it: the
    // state it holds differs from the final one only in times, never in a
    // running total.
    let totals_of = |s: &ReceiverState| -> Vec<(u64, u64)> {
        s.series.values().map(|m| (m.start_ns, m.value)).collect()
    };
    assert_eq!(totals_of(&server.stop()), totals_of(&state.unwrap()));
}

#[test]
fn delta_json_gzip_exports_count_as_sent() {
    let server = Server::start(ReceiverState::default());
    claude_code_session(&server, Protocol::HttpJson, Temporality::Delta, true);
    let events = server.recorded.events();
    assert_eq!(totals(&events), CLAUDE_CODE_SESSION);
    assert_eq!(events.len(), 6);
    assert_no_canary(&events, None);
    // Delta series need no memory.
    assert!(server.stop().series.is_empty());
}

/// The GenAI histogram: input 300 + 200, output 50, flushed; then input 100.
fn gen_ai_session(server: &Server, service: &str, protocol: Protocol, temporality: Temporality) {
    let provider = meter_provider(server.addr, service, protocol, temporality, false);
    let histogram = provider
        .meter("gen_ai")
        .u64_histogram("gen_ai.client.token.usage")
        .with_unit("{token}")
        .build();
    histogram.record(300, &gen_ai_attrs("input"));
    histogram.record(200, &gen_ai_attrs("input"));
    histogram.record(50, &gen_ai_attrs("output"));
    provider.force_flush().unwrap();
    histogram.record(100, &gen_ai_attrs("input"));
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();
}

#[test]
fn gen_ai_histograms_count_their_sums_in_both_temporalities() {
    let server = Server::start(ReceiverState::default());
    gen_ai_session(
        &server,
        "codex_cli_rs",
        Protocol::HttpBinary,
        Temporality::Cumulative,
    );
    gen_ai_session(
        &server,
        "github-copilot-cli",
        Protocol::HttpJson,
        Temporality::Delta,
    );
    let events = server.recorded.events();
    let of = |tool: Tool| {
        let mine: Vec<_> = events.iter().filter(|e| e.tool == tool).cloned().collect();
        totals(&mine)
    };
    let expected = Tokens {
        input: 600,
        output: 50,
        ..Tokens::default()
    };
    assert_eq!(of(Tool::Codex), expected);
    assert_eq!(of(Tool::Copilot), expected);
    assert!(
        events
            .iter()
            .all(|e| e.model.as_str() == "gpt-5-2025-08-07")
    );
    assert_no_canary(&events, None);
}

#[test]
fn gen_ai_from_an_unknown_service_is_accepted_and_not_counted() {
    let server = Server::start(ReceiverState::default());
    gen_ai_session(
        &server,
        "some-script",
        Protocol::HttpBinary,
        Temporality::Delta,
    );
    assert!(server.recorded.events().is_empty());
}

#[test]
fn a_restarted_tool_is_a_reset_counted_whole() {
    let server = Server::start(ReceiverState::default());
    // Two runs of the tool: the same series, a new start time.
    for added in [10.0, 4.0] {
        let provider = meter_provider(
            server.addr,
            "claude-code",
            Protocol::HttpBinary,
            Temporality::Cumulative,
            false,
        );
        let counter = provider
            .meter("com.anthropic.claude_code")
            .f64_counter("claude_code.token.usage")
            .build();
        counter.add(added, &claude_attrs("input"));
        provider.force_flush().unwrap();
        provider.shutdown().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let events = server.recorded.events();
    assert_eq!(totals(&events).input, 14);
    // One running total per run of the tool.
    assert_eq!(server.stop().series.len(), 2);
}

#[test]
fn a_restarted_receiver_continues_from_its_saved_state() {
    let first = Server::start(ReceiverState::default());
    let addr = first.addr;
    let provider = meter_provider(
        addr,
        "claude-code",
        Protocol::HttpBinary,
        Temporality::Cumulative,
        false,
    );
    let counter = provider
        .meter("com.anthropic.claude_code")
        .f64_counter("claude_code.token.usage")
        .build();
    counter.add(10.0, &claude_attrs("input"));
    provider.force_flush().unwrap();
    let before = first.recorded.events();
    let saved = first.recorded.state.lock().unwrap().clone().unwrap();
    drop(first);

    // Saved as the lead would, and read back by a new receiver on the port.
    let saved: ReceiverState =
        serde_json::from_str(&serde_json::to_string(&saved).unwrap()).unwrap();
    let second = Server::start_on(addr, saved);
    counter.add(5.0, &claude_attrs("input"));
    // The exporter may first find its pooled connection to the old server
    // closed; a cumulative export lost that way is carried by the next.
    let _ = provider.force_flush();
    let _ = provider.force_flush();
    provider.shutdown().unwrap();
    let after = second.recorded.events();
    assert_eq!(totals(&before).input, 10);
    assert_eq!(totals(&after).input, 5, "{after:?}");
}
