//! Hand-built OTLP requests for unit tests.

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

pub const SECOND_NS: u64 = 1_000_000_000;

pub fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

pub fn temporality(cumulative: bool) -> i32 {
    if cumulative {
        AggregationTemporality::Cumulative as i32
    } else {
        AggregationTemporality::Delta as i32
    }
}

/// A `claude_code.token.usage` sum with one point.
pub fn claude_sum(
    cumulative: bool,
    attrs: Vec<KeyValue>,
    start_ns: u64,
    time_ns: u64,
    value: f64,
) -> Metric {
    Metric {
        name: "claude_code.token.usage".into(),
        unit: "tokens".into(),
        data: Some(metric::Data::Sum(Sum {
            data_points: vec![NumberDataPoint {
                attributes: attrs,
                start_time_unix_nano: start_ns,
                time_unix_nano: time_ns,
                value: Some(number_data_point::Value::AsDouble(value)),
                ..Default::default()
            }],
            aggregation_temporality: temporality(cumulative),
            is_monotonic: true,
        })),
        ..Default::default()
    }
}

/// A `gen_ai.client.token.usage` histogram with one point.
pub fn gen_ai_histogram(
    cumulative: bool,
    attrs: Vec<KeyValue>,
    start_ns: u64,
    time_ns: u64,
    sum: f64,
    count: u64,
) -> Metric {
    Metric {
        name: "gen_ai.client.token.usage".into(),
        unit: "{token}".into(),
        data: Some(metric::Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                attributes: attrs,
                start_time_unix_nano: start_ns,
                time_unix_nano: time_ns,
                count,
                sum: Some(sum),
                bucket_counts: vec![0, count],
                explicit_bounds: vec![1.0],
                ..Default::default()
            }],
            aggregation_temporality: temporality(cumulative),
        })),
        ..Default::default()
    }
}

pub fn request(service: &str, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    request_with_resource(vec![kv("service.name", service)], metrics)
}

pub fn request_with_resource(
    resource: Vec<KeyValue>,
    metrics: Vec<Metric>,
) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: resource,
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "com.anthropic.claude_code".into(),
                    ..Default::default()
                }),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}
