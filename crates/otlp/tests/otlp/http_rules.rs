//! What the endpoint accepts and refuses, with raw requests.

use std::sync::Arc;

use opentelemetry::metrics::MeterProvider;
use opentelemetry_sdk::metrics::{
    InMemoryMetricExporterBuilder, PeriodicReader, SdkMeterProvider, Temporality,
};
use prost::Message;
use tokentally_event::{EventSink, UsageEvent, merge_same_calls};
use tokentally_otlp::{ExportMetricsServiceRequest, ReceiverState, serve};

use crate::harness::{
    Server, assert_no_canary, claude_attrs, post, post_local, raw, resource, totals,
};

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

/// One export as the SDK builds it, taken before it is sent: the bytes a
/// retrying exporter would send twice.
fn sdk_export(temporality: Temporality, input: f64) -> ExportMetricsServiceRequest {
    let exporter = InMemoryMetricExporterBuilder::new()
        .with_temporality(temporality)
        .build();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .with_resource(resource("claude-code"))
        .build();
    let counter = provider
        .meter("com.anthropic.claude_code")
        .f64_counter("claude_code.token.usage")
        .build();
    counter.add(input, &claude_attrs("input"));
    provider.force_flush().unwrap();
    let exported = exporter.get_finished_metrics().unwrap();
    let request = ExportMetricsServiceRequest::from(exported.last().unwrap());
    provider.shutdown().unwrap();
    request
}

#[test]
fn an_exact_duplicate_export_counts_once() {
    let server = Server::start(ReceiverState::default());
    for temporality in [Temporality::Cumulative, Temporality::Delta] {
        let body = sdk_export(temporality, 42.0).encode_to_vec();
        for _ in 0..2 {
            let reply = post_local(server.addr, "/v1/metrics", PROTOBUF, &body);
            assert_eq!(reply.status, 200);
            // The empty ExportMetricsServiceResponse.
            assert!(reply.body.is_empty());
        }
    }
    let events = server.recorded.events();
    // Cumulative: the receiver adds nothing the second time. Delta: the
    // same call key twice, which the store (like merge_same_calls) keeps once.
    assert_eq!(events.len(), 3);
    assert_eq!(totals(&merge_same_calls(events.clone())).input, 84);
    assert_no_canary(&events, None);
}

#[test]
fn json_exports_get_a_json_reply() {
    let server = Server::start(ReceiverState::default());
    let body = serde_json::to_vec(&sdk_export(Temporality::Delta, 9.0)).unwrap();
    let reply = post_local(
        server.addr,
        "/v1/metrics",
        "application/json; charset=utf-8",
        &body,
    );
    assert_eq!((reply.status, reply.body.as_slice()), (200, &b"{}"[..]));
    assert_eq!(totals(&server.recorded.events()).input, 9);
}

