//! One request: refuse what must be refused, forward the rest unchanged,
//! and meter the reply on the side.

use std::{convert::Infallible, sync::Arc, time::Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::{Client, connect::HttpConnector};

use crate::{
    attribute::{TOOL_HEADER, tool_of},
    guard::{self, Refusal},
    metered::Metered,
    record::{CallMeta, Recorder},
    tap::{Exchange, Tap},
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
    /// The pooled client.
    pub client: UpstreamClient,
    /// Where counted calls go.
    pub recorder: Arc<Recorder>,
    /// The largest request body accepted.
    pub max_request_bytes: usize,
}

/// Headers that describe one connection, not the message: never forwarded.
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

impl Forwarder {
    /// Serves one request; never fails (errors are replies).
    pub async fn serve(
        self: Arc<Self>,
        request: Request<Incoming>,
    ) -> Result<Response<ProxyBody>, Infallible> {
        let started = Instant::now();
        Ok(match self.forward(request, started).await {
            Ok(response) => response,
            Err(reply) => reply,
        })
    }

    async fn forward(
        &self,
        request: Request<Incoming>,
        started: Instant,
    ) -> Result<Response<ProxyBody>, Response<ProxyBody>> {
        let (mut parts, body) = request.into_parts();
        guard::check(&parts).map_err(refused)?;
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let route = guard::route(&self.upstreams, path).map_err(refused)?;
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > self.max_request_bytes) {
            return Err(refused(Refusal::TooLarge(self.max_request_bytes)));
        }
        let body = Limited::new(body, self.max_request_bytes)
            .collect()
            .await
            .map_err(|_| refused(Refusal::TooLarge(self.max_request_bytes)))?
            .to_bytes();
        let tool = tool_of(&parts.headers, route.tool);
        let uri = route
            .upstream
            .join(&route.rest)
            .map_err(|_| proxy_error(StatusCode::BAD_REQUEST, "bad request target"))?;
        strip_hop_by_hop(&mut parts.headers);
        parts.headers.remove(TOOL_HEADER);
        // The client sets Host from the upstream's URI.
        parts.headers.remove(header::HOST);
        let method = parts.method.clone();
        let mut upstream_request = Request::from_parts(parts, Full::new(body.clone()));
        *upstream_request.uri_mut() = uri;
        *upstream_request.version_mut() = http::Version::HTTP_11;
        let response = self.client.request(upstream_request).await.map_err(|e| {
            tracing::warn!(route = %route.upstream.name, error = %e, "Upstream unreachable.");
            proxy_error(StatusCode::BAD_GATEWAY, "the upstream could not be reached")
        })?;
        let (mut parts, incoming) = response.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        let header_str = |name: HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header_str(header::CONTENT_TYPE);
        let content_encoding = header_str(header::CONTENT_ENCODING);
        let meta = CallMeta {
            tool,
            api: route.upstream.api,
            route: route.upstream.name.clone(),
            method: method.to_string(),
            status: parts.status.as_u16(),
            request_id: header_str(HeaderName::from_static("request-id")),
            started,
        };
        let tap = Tap::start(&Exchange {
            api: route.upstream.api,
            method: method.as_str(),
            path: &route.rest,
            request_body: &body,
            status: parts.status.as_u16(),
            content_type: content_type.as_deref(),
            content_encoding: content_encoding.as_deref(),
        });
        if tap.is_none() {
            self.recorder.record(&meta, None);
        }
        let metered = Metered::new(incoming, tap, meta, self.recorder.clone());
        Ok(Response::from_parts(parts, Either::Left(metered)))
    }
}

/// Removes hop-by-hop headers, and those the `Connection` header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
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
}
