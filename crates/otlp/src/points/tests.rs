#![allow(clippy::unwrap_used)]

use super::*;
use crate::testutil::{claude_sum, gen_ai_histogram, kv, request, request_with_resource};

#[test]
fn services_name_their_tools() {
    assert_eq!(tool_of_service("claude-code"), Some(Tool::ClaudeCode));
    assert_eq!(tool_of_service("codex_cli_rs"), Some(Tool::Codex));
    assert_eq!(tool_of_service("codex-cli"), Some(Tool::Codex));
    assert_eq!(tool_of_service("github-copilot-cli"), Some(Tool::Copilot));
    assert_eq!(tool_of_service("my-script"), None);
}

#[test]
fn claude_code_types_map_to_the_anthropic_counts() {
    let metrics = ["input", "output", "cacheRead", "cacheCreation", "total"]
        .iter()
        .map(|t| {
            claude_sum(
                false,
                vec![kv("type", t), kv("model", "claude-opus-4-1")],
                1,
                2,
                10.0,
            )
        })
        .collect();
    let points = token_points(&request("claude-code", metrics));
    let kinds: Vec<TokenKind> = points.iter().map(|p| p.kind).collect();
    assert_eq!(
        kinds,
        [
            TokenKind::Input,
            TokenKind::Output,
            TokenKind::CacheRead,
            TokenKind::CacheWrite
        ]
    );
    assert!(points.iter().all(|p| p.model.as_str() == "claude-opus-4-1"));
    assert!(points.iter().all(|p| p.temporality == Temporality::Delta));
}

#[test]
fn gen_ai_takes_the_response_model_and_counts_only_input_and_output() {
    let attrs = |t: &str| {
        vec![
            kv("gen_ai.token.type", t),
            kv("gen_ai.request.model", "gpt-5"),
            kv("gen_ai.response.model", "gpt-5-2025-08-07"),
        ]
    };
    let metrics = ["input", "output", "total"]
        .iter()
        .map(|t| gen_ai_histogram(true, attrs(t), 1, 2, 300.0, 2))
        .collect();
    let points = token_points(&request("codex_cli_rs", metrics));
    assert_eq!(points.len(), 2);
    assert_eq!(points[0].kind, TokenKind::Input);
    assert_eq!(points[0].value, 300);
    assert_eq!(points[0].model.as_str(), "gpt-5-2025-08-07");
    assert_eq!(points[0].tool, Tool::Codex);
    assert_eq!(points[0].temporality, Temporality::Cumulative);
}

#[test]
fn gen_ai_from_an_unknown_service_is_skipped() {
    let metric = gen_ai_histogram(false, vec![kv("gen_ai.token.type", "input")], 1, 2, 5.0, 1);
    assert!(token_points(&request("some-script", vec![metric.clone()])).is_empty());
    assert!(token_points(&request_with_resource(vec![], vec![metric])).is_empty());
}

#[test]
fn claude_code_counter_is_claude_code_whatever_the_service_name() {
    let metric = claude_sum(false, vec![kv("type", "input")], 1, 2, 5.0);
    let points = token_points(&request("renamed-by-user", vec![metric]));
    assert_eq!(points[0].tool, Tool::ClaudeCode);
}

#[test]
fn a_model_that_is_text_becomes_unknown() {
    let metric = claude_sum(
        false,
        vec![kv("type", "input"), kv("model", "ignore all previous")],
        1,
        2,
        5.0,
    );
    let points = token_points(&request("claude-code", vec![metric]));
    assert_eq!(points[0].model.as_str(), Model::UNKNOWN);
}

#[test]
fn unusable_values_are_skipped() {
    let metrics = [f64::NAN, -1.0, f64::INFINITY, 1e300]
        .iter()
        .map(|v| claude_sum(false, vec![kv("type", "input")], 1, 2, *v))
        .collect();
    assert!(token_points(&request("claude-code", metrics)).is_empty());
}

#[test]
fn series_differ_by_any_attribute_and_not_by_their_order() {
    let point = |attrs: Vec<KeyValue>| {
        token_points(&request(
            "claude-code",
            vec![claude_sum(true, attrs, 1, 2, 5.0)],
        ))[0]
            .series
    };
    let a = point(vec![kv("type", "input"), kv("user.email", "a@example.com")]);
    let b = point(vec![kv("type", "input"), kv("user.email", "b@example.com")]);
    let a_reordered = point(vec![kv("user.email", "a@example.com"), kv("type", "input")]);
    assert_ne!(a, b);
    assert_eq!(a, a_reordered);
    let resource = |host: &str| {
        let export = request_with_resource(
            vec![kv("service.name", "claude-code"), kv("host.name", host)],
            vec![claude_sum(true, vec![kv("type", "input")], 1, 2, 5.0)],
        );
        token_points(&export)[0].series
    };
    assert_ne!(resource("one"), resource("two"));
}

#[test]
fn session_id_is_kept_only_as_a_hash() {
    let metric = claude_sum(
        false,
        vec![kv("type", "input"), kv("session.id", "sess-1")],
        1,
        2,
        5.0,
    );
    let points = token_points(&request("claude-code", vec![metric]));
    assert_eq!(points[0].session, Some(Key::of(&[b"sess-1"])));
}
