//! One request: refuse what must be refused, forward the rest unchanged,
//! and meter the reply on the side.

use std::{
    convert::Infallible,
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri, header, request};
use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};

use crate::{
    attribute::{TOOL_HEADER, tool_of},
    guard::{self, Refusal, Route},
    metered::Metered,
    record::{CallMeta, Recorder},
    tap::{End, Exchange, Tap},
    upstream::Upstream,
};

/// The HTTPS client to the upstreams (plain http only for loopback ones,
/// checked when an upstream is made).
pub type UpstreamClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A reply: the upstream's body, metered, or the proxy's own.
pub type ProxyBody = Either<Metered<Incoming>, Full<Bytes>>;

/// Everything a request needs, shared by all connections.
pub struct Forwarder {
    /// Routes, built-in providers first.
    pub upstreams: Vec<Upstream>,
    /// The pooled client, made at the first forwarded call: it loads the
    /// OS's TLS roots, which an agent nobody sends calls through never needs.
    pub client: std::sync::OnceLock<UpstreamClient>,
    /// Where counted calls go.
    pub recorder: Arc<Recorder>,
    /// The largest request body accepted.
    pub max_request_bytes: usize,
    /// How long a request body may take to arrive.
    pub body_read_timeout: Duration,
}

/// Headers that describe one connection, not the message: never forwarded
/// (`te` aside when it is `trailers`, see [`strip_hop_by_hop`]).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// One call on its way upstream: what recording it needs.
struct Call {
    meta: CallMeta,
    method: Method,
    /// The path after the route prefix, with its query.
    rest: String,
    body: Bytes,
}

impl Call {
    fn of(parts: &request::Parts, route: Route, body: Bytes, started: Instant) -> Call {
        Call {
            meta: CallMeta {
                tool: tool_of(&parts.headers, route.tool),
                api: route.upstream.api,
                route: route.upstream.name.clone(),
                method: parts.method.to_string(),
                // None yet: the reply has not begun.
                status: 0,
                request_id: None,
                started,
            },
            method: parts.method.clone(),
            rest: route.rest,
            body,
        }
    }

    /// The tap for a reply with this head; `None` when it is not a call.
    fn tap(&self, status: u16, content_type: Option<&str>, encoding: Option<&str>) -> Option<Tap> {
        Tap::start(&Exchange {
            api: self.meta.api,
            method: self.method.as_str(),
            path: &self.rest,
            request_body: &self.body,
            status,
            content_type,
            content_encoding: encoding,
        })
    }
}

impl Forwarder {
    /// Serves one request; never fails (errors are replies).
    pub async fn serve(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, Infallible> {
        let started = Instant::now();
        Ok(self
            .forward(request, started)
            .await
            .unwrap_or_else(|reply| reply))
    }

    async fn forward(
        &self,
        request: Request<Incoming>,
        started: Instant,
    ) -> Result<Response<ProxyBody>, Response<ProxyBody>> {
        let (parts, body) = request.into_parts();
        guard::check(&parts).map_err(refused)?;
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let route = guard::route(&self.upstreams, path).map_err(refused)?;
        let body = self
            .read_body(&parts.headers, body)
            .await
            .map_err(refused)?;
        let uri = route
            .upstream
            .join(&route.rest)
            .map_err(|_| proxy_error(StatusCode::BAD_REQUEST, "bad request target"))?;
        let call = Call::of(&parts, route, body.clone(), started);
        let response = self.send(upstream_request(parts, uri, body), &call).await?;
        Ok(self.meter(response, call))
    }

    /// The whole request body, within the size limit and the deadline.
    async fn read_body(&self, headers: &HeaderMap, body: Incoming) -> Result<Bytes, Refusal> {
        let limit = self.max_request_bytes;
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(Refusal::TooLarge(limit));
        }
        let read = Limited::new(body, limit).collect();
        match tokio::time::timeout(self.body_read_timeout, read).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
                Err(Refusal::TooLarge(limit))
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "Request body unreadable.");
                Err(Refusal::UnreadableBody)
            }
            Err(_) => Err(Refusal::SlowBody(self.body_read_timeout)),
        }
    }

    /// Sends the request upstream and waits for the head of its reply. A
    /// client that gives up meanwhile drops this future: the upstream may
    /// bill the call anyway, so the guard then records it from the request.
    async fn send(
        &self,
        request: Request<Full<Bytes>>,
        call: &Call,
    ) -> Result<Response<Incoming>, Response<ProxyBody>> {
        let unanswered = Unanswered {
            call,
            recorder: &self.recorder,
            armed: true,
        };
        let sent = self.client.get_or_init(new_client).request(request).await;
        unanswered.disarm();
        sent.map_err(|e| {
            tracing::warn!(route = %call.meta.route, error = %e, "Upstream unreachable.");
            proxy_error(StatusCode::BAD_GATEWAY, "the upstream could not be reached")
        })
    }

    /// The reply as it came, its body metered on the side.
    fn meter(&self, response: Response<Incoming>, mut call: Call) -> Response<ProxyBody> {
        let (mut parts, incoming) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        let header_str = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        call.meta.status = parts.status.as_u16();
        call.meta.request_id = header_str("request-id");
        let tap = call.tap(
            call.meta.status,
            header_str(header::CONTENT_TYPE.as_str()).as_deref(),
            header_str(header::CONTENT_ENCODING.as_str()).as_deref(),
        );
        if tap.is_none() {
            self.recorder.record(&call.meta, None);
        }
        let metered = Metered::new(incoming, tap, call.meta, self.recorder.clone());
        Response::from_parts(parts, Either::Left(metered))
    }
}

