//! An export request reduced to token points: counts, a model, a tool, times
//! and hashes. Every other attribute is read only into the series hash and
//! dropped here.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{AggregationTemporality, metric, number_data_point};
use prost::Message;
use tokentally_event::{Key, Model, Tool};

/// Claude Code's counter, one series per `type` and `model`.
pub const CLAUDE_CODE_TOKENS: &str = "claude_code.token.usage";
/// The OpenTelemetry GenAI histogram, one series per `gen_ai.token.type`.
pub const GEN_AI_TOKENS: &str = "gen_ai.client.token.usage";

/// Which of the normalised counts a point adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Input not served from a cache (for GenAI: all input, see below).
    Input,
    /// Output, reasoning included.
    Output,
    /// Input read from the prompt cache.
    CacheRead,
    /// Input written to the prompt cache.
    CacheWrite,
}

/// How a point's value relates to earlier points of its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporality {
    /// The usage of the interval (start, time] alone.
    Delta,
    /// The running total since `start`.
    Cumulative,
}

/// One data point of a token metric, with nothing left that is not a count,
/// a model, a tool, a time or a hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPoint {
    /// The tool, from the resource's `service.name`.
    pub tool: Tool,
    /// Hash of everything that names the series (see [`series_key`]).
    pub series: Key,
    /// Hash of `session.id`, when the tool sent one.
    pub session: Option<Key>,
    /// The model, checked by [`Model::new`].
    pub model: Model,
    /// Which count the value adds to.
    pub kind: TokenKind,
    /// Delta or cumulative.
    pub temporality: Temporality,
    /// Start of the interval (delta) or of the running total (cumulative).
    pub start_ns: u64,
    /// End of the interval: when the value was read.
    pub time_ns: u64,
    /// Tokens: the counter's value, or a histogram's sum.
    pub value: u64,
}

/// The tool a `service.name` names, or `None` for a service TokenTally does
/// not know. Unknown services are skipped, not counted as `api-other`: any
/// program on the machine may export GenAI metrics, and a script counted
/// here could be counted again by the proxy with no way to join the two.
pub fn tool_of_service(service: &str) -> Option<Tool> {
    let name = service.to_ascii_lowercase();
    // Claude Code says `claude-code`; Codex `codex_cli_rs`, `codex-cli`,
    // `codex_exec`…; Copilot CLI and Copilot Chat name `copilot` somewhere.
    if name.contains("claude") {
        Some(Tool::ClaudeCode)
    } else if name.contains("codex") {
        Some(Tool::Codex)
    } else if name.contains("copilot") {
        Some(Tool::Copilot)
    } else {
        None
    }
}

/// Every token point of an export, in the order sent. Points of other
/// metrics, of unknown tools, of unknown token types, without a usable
/// value or temporality are skipped.
pub fn token_points(request: &ExportMetricsServiceRequest) -> Vec<TokenPoint> {
    let mut out = Vec::new();
    for resource_metrics in &request.resource_metrics {
        let resource_attrs: &[KeyValue] = resource_metrics
            .resource
            .as_ref()
            .map(|r| r.attributes.as_slice())
            .unwrap_or_default();
        let service = string_attr(resource_attrs, "service.name");
        for scope_metrics in &resource_metrics.scope_metrics {
            let scope_name = scope_metrics
                .scope
                .as_ref()
                .map(|s| s.name.as_str())
                .unwrap_or_default();
            for metric in &scope_metrics.metrics {
                let Some(tool) = tool_of_metric(&metric.name, service) else {
                    continue;
                };
                let series = SeriesName {
                    metric: &metric.name,
                    tool,
                    scope: scope_name,
                    resource: resource_attrs,
                };
                read_metric(metric, &series, &mut out);
            }
        }
    }
    out
}

/// What names a series apart from its point's attributes.
struct SeriesName<'a> {
    metric: &'a str,
    tool: Tool,
    scope: &'a str,
    resource: &'a [KeyValue],
}

/// The tool behind a token metric; `None` for any other metric.
fn tool_of_metric(metric: &str, service: Option<&str>) -> Option<Tool> {
    match metric {
        // Only Claude Code exports this name: an unusual service.name
        // (OTEL_SERVICE_NAME set by the user) does not hide it.
        CLAUDE_CODE_TOKENS => Some(
            service
                .and_then(tool_of_service)
                .unwrap_or(Tool::ClaudeCode),
        ),
        GEN_AI_TOKENS => service.and_then(tool_of_service),
        _ => None,
    }
}

