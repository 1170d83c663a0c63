//! The lines that point tools at the proxy and the telemetry receiver, for
//! `tokentally proxy env`, `tokentally otel env` and the app's copy buttons.

use tokentally_policy::Resolved;

/// Shell lines for the proxy (comments start with `#`).
pub fn proxy_lines(policy: &Resolved) -> Vec<String> {
    let base = format!("http://127.0.0.1:{}", policy.proxy_port);
    let mut out = vec![
        "# Send AI API calls through TokenTally's loopback proxy (run `tokentally proxy`).".into(),
        "# Requests and replies pass unchanged; only token counts are kept.".into(),
        format!("export ANTHROPIC_BASE_URL={base}/anthropic"),
        format!("export OPENAI_BASE_URL={base}/openai/v1"),
        format!("export GOOGLE_GEMINI_BASE_URL={base}/gemini"),
    ];
    for u in &policy.upstreams {
        out.push(format!("# {} ({:?} API): {base}/{}", u.name, u.api, u.name));
    }
    out.extend([
        "# To name the tool making the calls, add the header `x-tokentally-tool: <tool id>`".into(),
        format!("# or put it in the route: {base}/openai~aider/v1"),
        "# A tool whose logs TokenTally reads is counted from its logs unless the policy's".into(),
        "# `sources` says `proxy` for it; Claude Code's calls are matched by their ids and".into(),
        "# count once either way. Calls no tool claims are counted as `api-other`.".into(),
    ]);
    out
}

/// Shell lines for the OpenTelemetry receiver.
pub fn otel_lines(policy: &Resolved) -> Vec<String> {
    let base = format!("http://127.0.0.1:{}", policy.receiver_port);
    vec![
        "# Send tools' OpenTelemetry token counters to TokenTally's loopback receiver".into(),
        "# (run `tokentally proxy`). Only counts, models, the tool and times are kept;".into(),
        "# every other attribute (user.email, prompts) is dropped on arrival.".into(),
        "export CLAUDE_CODE_ENABLE_TELEMETRY=1".into(),
        "export OTEL_METRICS_EXPORTER=otlp".into(),
        "export OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/protobuf".into(),
        format!("export OTEL_EXPORTER_OTLP_METRICS_ENDPOINT={base}/v1/metrics"),
        format!(
            "# Codex: in ~/.codex/config.toml, point the [otel] OTLP/HTTP exporter at {base}/v1/metrics"
        ),
        "# Counted: claude_code.token.usage and gen_ai.client.token.usage. A tool whose logs"
            .into(),
        "# TokenTally reads is counted from them unless the policy's `sources` says `telemetry`."
            .into(),
    ]
}
