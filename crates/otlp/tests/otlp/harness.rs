//! A receiver on its own runtime thread, a recording sink, a raw HTTP/1.1
//! client and an SDK meter pointed at the receiver.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_otlp::{MetricExporter, Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use tokentally_event::{Tokens, UsageEvent};
use tokentally_otlp::{ExportSink, ReceiverState, serve_exports};

/// Attribute values that must never reach an event or the saved state.
pub const CANARY_EMAIL: &str = "canary-7f3a@example.com";
pub const CANARY_PROMPT: &str = "CANARY-PROMPT: tell me the launch codes";

/// Keeps what the server hands over.
#[derive(Default)]
pub struct Recorded {
    pub events: Mutex<Vec<UsageEvent>>,
    pub state: Mutex<Option<ReceiverState>>,
}

impl ExportSink for Recorded {
    fn record_export(&self, events: Vec<UsageEvent>, state: &ReceiverState) {
        self.events.lock().unwrap().extend(events);
        *self.state.lock().unwrap() = Some(state.clone());
    }
}

impl Recorded {
    pub fn events(&self) -> Vec<UsageEvent> {
        self.events.lock().unwrap().clone()
    }
}

/// `serve_exports` on a thread with its own runtime.
pub struct Server {
    pub addr: SocketAddr,
    pub recorded: Arc<Recorded>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<ReceiverState>>,
}

impl Server {
    pub fn start(state: ReceiverState) -> Self {
        Self::start_on("127.0.0.1:0".parse().unwrap(), state)
    }

    /// On a given address: a restarted receiver takes its old port back.
    pub fn start_on(addr: SocketAddr, state: ReceiverState) -> Self {
        let recorded = Arc::new(Recorded::default());
        let sink: Arc<dyn ExportSink> = recorded.clone();
        let (bound_tx, bound_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let socket = tokio::net::TcpSocket::new_v4().unwrap();
                socket.set_reuseaddr(true).unwrap();
                socket.bind(addr).unwrap();
                let listener = socket.listen(64).unwrap();
                bound_tx.send(listener.local_addr().unwrap()).unwrap();
                serve_exports(listener, sink, state, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap()
            })
        });
        let addr = bound_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        Server {
            addr,
            recorded,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops the server; its receiver's final state.
    pub fn stop(mut self) -> ReceiverState {
        self.shut()
    }

    fn shut(&mut self) -> ReceiverState {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread
            .take()
            .map(|t| t.join().unwrap())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.thread.is_some() && !std::thread::panicking() {
            self.shut();
        }
    }
}

/// A reply's status and body.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// A raw HTTP/1.1 request, so that tests control every byte, Host included.
pub fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) and close before reading all of it.
    let _ = stream.write_all(body);
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    parse_reply(&reply)
}

/// POST `body` with a Host header of our choosing.
pub fn post(addr: SocketAddr, host: &str, path: &str, content_type: &str, body: &[u8]) -> Reply {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    raw(addr, &head, body)
}

/// POST to the receiver under its own loopback name.
pub fn post_local(addr: SocketAddr, path: &str, content_type: &str, body: &[u8]) -> Reply {
    post(addr, &addr.to_string(), path, content_type, body)
}

fn parse_reply(reply: &[u8]) -> Reply {
    let text = String::from_utf8_lossy(reply);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = match reply.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => reply[at + 4..].to_vec(),
        None => Vec::new(),
    };
    Reply { status, body }
}

/// A meter provider whose exporter posts to the receiver, only when
/// flushed (the period is an hour).
pub fn meter_provider(
    addr: SocketAddr,
    service: &str,
    protocol: Protocol,
    temporality: Temporality,
    gzip: bool,
) -> SdkMeterProvider {
    let mut exporter = MetricExporter::builder()
        .with_http()
        .with_protocol(protocol)
        .with_endpoint(format!("http://{addr}/v1/metrics"))
        .with_timeout(Duration::from_secs(10))
        .with_temporality(temporality);
    if gzip {
        exporter = exporter.with_compression(opentelemetry_otlp::Compression::Gzip);
    }
    let reader = PeriodicReader::builder(exporter.build().unwrap())
        .with_interval(Duration::from_secs(3600))
        .build();
    SdkMeterProvider::builder()
        .with_reader(reader)
        .with_resource(resource(service))
        .build()
}

/// What Claude Code puts on its resource, canaries included.
pub fn resource(service: &str) -> Resource {
    Resource::builder()
        .with_service_name(service.to_owned())
        .with_attribute(KeyValue::new("service.version", "2.0.14"))
        .with_attribute(KeyValue::new("user.email", CANARY_EMAIL))
        .build()
}

/// Claude Code's point attributes for one token type, canaries included.
pub fn claude_attrs(kind: &'static str) -> Vec<KeyValue> {
    vec![
        KeyValue::new("type", kind),
        KeyValue::new("model", "claude-sonnet-4-5-20250929"),
        KeyValue::new("session.id", "0b6a3c1e-session"),
        KeyValue::new("user.email", CANARY_EMAIL),
        KeyValue::new("user.account_uuid", "acc-1234"),
        KeyValue::new("prompt", CANARY_PROMPT),
    ]
}

/// GenAI point attributes for one token type, a canary included.
pub fn gen_ai_attrs(kind: &'static str) -> Vec<KeyValue> {
    vec![
        KeyValue::new("gen_ai.token.type", kind),
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.system", "openai"),
        KeyValue::new("gen_ai.request.model", "gpt-5"),
        KeyValue::new("gen_ai.response.model", "gpt-5-2025-08-07"),
        KeyValue::new("gen_ai.prompt", CANARY_PROMPT),
    ]
}

/// The counts of all events added up.
pub fn totals(events: &[UsageEvent]) -> Tokens {
    let mut sum = Tokens::default();
    for e in events {
        sum.input += e.tokens.input;
        sum.output += e.tokens.output;
        sum.cache_read += e.tokens.cache_read;
        sum.cache_write += e.tokens.cache_write;
        sum.reasoning += e.tokens.reasoning;
    }
    sum
}

/// No canary in any event, nor in the state that would be saved.
pub fn assert_no_canary(events: &[UsageEvent], state: Option<&ReceiverState>) {
    let mut seen = format!("{events:?}");
    if let Some(state) = state {
        seen.push_str(&serde_json::to_string(state).unwrap());
    }
    for canary in [
        CANARY_EMAIL,
        CANARY_PROMPT,
        "canary",
        "CANARY",
        "acc-1234",
        "0b6a3c1e",
    ] {
        assert!(!seen.contains(canary), "{canary:?} leaked");
    }
}
