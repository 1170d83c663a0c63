//! Listening on loopback and serving connections until shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use hyper::service::service_fn;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
};
use tokentally_event::EventSink;
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

use crate::{
    forward::Forwarder,
    record::Recorder,
    upstream::{self, Upstream, UpstreamError},
};

/// What the proxy listens on and forwards to.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Loopback addresses only.
    pub listen: Vec<SocketAddr>,
    /// Upstreams besides the built-in providers.
    pub extra_upstreams: Vec<Upstream>,
    /// The largest request body accepted (a prompt with images fits).
    pub max_request_bytes: usize,
    /// How long a client may take to send a request's headers before its
    /// connection is closed.
    pub header_read_timeout: Duration,
    /// How long a request body may take to arrive (then 408).
    pub body_read_timeout: Duration,
}

impl ProxyConfig {
    /// 127.0.0.1 and ::1 on `port`, the built-in upstreams, 64 MiB bodies,
    /// 30 s for headers and 120 s for a body.
    pub fn loopback(port: u16) -> Self {
        ProxyConfig {
            listen: vec![
                SocketAddr::from(([127, 0, 0, 1], port)),
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
            ],
            extra_upstreams: Vec::new(),
            max_request_bytes: 64 << 20,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(120),
        }
    }
}

/// Why the proxy cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// Only loopback: the proxy must never serve the network.
    #[error("{0} is not a loopback address; the proxy listens on 127.0.0.1 or ::1 only")]
    NotLoopback(SocketAddr),
    /// The port is taken, or not allowed.
    #[error("cannot listen on {addr}: {source} (is another program using port {port}? set `proxy_port` in the policy or pass --listen)", port = addr.port())]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A bad upstream.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The thread that makes estimates could not start.
    #[error("cannot start the proxy's estimator thread: {0}")]
    Estimator(std::io::Error),
}

/// How long `run` waits, after closing the connections left at the drain
/// deadline, for their tasks to end.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// A bound proxy, ready to serve.
pub struct Proxy {
    listeners: Vec<TcpListener>,
    forwarder: Arc<Forwarder>,
    header_read_timeout: Duration,
}

impl Proxy {
    /// Binds every address of `config`; an IPv6 loopback that this machine
    /// lacks is skipped, any other failure is an error.
    pub async fn bind(config: ProxyConfig, sink: Arc<dyn EventSink>) -> Result<Proxy, ProxyError> {
        let mut listeners = Vec::new();
        for addr in &config.listen {
            if !addr.ip().is_loopback() {
                return Err(ProxyError::NotLoopback(*addr));
            }
            match TcpListener::bind(addr).await {
                Ok(listener) => listeners.push(listener),
                Err(e) if addr.is_ipv6() && e.kind() == std::io::ErrorKind::AddrNotAvailable => {
                    tracing::debug!(%addr, "No IPv6 loopback here; listening on IPv4 only.");
                }
                Err(source) => {
                    return Err(ProxyError::Bind {
                        addr: *addr,
                        source,
                    });
                }
            }
        }
        let forwarder = Forwarder {
            upstreams: upstream::with_extra(config.extra_upstreams)?,
            client: std::sync::OnceLock::new(),
            recorder: Arc::new(Recorder::new(sink).map_err(ProxyError::Estimator)?),
            max_request_bytes: config.max_request_bytes,
            body_read_timeout: config.body_read_timeout,
        };
        Ok(Proxy {
            listeners,
            forwarder: Arc::new(forwarder),
            header_read_timeout: config.header_read_timeout,
        })
    }

    /// The addresses actually bound (with the ports chosen for port 0).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// The route names, built-in providers first.
    pub fn routes(&self) -> Vec<String> {
        self.forwarder
            .upstreams
            .iter()
            .map(|u| u.name.clone())
            .collect()
    }

    /// Serves until `shutdown` completes, then lets open requests finish
    /// (streams included) for up to `drain`; the connections still open
    /// then are closed, and `run` returns once they are (or after a
    /// further second).
    ///
    /// A reply body dropped mid-stream, by a closed connection here or by
    /// the owner's `runtime.shutdown_timeout` (which drops whatever tasks
    /// remain, such as an HTTP/2 stream's), records its call as cut off.
    /// Estimates are made on the proxy's own thread, which holds the sink
    /// until every call recorded has been handed on: close the ledger
    /// writer after the proxy is dropped and it gets them all.
    pub async fn run(self, shutdown: impl Future<Output = ()>, drain: Duration) {
        let graceful = Arc::new(GracefulShutdown::new());
        let (stop_tx, stop_rx) = watch::channel(false);
        let (close_tx, close_rx) = watch::channel(false);
        let serving = Arc::new(Serving {
            forwarder: self.forwarder,
            builder: connection_builder(self.header_read_timeout),
            close: close_rx,
        });
        let accepts: Vec<_> = self
            .listeners
            .into_iter()
            .map(|listener| {
                tokio::spawn(accept(
                    listener,
                    serving.clone(),
                    graceful.clone(),
                    stop_rx.clone(),
                ))
            })
            .collect();
        shutdown.await;
        let _ = stop_tx.send(true);
        for accept in accepts {
            let _ = accept.await;
        }
        // Only the connections hold a `close` receiver from here on.
        drop(serving);
        drain_then_close(graceful, close_tx, drain).await;
    }
}

/// Waits up to `drain` for the open requests, then closes what is left.
async fn drain_then_close(
    graceful: Arc<GracefulShutdown>,
    close: watch::Sender<bool>,
    drain: Duration,
) {
    if let Ok(graceful) = Arc::try_unwrap(graceful)
        && tokio::time::timeout(drain, graceful.shutdown())
            .await
            .is_ok()
    {
        return;
    }
    tracing::warn!("Open requests did not finish in time; closing them.");
    let _ = close.send(true);
    // Each connection drops its receiver as its task ends.
    if tokio::time::timeout(CLOSE_WAIT, close.closed())
        .await
        .is_err()
    {
        tracing::warn!("Some connections did not close; the runtime's shutdown drops them.");
    }
}

/// What every connection shares.
struct Serving {
    forwarder: Arc<Forwarder>,
    builder: auto::Builder<TokioExecutor>,
    /// Turns true when the connections left after the drain must close.
    close: watch::Receiver<bool>,
}

/// Accepts connections until `stop` changes.
async fn accept(
    listener: TcpListener,
    serving: Arc<Serving>,
    graceful: Arc<GracefulShutdown>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => serving.serve(stream, &graceful),
                Err(e) => {
                    tracing::warn!(error = %e, "Accept failed.");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = stop.changed() => break,
        }
    }
}

/// HTTP/1 and HTTP/2 with hyper's timer: without one, hyper applies no
/// header read timeout at all, and a client that never finishes its
/// headers holds its connection (and the shutdown) forever.
fn connection_builder(header_read_timeout: Duration) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    builder
}

impl Serving {
    /// Serves one connection on a task of its own, until it ends or is
    /// told to close.
    fn serve(&self, stream: TcpStream, graceful: &GracefulShutdown) {
        // Small SSE chunks must not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let forwarder = self.forwarder.clone();
        let service = service_fn(move |request| forwarder.clone().serve(request));
        let connection = self
            .builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        let mut close = self.close.clone();
        tokio::spawn(async move {
            tokio::select! {
                ended = connection => if let Err(e) = ended {
                    tracing::debug!(error = %e, "Client connection ended with an error.");
                },
                // Dropping the connection drops its reply bodies: each
                // records its call as cut off.
                _ = close.wait_for(|closing| *closing) => {
                    tracing::debug!("Connection closed at shutdown.");
                }
            }
        });
    }
}
