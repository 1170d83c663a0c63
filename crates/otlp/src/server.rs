//! The OTLP/HTTP endpoint on loopback: `POST /v1/metrics` counted,
//! `/v1/logs` and `/v1/traces` accepted and dropped, anything else refused.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokentally_event::{EventSink, UsageEvent};
use tokio::net::TcpListener;

use crate::decode::{Compression, Encoding, decode_metrics};
use crate::receiver::{Receiver, ReceiverState};
use tokentally_loopback::is_loopback_host;

/// The largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
/// How long open connections may finish after shutdown is asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the server hands each export that produced usage.
///
/// `record_export` is called once per such export, in the order the
/// receiver ingested them, with the receiver's state right after it (and
/// under the receiver's lock, so no other export interleaves). Storing the
/// events and the state in one transaction is what lets a restart continue
/// every cumulative series without counting an interval twice. It runs on
/// the request path: hand off, don't block.
///
/// An export that adds no tokens is handed over (with no events) at most
/// once per [`STATE_REFRESH`]: it only moves when each series was last
/// seen, and a saved state whose marks grew stale would, after a restart,
/// forget series that are still running and count their totals again.
pub trait ExportSink: Send + Sync {
    /// Takes the events of one export and the state after it.
    fn record_export(&self, events: Vec<UsageEvent>, state: &ReceiverState);
}

/// An [`ExportSink`] that passes each event to an [`EventSink`] and keeps
/// the state only in memory (returned by [`serve`] at shutdown).
struct EventsOnly(Arc<dyn EventSink>);

impl ExportSink for EventsOnly {
    fn record_export(&self, events: Vec<UsageEvent>, _state: &ReceiverState) {
        for event in events {
            self.0.record(event);
        }
    }
}