fn read_metric(
    metric: &opentelemetry_proto::tonic::metrics::v1::Metric,
    series: &SeriesName<'_>,
    out: &mut Vec<TokenPoint>,
) {
    match &metric.data {
        Some(metric::Data::Sum(sum)) => {
            let Some(temporality) = temporality_of(sum.aggregation_temporality) else {
                return;
            };
            for point in &sum.data_points {
                let value = match point.value {
                    Some(number_data_point::Value::AsInt(v)) => u64::try_from(v).ok(),
                    Some(number_data_point::Value::AsDouble(v)) => tokens_of_double(v),
                    None => None,
                };
                let times = (point.start_time_unix_nano, point.time_unix_nano);
                push_point(series, &point.attributes, temporality, times, value, out);
            }
        }
        Some(metric::Data::Histogram(histogram)) => {
            let Some(temporality) = temporality_of(histogram.aggregation_temporality) else {
                return;
            };
            for point in &histogram.data_points {
                // The sum of the recorded token counts is the usage; a
                // histogram without a sum says how many calls, not tokens.
                let value = point.sum.and_then(tokens_of_double);
                let times = (point.start_time_unix_nano, point.time_unix_nano);
                push_point(series, &point.attributes, temporality, times, value, out);
            }
        }
        // Gauges, summaries and exponential histograms are not how any
        // supported tool reports tokens.
        _ => {}
    }
}

fn push_point(
    series: &SeriesName<'_>,
    attributes: &[KeyValue],
    temporality: Temporality,
    (start_ns, time_ns): (u64, u64),
    value: Option<u64>,
    out: &mut Vec<TokenPoint>,
) {
    let Some(value) = value else { return };
    let Some(kind) = kind_of(series.metric, attributes) else {
        return;
    };
    let model = model_of(attributes);
    let session = string_attr(attributes, "session.id")
        .or_else(|| string_attr(series.resource, "session.id"))
        .map(|id| Key::of(&[id.as_bytes()]));
    out.push(TokenPoint {
        tool: series.tool,
        series: series_key(series, attributes),
        session,
        model,
        kind,
        temporality,
        start_ns,
        time_ns,
        value,
    });
}

/// Which count a point adds to, from its type attribute.
fn kind_of(metric: &str, attributes: &[KeyValue]) -> Option<TokenKind> {
    if metric == CLAUDE_CODE_TOKENS {
        // Claude Code follows the Anthropic API: `input` excludes the cache.
        return match string_attr(attributes, "type")? {
            "input" => Some(TokenKind::Input),
            "output" => Some(TokenKind::Output),
            "cacheRead" => Some(TokenKind::CacheRead),
            "cacheCreation" => Some(TokenKind::CacheWrite),
            _ => None,
        };
    }
    // GenAI input includes cached input and there is no cache split in this
    // metric, so all of it is counted as input. Other types (`total`, …)
    // would count the same tokens twice.
    match string_attr(attributes, "gen_ai.token.type")? {
        "input" => Some(TokenKind::Input),
        "output" => Some(TokenKind::Output),
        _ => None,
    }
}

/// The model: Claude Code's `model`, else the GenAI response model (what
/// actually answered), else the requested one.
fn model_of(attributes: &[KeyValue]) -> Model {
    ["model", "gen_ai.response.model", "gen_ai.request.model"]
        .iter()
        .find_map(|key| string_attr(attributes, key))
        .map(Model::new)
        .unwrap_or_else(Model::unknown)
}

fn temporality_of(code: i32) -> Option<Temporality> {
    match AggregationTemporality::try_from(code).ok()? {
        AggregationTemporality::Delta => Some(Temporality::Delta),
        AggregationTemporality::Cumulative => Some(Temporality::Cumulative),
        AggregationTemporality::Unspecified => None,
    }
}

/// A token count sent as a double (JavaScript exporters do): whole,
/// finite and not negative, else unusable.
fn tokens_of_double(value: f64) -> Option<u64> {
    // 2^53: beyond it doubles skip integers; no token counter gets there.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if value.is_finite() && (0.0..=EXACT).contains(&value) {
        // Range checked above: the cast neither saturates nor wraps.
        Some(value.round() as u64)
    } else {
        None
    }
}

/// The string value of an attribute, when it is a string.
fn string_attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match &kv.value {
            Some(AnyValue {
                value: Some(any_value::Value::StringValue(s)),
            }) => Some(s.as_str()),
            _ => None,
        })
}

/// The series identity: metric, tool, scope and every resource and point
/// attribute, hashed before any is dropped, so that two series that differ
/// only in an attribute TokenTally does not keep (`user.email`, a terminal)
/// are never merged into one running total.
fn series_key(series: &SeriesName<'_>, attributes: &[KeyValue]) -> Key {
    let resource = canonical_attributes(series.resource);
    let point = canonical_attributes(attributes);
    Key::of(&[
        series.metric.as_bytes(),
        series.tool.as_str().as_bytes(),
        series.scope.as_bytes(),
        &resource,
        &point,
    ])
}

/// Attributes encoded so that the same set gives the same bytes whatever
/// order or encoding (protobuf or JSON) they arrived in.
fn canonical_attributes(attributes: &[KeyValue]) -> Vec<u8> {
    let mut sorted: Vec<&KeyValue> = attributes.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let mut out = Vec::new();
    for kv in sorted {
        // Length-delimited protobuf of each pair: unambiguous, and prost
        // writes the same message the same way every time.
        kv.encode_length_delimited(&mut out).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests;
