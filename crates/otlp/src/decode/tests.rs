#![allow(clippy::unwrap_used)]

use std::io::Write;

use opentelemetry_proto::tonic::common::v1::any_value;
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point};
use prost::Message;

use super::*;
use crate::testutil::{claude_sum, kv, request};

/// An export in the OTLP JSON encoding as the spec writes it: lowerCamelCase
/// names, 64-bit integers as strings, enums as integers, trace and span ids
/// in hex, and a field this version does not know (which must be ignored).
const SPEC_JSON: &str = r#"{
  "resourceMetrics": [{
    "resource": {
      "attributes": [
        {"key": "service.name", "value": {"stringValue": "claude-code"}},
        {"key": "host.cpus", "value": {"intValue": "8"}}
      ],
      "droppedAttributesCount": 0
    },
    "scopeMetrics": [{
      "scope": {"name": "com.anthropic.claude_code", "version": "2.0.0"},
      "metrics": [
        {
          "name": "claude_code.token.usage",
          "unit": "tokens",
          "sum": {
            "aggregationTemporality": 1,
            "isMonotonic": true,
            "dataPoints": [{
              "attributes": [
                {"key": "type", "value": {"stringValue": "input"}},
                {"key": "model", "value": {"stringValue": "claude-sonnet-4-5-20250929"}}
              ],
              "startTimeUnixNano": "1760000000000000000",
              "timeUnixNano": "1760000060000000000",
              "asInt": "9007199254740993",
              "exemplars": [{
                "timeUnixNano": "1760000030000000000",
                "asDouble": 5.0,
                "traceId": "5b8efff798038103d269b633813fc60c",
                "spanId": "eee19b7ec3c1b174"
              }]
            }, {
              "attributes": [{"key": "type", "value": {"stringValue": "output"}}],
              "startTimeUnixNano": "1760000000000000000",
              "timeUnixNano": "1760000060000000000",
              "asDouble": 517.0
            }]
          },
          "someFutureField": {"ignored": true}
        },
        {
          "name": "gen_ai.client.token.usage",
          "unit": "{token}",
          "histogram": {
            "aggregationTemporality": 2,
            "dataPoints": [{
              "startTimeUnixNano": "1760000000000000000",
              "timeUnixNano": "1760000060000000000",
              "count": "3",
              "sum": 1234.0,
              "bucketCounts": ["0", "2", "1"],
              "explicitBounds": [1.0, 1024.0]
            }]
          }
        }
      ]
    }]
  }]
}"#;

#[test]
fn otlp_json_is_read_as_the_spec_encodes_it() {
    let export = decode_metrics(SPEC_JSON.as_bytes(), Encoding::Json, Compression::None).unwrap();
    let resource = &export.resource_metrics[0];
    let attrs = &resource.resource.as_ref().unwrap().attributes;
    assert_eq!(
        attrs[1].value.as_ref().unwrap().value,
        Some(any_value::Value::IntValue(8))
    );
    let metrics = &resource.scope_metrics[0].metrics;
    let Some(metric::Data::Sum(sum)) = &metrics[0].data else {
        panic!("not a sum")
    };
    assert_eq!(sum.aggregation_temporality, 1);
    let point = &sum.data_points[0];
    assert_eq!(point.start_time_unix_nano, 1_760_000_000_000_000_000);
    assert_eq!(point.time_unix_nano, 1_760_000_060_000_000_000);
    // Above 2^53: read as an integer, not through a double.
    assert_eq!(
        point.value,
        Some(number_data_point::Value::AsInt(9_007_199_254_740_993))
    );
    assert_eq!(
        point.exemplars[0].trace_id,
        vec![
            0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f,
            0xc6, 0x0c
        ]
    );
    assert_eq!(
        sum.data_points[1].value,
        Some(number_data_point::Value::AsDouble(517.0))
    );
    let Some(metric::Data::Histogram(histogram)) = &metrics[1].data else {
        panic!("not a histogram")
    };
    let point = &histogram.data_points[0];
    assert_eq!(histogram.aggregation_temporality, 2);
    assert_eq!((point.count, point.sum), (3, Some(1234.0)));
    assert_eq!(point.bucket_counts, vec![0, 2, 1]);
}

#[test]
fn json_and_protobuf_of_one_export_decode_to_the_same_request() {
    let export = request(
        "claude-code",
        vec![claude_sum(true, vec![kv("type", "input")], 1, 2, 42.0)],
    );
    let json = serde_json::to_vec(&export).unwrap();
    let proto = export.encode_to_vec();
    let from_json = decode_metrics(&json, Encoding::Json, Compression::None).unwrap();
    let from_proto = decode_metrics(&proto, Encoding::Protobuf, Compression::None).unwrap();
    assert_eq!(from_json, export);
    assert_eq!(from_proto, export);
}

#[test]
fn gzip_bodies_are_inflated() {
    let export = request(
        "claude-code",
        vec![claude_sum(false, vec![kv("type", "output")], 1, 2, 7.0)],
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&export.encode_to_vec()).unwrap();
    let body = gz.finish().unwrap();
    let decoded = decode_metrics(&body, Encoding::Protobuf, Compression::Gzip).unwrap();
    assert_eq!(decoded, export);
}

#[test]
fn a_gzip_bomb_is_refused_at_the_limit() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 4096]).unwrap();
    let body = gz.finish().unwrap();
    assert!(matches!(
        gunzip(&body, 1024),
        Err(DecodeError::TooLarge { limit: 1024 })
    ));
    assert_eq!(gunzip(&body, 4096).unwrap().len(), 4096);
}

#[test]
fn bad_bodies_give_typed_errors() {
    let garbage = b"\xff\xff\xff\xff not protobuf";
    // The message names the place, never the text that was there.
    let secret = br#"{"resourceMetrics": [{"resource": {"attributes": [{"key": "k", "value": {"intValue": "secret-text"}}]}}]}"#;
    let err = decode_metrics(secret, Encoding::Json, Compression::None).unwrap_err();
    assert!(!err.to_string().contains("secret"), "{err}");
    assert!(matches!(
        decode_metrics(garbage, Encoding::Protobuf, Compression::None),
        Err(DecodeError::Protobuf(_))
    ));
    assert!(matches!(
        decode_metrics(
            b"{\"resourceMetrics\": 5}",
            Encoding::Json,
            Compression::None
        ),
        Err(DecodeError::Json { .. })
    ));
    assert!(matches!(
        decode_metrics(b"not gzip", Encoding::Protobuf, Compression::Gzip),
        Err(DecodeError::Gzip(_))
    ));
    assert!(matches!(
        Compression::from_content_encoding(Some("br")),
        Err(DecodeError::UnsupportedCompression)
    ));
}

#[test]
fn content_types_are_matched_without_their_parameters() {
    assert_eq!(
        Encoding::from_content_type("application/json; charset=utf-8"),
        Some(Encoding::Json)
    );
    assert_eq!(
        Encoding::from_content_type("Application/X-Protobuf"),
        Some(Encoding::Protobuf)
    );
    assert_eq!(Encoding::from_content_type("text/plain"), None);
}