/// Serves OTLP/HTTP on `listener` until `shutdown` completes, recording
/// each usage event in `sink`; returns the receiver's state at the end.
///
/// The state is only returned at shutdown: an owner that must survive a
/// crash without double counting uses [`serve_exports`], which hands over
/// the state with each export's events.
pub async fn serve(
    listener: TcpListener,
    sink: Arc<dyn EventSink>,
    state: ReceiverState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<ReceiverState> {
    serve_exports(listener, Arc::new(EventsOnly(sink)), state, shutdown).await
}

/// Serves OTLP/HTTP on `listener` until `shutdown` completes, handing each
/// export's events and the state after it to `sink`; returns the final
/// state. `listener` should be bound to a loopback address; connections
/// from any other peer are closed unanswered all the same.
pub async fn serve_exports(
    listener: TcpListener,
    sink: Arc<dyn ExportSink>,
    state: ReceiverState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<ReceiverState> {
    let shared = Arc::new(Shared {
        receiver: Mutex::new(Receiver::with_state(state)),
        sink,
        last_handed: Mutex::new(None),
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    tracing::info!(addr = ?listener.local_addr().ok(), "otlp receiver listening");
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors and the like: wait, don't spin.
                    tracing::warn!(%err, "otlp accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if !is_loopback_peer(peer) {
            tracing::warn!("otlp connection from a non-loopback peer closed");
            continue;
        }
        let shared = Arc::clone(&shared);
        let service = service_fn(move |request| {
            let shared = Arc::clone(&shared);
            async move { Ok::<_, Infallible>(respond(request, &shared).await) }
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%err, "otlp connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("otlp connections still open at shutdown were dropped");
    }
    let receiver = shared
        .receiver
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    Ok(receiver.state())
}

/// How often a state that only moved in time is saved.
pub const STATE_REFRESH: Duration = Duration::from_secs(3600);

/// What every request handler shares.
struct Shared {
    receiver: Mutex<Receiver>,
    sink: Arc<dyn ExportSink>,
    /// When the state was last handed over (under the receiver's lock);
    /// `None` before the first time, so a restarted receiver refreshes the
    /// saved marks with its first export.
    last_handed: Mutex<Option<std::time::Instant>>,
}

fn is_loopback_peer(peer: SocketAddr) -> bool {
    match peer.ip() {
        std::net::IpAddr::V4(ip) => ip.is_loopback(),
        // A dual-stack listener reports IPv4 peers as ::ffff:127.x.y.z.
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Which OTLP signal a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Metrics,
    /// Logs and traces: accepted so exporters don't retry, never read.
    Ignored,
}

async fn respond(request: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (response, events) = answer(request, shared).await;
    // Method, path, status and a count: never a body, never an attribute.
    tracing::debug!(%method, path, status = response.status().as_u16(), events, "otlp request");
    response
}

/// The response, and how many usage events the request produced.
async fn answer(request: Request<Incoming>, shared: &Shared) -> (Response<Full<Bytes>>, usize) {
    if !host_is_loopback(&request) {
        return (status_only(StatusCode::FORBIDDEN), 0);
    }
    let signal = match request.uri().path() {
        "/v1/metrics" => Signal::Metrics,
        "/v1/logs" | "/v1/traces" => Signal::Ignored,
        _ => return (status_only(StatusCode::NOT_FOUND), 0),
    };
    if request.method() != Method::POST {
        return (status_only(StatusCode::METHOD_NOT_ALLOWED), 0);
    }
    let encoding =
        header_str(request.headers(), header::CONTENT_TYPE).and_then(Encoding::from_content_type);
    let encoding = match (signal, encoding) {
        (_, Some(encoding)) => encoding,
        // An ignored signal in an unknown encoding is still just dropped.
        (Signal::Ignored, None) => Encoding::Protobuf,
        (Signal::Metrics, None) => return (status_only(StatusCode::UNSUPPORTED_MEDIA_TYPE), 0),
    };
    let compression = match Compression::from_content_encoding(header_str(
        request.headers(),
        header::CONTENT_ENCODING,
    )) {
        Ok(compression) => compression,
        Err(_) if signal == Signal::Ignored => Compression::None,
        Err(_) => return (status_only(StatusCode::UNSUPPORTED_MEDIA_TYPE), 0),
    };
    let body = match read_body(request).await {
        Ok(body) => body,
        Err(status) => return (status_only(status), 0),
    };
    if signal == Signal::Ignored {
        return (accepted(encoding), 0);
    }
    let export = match decode_metrics(&body, encoding, compression) {
        Ok(export) => export,
        Err(err) => {
            // The error names what was wrong, never what the body held.
            tracing::debug!(%err, "otlp metrics body refused");
            return (status_only(StatusCode::BAD_REQUEST), 0);
        }
    };
    let mut receiver = shared
        .receiver
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    let events = receiver.ingest(&export, now_ms());
    let count = events.len();
    let mut last_handed = shared
        .last_handed
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let stale = last_handed.is_none_or(|at| at.elapsed() >= STATE_REFRESH);
    if count > 0 || stale {
        shared.sink.record_export(events, receiver.state_ref());
        *last_handed = Some(std::time::Instant::now());
    }
    drop(receiver);
    (accepted(encoding), count)
}

/// The whole body, or the status that refuses it (413 when too large).
async fn read_body(request: Request<Incoming>) -> Result<Bytes, StatusCode> {
    let declared = header_str(request.headers(), header::CONTENT_LENGTH)
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    match Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.is::<http_body_util::LengthLimitError>() => {
            Err(StatusCode::PAYLOAD_TOO_LARGE)
        }
        // The client went away or sent a broken chunked body.
        Err(_) => Err(StatusCode::BAD_REQUEST),
    }
}

fn host_is_loopback(request: &Request<Incoming>) -> bool {
    // HTTP/1.1 sends Host; HTTP/2 sends :authority, which hyper puts in
    // the URI. With neither, the request is refused.
    match header_str(request.headers(), header::HOST) {
        Some(host) => is_loopback_host(host),
        None => request
            .uri()
            .authority()
            .is_some_and(|authority| is_loopback_host(authority.as_str())),
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// 200 with an empty `Export*ServiceResponse`: all accepted.
fn accepted(encoding: Encoding) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(encoding.empty_response())));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static(encoding.content_type()),
    );
    response
}

fn status_only(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
