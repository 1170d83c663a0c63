//! The same buckets as OpenTelemetry metrics (OTLP/HTTP JSON), for a
//! company that already runs a collector: `gen_ai.client.token.usage`, a
//! cumulative histogram per token type, as the GenAI semantic conventions
//! name it. Each bucket is one run of its series, starting at the period's
//! start: a re-sent bucket is a later value of the same run, so a collector
//! keeps the newest and nothing is added twice.

use serde_json::{Value, json};
use tokentally_wire::Bucket;

use crate::Plan;

/// The metric's name in the GenAI semantic conventions.
pub const METRIC: &str = "gen_ai.client.token.usage";

/// The export request for these buckets, as compact JSON bytes.
pub fn export(plan: &Plan, buckets: &[Bucket]) -> Vec<u8> {
    let points: Vec<Value> = buckets.iter().flat_map(|b| points(plan, b)).collect();
    let request = json!({
        "resourceMetrics": [{
            "resource": { "attributes": [attr("service.name", "tokentally")] },
            "scopeMetrics": [{
                "scope": { "name": "tokentally", "version": env!("CARGO_PKG_VERSION") },
                "metrics": [{
                    "name": METRIC,
                    "description": "Tokens used by AI tools, summed per period, tool and model",
                    "unit": "{token}",
                    "histogram": { "aggregationTemporality": 2, "dataPoints": points }
                }]
            }]
        }]
    });
    serde_json::to_vec(&request).unwrap_or_default()
}

fn points(plan: &Plan, b: &Bucket) -> Vec<Value> {
    let start_ns = nanos(b.start);
    let end_ns = nanos(plan.period_end(b.start));
    let calls = b.calls();
    [
        ("input", b.input),
        ("output", b.output),
        ("cache_read", b.cache_read),
        ("cache_write", b.cache_write),
        ("reasoning", b.reasoning),
    ]
    .into_iter()
    .map(|(kind, tokens)| {
        let mut attributes = vec![
            attr("gen_ai.token.type", kind),
            attr("gen_ai.request.model", b.model.as_str()),
            attr("tokentally.tool", b.tool.0.as_str()),
            attr("tokentally.period", b.period.as_str()),
        ];
        if let Some(provider) = provider(b.model.as_str()) {
            attributes.push(attr("gen_ai.provider.name", provider));
        }
        json!({
            "attributes": attributes,
            "startTimeUnixNano": start_ns,
            "timeUnixNano": end_ns,
            "count": calls.to_string(),
            "sum": tokens,
            "bucketCounts": [calls.to_string()],
            "explicitBounds": []
        })
    })
    .collect()
}

fn nanos(seconds: i64) -> String {
    (i128::from(seconds) * 1_000_000_000).to_string()
}

fn attr(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

/// The provider, by the semantic conventions' names, when the model says it.
fn provider(model: &str) -> Option<&'static str> {
    let m = model.rsplit('/').next().unwrap_or(model);
    if m.starts_with("claude") {
        Some("anthropic")
    } else if m.starts_with("gpt")
        || m.starts_with("codex")
        || m.starts_with('o') && m[1..].starts_with(|c: char| c.is_ascii_digit())
    {
        Some("openai")
    } else if m.starts_with("gemini") {
        Some("gcp.gemini")
    } else {
        None
    }
}