#[test]
fn a_host_that_is_not_loopback_is_refused() {
    let server = Server::start(ReceiverState::default());
    let body = sdk_export(Temporality::Delta, 5.0).encode_to_vec();
    for host in [
        "evil.example",
        "evil.example:4318",
        "192.168.1.10:4318",
        "localhost.evil.example",
    ] {
        assert_eq!(
            post(server.addr, host, "/v1/metrics", PROTOBUF, &body).status,
            403,
            "{host}"
        );
    }
    assert!(server.recorded.events().is_empty());
    for host in ["localhost:4318", "127.0.0.1", "[::1]:4318"] {
        assert_eq!(
            post(server.addr, host, "/v1/metrics", PROTOBUF, &body).status,
            200,
            "{host}"
        );
    }
    // No Host at all (HTTP/1.0 allows it): refused too.
    let head = format!(
        "POST /v1/metrics HTTP/1.0\r\nContent-Type: {PROTOBUF}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    assert_eq!(raw(server.addr, &head, &body).status, 403);
}

#[test]
fn a_malformed_body_is_400_and_records_nothing() {
    let server = Server::start(ReceiverState::default());
    let garbage = b"\x0a\xff\xff\xff\xff\x0f not an export";
    assert_eq!(
        post_local(server.addr, "/v1/metrics", PROTOBUF, garbage).status,
        400
    );
    assert_eq!(
        post_local(server.addr, "/v1/metrics", JSON, b"{\"resourceMetrics\":").status,
        400
    );
    assert_eq!(
        post_local(server.addr, "/v1/metrics", "text/plain", b"x").status,
        415
    );
    let head = format!(
        "POST /v1/metrics HTTP/1.1\r\nHost: {}\r\nContent-Type: {PROTOBUF}\r\n\
         Content-Encoding: gzip\r\nContent-Length: 8\r\nConnection: close\r\n\r\n",
        server.addr
    );
    assert_eq!(raw(server.addr, &head, b"not gzip").status, 400);
    assert!(server.recorded.events().is_empty());
}

#[test]
fn logs_and_traces_are_accepted_and_dropped_other_paths_are_not_found() {
    let server = Server::start(ReceiverState::default());
    let metrics_body = sdk_export(Temporality::Delta, 5.0).encode_to_vec();
    for path in ["/v1/logs", "/v1/traces"] {
        // Whatever they hold, even a metrics export, is never read.
        assert_eq!(
            post_local(server.addr, path, PROTOBUF, &metrics_body).status,
            200
        );
        assert_eq!(post_local(server.addr, path, JSON, b"{}").status, 200);
    }
    assert_eq!(
        post_local(server.addr, "/v1/profiles", PROTOBUF, b"").status,
        404
    );
    assert_eq!(post_local(server.addr, "/", PROTOBUF, b"").status, 404);
    let get = format!(
        "GET /v1/metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    assert_eq!(raw(server.addr, &get, b"").status, 405);
    assert!(server.recorded.events().is_empty());
}

#[test]
fn bodies_over_8_mib_are_413() {
    let server = Server::start(ReceiverState::default());
    let declared = format!(
        "POST /v1/metrics HTTP/1.1\r\nHost: {}\r\nContent-Type: {PROTOBUF}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        server.addr,
        9 * 1024 * 1024
    );
    assert_eq!(raw(server.addr, &declared, b"").status, 413);
    // Chunked, so the size is only known while reading.
    let chunked = format!(
        "POST /v1/metrics HTTP/1.1\r\nHost: {}\r\nContent-Type: {PROTOBUF}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.addr
    );
    let mut body = Vec::new();
    let chunk = vec![b'x'; 1024 * 1024];
    for _ in 0..9 {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(&chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(raw(server.addr, &chunked, &body).status, 413);
    assert!(server.recorded.events().is_empty());
}

/// `serve` with a plain event sink: events one by one, the state at the end.
#[test]
fn serve_records_events_and_returns_the_state_at_shutdown() {
    let (events_tx, events_rx) = std::sync::mpsc::channel::<UsageEvent>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let sink: Arc<dyn EventSink> = Arc::new(events_tx);
            serve(listener, sink, ReceiverState::default(), async {
                let _ = stopped.await;
            })
            .await
            .unwrap()
        })
    });
    let addr = addr_rx.recv().unwrap();
    let body = sdk_export(Temporality::Cumulative, 77.0).encode_to_vec();
    assert_eq!(post_local(addr, "/v1/metrics", PROTOBUF, &body).status, 200);
    stop.send(()).unwrap();
    let state = thread.join().unwrap();
    let events: Vec<UsageEvent> = events_rx.try_iter().collect();
    assert_eq!(totals(&events).input, 77);
    assert_eq!(state.series.len(), 1);
}

#[test]
fn a_restarted_receiver_saves_fresh_marks_even_when_nothing_was_added() {
    // First run: a cumulative total is counted and its mark saved.
    let body = sdk_export(Temporality::Cumulative, 42.0).encode_to_vec();
    let first = Server::start(ReceiverState::default());
    post_local(first.addr, "/v1/metrics", PROTOBUF, &body);
    let saved = first.recorded.state.lock().unwrap().clone().unwrap();
    let seen_before: Vec<i64> = saved.series.values().map(|m| m.seen_ms).collect();
    drop(first);
    std::thread::sleep(std::time::Duration::from_millis(5));
    // Second run: the same total again adds nothing, yet the state is
    // handed over with its marks seen now, so a series that keeps being
    // exported is never forgotten as idle and counted whole again.
    let second = Server::start(saved);
    post_local(second.addr, "/v1/metrics", PROTOBUF, &body);
    assert!(second.recorded.events().is_empty());
    let refreshed = second
        .recorded
        .state
        .lock()
        .unwrap()
        .clone()
        .expect("state handed over");
    let seen_after: Vec<i64> = refreshed.series.values().map(|m| m.seen_ms).collect();
    assert_eq!(seen_after.len(), seen_before.len());
    assert!(seen_after.iter().zip(&seen_before).all(|(a, b)| a > b));
    // Within the refresh interval, a repeat is not handed over again.
    *second.recorded.state.lock().unwrap() = None;
    post_local(second.addr, "/v1/metrics", PROTOBUF, &body);
    assert!(second.recorded.state.lock().unwrap().is_none());
}
