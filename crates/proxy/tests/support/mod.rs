//! A fake provider on loopback that records what it receives and answers
//! with scripted bodies (chunked where the test says, slowly if asked, cut
//! off if asked), a proxy in front of it, and a client.
#![allow(dead_code, clippy::unwrap_used)]

use std::{
    collections::HashMap,
    convert::Infallible,
    net::SocketAddr,
    sync::{Arc, Mutex, mpsc},
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokentally_event::UsageEvent;
use tokentally_proxy::{Api, Proxy, ProxyConfig, Upstream};

/// One scripted reply.
#[derive(Clone, Default)]
pub struct Scripted {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub chunks: Vec<Vec<u8>>,
    /// Wait before each chunk after the first.
    pub gap: Duration,
    /// End with an error instead of the end of the body.
    pub cut_off: bool,
    /// Wait before answering at all (before the response headers).
    pub head_delay: Duration,
}

impl Scripted {
    pub fn json(body: &str) -> Self {
        Scripted {
            status: 200,
            headers: vec![("content-type", "application/json".into())],
            chunks: vec![body.as_bytes().to_vec()],
            ..Scripted::default()
        }
    }

    pub fn sse(chunks: Vec<Vec<u8>>) -> Self {
        Scripted {
            status: 200,
            headers: vec![("content-type", "text/event-stream".into())],
            chunks,
            ..Scripted::default()
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }

    pub fn body(&self) -> Vec<u8> {
        self.chunks.concat()
    }
}

/// Splits `body` at each of `cuts` (byte offsets, ascending).
pub fn split_at(body: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut from = 0;
    for &cut in cuts {
        let cut = cut.min(body.len());
        if cut > from {
            out.push(body[from..cut].to_vec());
            from = cut;
        }
    }
    if from < body.len() {
        out.push(body[from..].to_vec());
    }
    out
}

/// Splits `body` into pieces of `n` bytes: every boundary lands somewhere
/// awkward in an SSE stream.
pub fn every(body: &[u8], n: usize) -> Vec<Vec<u8>> {
    body.chunks(n).map(<[u8]>::to_vec).collect()
}

/// What the fake provider received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub uri: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

#[derive(Clone, Default)]
pub struct FakeProvider {
    pub addr: Option<SocketAddr>,
    scripts: Arc<Mutex<HashMap<String, Scripted>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeProvider {
    pub async fn start() -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let provider = FakeProvider {
            addr: Some(listener.local_addr().unwrap()),
            ..FakeProvider::default()
        };
        let served = provider.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let _ = stream.set_nodelay(true);
                let me = served.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |r| me.clone().answer(r));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        provider
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr.unwrap())
    }

    /// The reply to requests whose path (without query) is `path`.
    pub fn script(&self, path: &str, scripted: Scripted) {
        self.scripts
            .lock()
            .unwrap()
            .insert(path.to_owned(), scripted);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn answer(
        self,
        request: hyper::Request<Incoming>,
    ) -> Result<
        hyper::Response<
            StreamBody<
                tokio_stream::wrappers::ReceiverStream<Result<Frame<Bytes>, std::io::Error>>,
            >,
        >,
        Infallible,
    > {
        let (parts, body) = request.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        self.received.lock().unwrap().push(Received {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body,
        });
        let scripted = self
            .scripts
            .lock()
            .unwrap()
            .get(parts.uri.path())
            .cloned()
            .unwrap_or(Scripted {
                status: 404,
                chunks: vec![b"{\"error\":\"no script\"}".to_vec()],
                ..Scripted::default()
            });
        if !scripted.head_delay.is_zero() {
            tokio::time::sleep(scripted.head_delay).await;
        }
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        let chunks = scripted.chunks.clone();
        let (gap, cut_off) = (scripted.gap, scripted.cut_off);
        tokio::spawn(async move {
            for (i, chunk) in chunks.into_iter().enumerate() {
                if i > 0 && !gap.is_zero() {
                    tokio::time::sleep(gap).await;
                }
                if tx.send(Ok(Frame::data(Bytes::from(chunk)))).await.is_err() {
                    return;
                }
            }
            if cut_off {
                let _ = tx.send(Err(std::io::Error::other("cut off"))).await;
            }
        });
        let mut response = hyper::Response::new(StreamBody::new(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        ));
        *response.status_mut() = hyper::StatusCode::from_u16(scripted.status).unwrap();
        for (name, value) in scripted.headers {
            response.headers_mut().append(name, value.parse().unwrap());
        }
        Ok(response)
    }
}

/// A proxy in front of `provider` under the routes `t-openai`,
/// `t-anthropic` and `t-gemini`, counting into a channel.
pub struct Harness {
    pub provider: FakeProvider,
    pub proxy: SocketAddr,
    pub events: mpsc::Receiver<UsageEvent>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    run: Option<tokio::task::JoinHandle<()>>,
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(|_| {}).await
    }

    /// A harness whose proxy config `adjust` changes first.
    pub async fn start_with(adjust: impl FnOnce(&mut ProxyConfig)) -> Harness {
        let provider = FakeProvider::start().await;
        let url = provider.url();
        let (tx, events) = mpsc::channel();
        let mut config = ProxyConfig {
            listen: vec!["127.0.0.1:0".parse().unwrap()],
            extra_upstreams: vec![
                Upstream::new("t-openai", &url, Api::OpenAi).unwrap(),
                Upstream::new("t-anthropic", &url, Api::Anthropic).unwrap(),
                Upstream::new("t-gemini", &url, Api::Gemini).unwrap(),
            ],
            max_request_bytes: 1 << 20,
            ..ProxyConfig::loopback(0)
        };
        adjust(&mut config);
        let proxy = Proxy::bind(config, Arc::new(tx)).await.unwrap();
        let addr = proxy.local_addrs()[0];
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let run = tokio::spawn(proxy.run(
            async move {
                let _ = stopped.await;
            },
            Duration::from_secs(1),
        ));
        Harness {
            provider,
            proxy: addr,
            events,
            stop: Some(stop),
            run: Some(run),
        }
    }

    /// Tells the proxy to shut down (a one-second drain); the task of its
    /// `run`, to see it return.
    pub fn shut_down(&mut self) -> tokio::task::JoinHandle<()> {
        self.stop.take();
        self.run.take().unwrap()
    }

    /// The events recorded so far, waiting up to a second for `n`.
    pub fn take_events(&self, n: usize) -> Vec<UsageEvent> {
        let mut out = Vec::new();
        let until = Instant::now() + Duration::from_secs(2);
        while out.len() < n {
            let left = until.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(e) => out.push(e),
                Err(_) => break,
            }
        }
        // Anything more would be a double count.
        while let Ok(e) = self.events.recv_timeout(Duration::from_millis(100)) {
            out.push(e);
        }
        out
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What the client received, with the time of its first body byte.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub first_byte: Option<Duration>,
    pub failed: bool,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// Sends one request through the proxy with a plain HTTP/1.1 client.
pub async fn send(proxy: SocketAddr, request: hyper::Request<Full<Bytes>>) -> Reply {
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Full<Bytes>>();
    let (mut parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    parts.uri = format!("http://{proxy}{path}").parse().unwrap();
    let started = Instant::now();
    let response = client
        .request(hyper::Request::from_parts(parts, body))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    let mut first_byte = None;
    let mut failed = false;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Some(data) = frame.data_ref() {
                    if first_byte.is_none() && !data.is_empty() {
                        first_byte = Some(started.elapsed());
                    }
                    bytes.extend_from_slice(data);
                }
            }
            Err(_) => {
                failed = true;
                break;
            }
        }
    }
    Reply {
        status,
        headers,
        body: bytes,
        first_byte,
        failed,
    }
}

pub fn post(path: &str, body: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

/// Sends raw bytes and reads the raw reply, for requests a well-behaved
/// client would not make.
pub async fn raw(proxy: SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(proxy).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}
