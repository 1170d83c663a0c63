//! Listening on loopback and serving connections until shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use hyper::service::service_fn;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::{TokioExecutor, TokioIo},
    server::{conn::auto, graceful::GracefulShutdown},
};
use tokentally_event::EventSink;
use tokio::net::TcpListener;

use crate::{
    forward::{Forwarder, UpstreamClient},
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
}

impl ProxyConfig {
    /// 127.0.0.1 and ::1 on `port`, the built-in upstreams, 64 MiB bodies.
    pub fn loopback(port: u16) -> Self {
        ProxyConfig {
            listen: vec![
                SocketAddr::from(([127, 0, 0, 1], port)),
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
            ],
            extra_upstreams: Vec::new(),
            max_request_bytes: 64 << 20,
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
    /// The TLS roots could not be loaded.
    #[error("cannot set up TLS to the upstreams: {0}")]
    Tls(std::io::Error),
}

/// A bound proxy, ready to serve.
pub struct Proxy {
    listeners: Vec<TcpListener>,
    forwarder: Arc<Forwarder>,
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
            client: client()?,
            recorder: Arc::new(Recorder::new(sink)),
            max_request_bytes: config.max_request_bytes,
        };
        Ok(Proxy {
            listeners,
            forwarder: Arc::new(forwarder),
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
    /// (streams included) for up to `drain`.
    pub async fn run(self, shutdown: impl Future<Output = ()>, drain: Duration) {
        let graceful = Arc::new(GracefulShutdown::new());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut accepts = Vec::new();
        for listener in self.listeners {
            let forwarder = self.forwarder.clone();
            let graceful = graceful.clone();
            let mut stop = stop_rx.clone();
            accepts.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        accepted = listener.accept() => match accepted {
                            Ok((stream, _)) => serve_connection(stream, forwarder.clone(), &graceful),
                            Err(e) => {
                                tracing::warn!(error = %e, "Accept failed.");
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        },
                        _ = stop.changed() => break,
                    }
                }
            }));
        }
        shutdown.await;
        let _ = stop_tx.send(true);
        for accept in accepts {
            let _ = accept.await;
        }
        if let Ok(graceful) = Arc::try_unwrap(graceful)
            && tokio::time::timeout(drain, graceful.shutdown())
                .await
                .is_err()
        {
            tracing::warn!("Open requests did not finish in time; closing them.");
        }
    }
}

fn serve_connection(
    stream: tokio::net::TcpStream,
    forwarder: Arc<Forwarder>,
    graceful: &GracefulShutdown,
) {
    // Small SSE chunks must not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| forwarder.clone().serve(request));
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder
        .serve_connection(TokioIo::new(stream), service)
        .into_owned();
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "Client connection ended with an error.");
        }
    });
}

fn client() -> Result<UpstreamClient, ProxyError> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    // The OS's roots first: a company's TLS-inspecting gateway is trusted
    // there; the bundled roots when the OS has none.
    let builder = hyper_rustls::HttpsConnectorBuilder::new();
    let builder = match builder.with_native_roots() {
        Ok(b) => b,
        Err(e) => {
            tracing::debug!(error = %e, "No OS TLS roots; using the bundled ones.");
            hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots()
        }
    };
    let https = builder
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(https))
}