/// The request to send upstream: the client's, with the upstream's URI and
/// without hop-by-hop headers, the Host or TokenTally's own header.
fn upstream_request(mut parts: request::Parts, uri: Uri, body: Bytes) -> Request<Full<Bytes>> {
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(TOOL_HEADER);
    // The client sets Host from the upstream's URI.
    parts.headers.remove(header::HOST);
    parts.uri = uri;
    parts.version = http::Version::HTTP_11;
    Request::from_parts(parts, Full::new(body))
}

/// Armed while a call waits for the head of its reply; dropped armed (the
/// client gave up), records the call as cut off before any reply: the
/// request's tokens, estimated.
struct Unanswered<'a> {
    call: &'a Call,
    recorder: &'a Recorder,
    armed: bool,
}

impl Unanswered<'_> {
    /// The reply came (or the upstream could not be reached): nothing to do.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        tracing::debug!(route = %self.call.meta.route, "Client gave up before the reply began.");
        // A 2xx with no content type and no body: the tap has only the
        // request to count.
        let conclusion = self
            .call
            .tap(200, None, None)
            .and_then(|tap| tap.conclude(End::CutOff));
        self.recorder.conclude(self.call.meta.clone(), conclusion);
    }
}

/// Removes hop-by-hop headers, and those the `Connection` header names;
/// keeps `te: trailers`, the only TE that HTTP/2 allows (gRPC-style
/// clients need it).
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let trailers = header::HeaderValue::from_static("trailers");
    let keep_te = headers.get_all(header::TE).iter().eq([&trailers]);
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        headers.remove(name);
    }
    if keep_te {
        headers.insert(header::TE, trailers);
    }
}

fn refused(refusal: Refusal) -> Response<ProxyBody> {
    tracing::debug!(status = refusal.status().as_u16(), reason = %refusal, "Refused.");
    proxy_error(refusal.status(), &refusal.to_string())
}

/// The proxy's own error reply, shaped like the providers' so that clients
/// show the message.
fn proxy_error(status: StatusCode, message: &str) -> Response<ProxyBody> {
    let body = serde_json::json!({
        "error": { "type": "tokentally_proxy_error", "message": message }
    });
    let mut response = Response::new(Either::Right(Full::new(Bytes::from(body.to_string()))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// The HTTPS client to the upstreams.
fn new_client() -> UpstreamClient {
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
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(https)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hop_by_hop_and_connection_named_headers_are_dropped() {
        let mut h = HeaderMap::new();
        h.insert("connection", "keep-alive, x-secret-hop".parse().unwrap());
        h.insert("x-secret-hop", "1".parse().unwrap());
        h.insert("keep-alive", "timeout=5".parse().unwrap());
        h.insert(
            "anthropic-beta",
            "prompt-caching-2024-07-31".parse().unwrap(),
        );
        h.insert("authorization", "Bearer k".parse().unwrap());
        strip_hop_by_hop(&mut h);
        let mut names: Vec<_> = h.keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, vec!["anthropic-beta", "authorization"]);
    }

    #[test]
    fn te_trailers_is_kept_other_te_values_are_not() {
        let te = |values: &[&str], connection: Option<&str>| {
            let mut h = HeaderMap::new();
            for v in values {
                h.append("te", v.parse().unwrap());
            }
            if let Some(c) = connection {
                h.insert("connection", c.parse().unwrap());
            }
            strip_hop_by_hop(&mut h);
            h.get_all("te")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(te(&["trailers"], None), ["trailers"]);
        assert_eq!(te(&["trailers"], Some("TE")), ["trailers"]);
        assert!(te(&["gzip"], None).is_empty());
        assert!(te(&["trailers, deflate"], None).is_empty());
        assert!(te(&["trailers", "gzip"], None).is_empty());
    }
}
