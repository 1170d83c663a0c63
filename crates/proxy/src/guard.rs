//! What the proxy refuses before anything goes upstream: it serves only
//! loopback clients that name a loopback host (DNS-rebinding protection),
//! no web page, only its configured routes (never an open relay), no path
//! that climbs out of an upstream's base path, and no CONNECT.

use std::time::Duration;

use http::{HeaderMap, Method, StatusCode, Version, request::Parts};
use tokentally_event::Tool;

use tokentally_loopback::is_loopback_host;

use crate::upstream::Upstream;

/// Why a request was refused; each becomes a clear 4xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Tunnels would make this an open relay.
    #[error("CONNECT is not supported: this is a reverse proxy for AI APIs, not a tunnel")]
    Connect,
    /// `GET http://elsewhere/` would also make this an open relay.
    #[error("absolute-form requests are not supported: use a route such as /openai/v1/...")]
    AbsoluteForm,
    /// A page in a browser may reach loopback through a rebound name.
    #[error("the Host must be a loopback name (localhost, 127.0.0.1, [::1])")]
    ForeignHost,
    /// The first path segment names no upstream.
    #[error("no upstream is named `{0}`; routes: {1}")]
    UnknownRoute(String, String),
    /// A web page: the CLI tools and SDKs the proxy serves send no
    /// `Origin` or `Sec-Fetch-Site`, but a page's cross-site `text/plain`
    /// POST to 127.0.0.1 needs no preflight and would otherwise go through.
    #[error(
        "requests from a web browser are refused: the proxy serves command-line tools and SDKs"
    )]
    Browser,
    /// `..` or `.` segments would reach outside an upstream's base path.
    #[error("the path may not contain `.` or `..` segments")]
    PathEscape,
    /// A request body over the limit.
    #[error("request body over {0} bytes")]
    TooLarge(usize),
    /// A body that did not arrive in time.
    #[error("the request body did not arrive within {} s", .0.as_secs())]
    SlowBody(Duration),
    /// A client that went away mid-body, or broken chunked framing.
    #[error("the request body could not be read")]
    UnreadableBody,
}

impl Refusal {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Connect => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::AbsoluteForm => StatusCode::BAD_REQUEST,
            Refusal::ForeignHost | Refusal::Browser => StatusCode::FORBIDDEN,
            Refusal::UnknownRoute(..) => StatusCode::NOT_FOUND,
            Refusal::PathEscape | Refusal::UnreadableBody => StatusCode::BAD_REQUEST,
            Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::SlowBody(_) => StatusCode::REQUEST_TIMEOUT,
        }
    }
}

/// Refuses tunnels, absolute-form targets, foreign hosts and browsers.
pub fn check(parts: &Parts) -> Result<(), Refusal> {
    if parts.method == Method::CONNECT {
        return Err(Refusal::Connect);
    }
    if from_browser(&parts.headers) {
        return Err(Refusal::Browser);
    }
    let host = if parts.version == Version::HTTP_2 {
        parts.uri.host().map(str::to_owned)
    } else {
        if parts.uri.scheme().is_some() || parts.uri.authority().is_some() {
            return Err(Refusal::AbsoluteForm);
        }
        parts
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.parse::<http::uri::Authority>().ok())
            .map(|a| a.host().to_owned())
    };
    match host {
        Some(host) if is_loopback_host(&host) => Ok(()),
        _ => Err(Refusal::ForeignHost),
    }
}

/// True when a browser sent the request: it adds `Origin` to cross-site
/// and to every POST, and `Sec-Fetch-Site` (`none` only when the user
/// typed the address).
fn from_browser(headers: &HeaderMap) -> bool {
    let site = headers.get("sec-fetch-site");
    headers.contains_key(http::header::ORIGIN) || site.is_some_and(|s| s.as_bytes() != b"none")
}

/// A request's route: the upstream, the tool named by a `~tool` suffix,
/// and the rest of the path with its query.
#[derive(Debug)]
pub struct Route<'a> {
    /// Where it goes.
    pub upstream: &'a Upstream,
    /// `/openai~aider/...` names the tool.
    pub tool: Option<Tool>,
    /// What follows the prefix, starting with `/`.
    pub rest: String,
}

/// Finds the route of `/<name>[~tool]/rest?query`.
pub fn route<'a>(upstreams: &'a [Upstream], path_and_query: &str) -> Result<Route<'a>, Refusal> {
    let trimmed = path_and_query.strip_prefix('/').unwrap_or(path_and_query);
    let end = trimmed.find(['/', '?']).unwrap_or(trimmed.len());
    let (segment, rest) = trimmed.split_at(end);
    let (name, tool) = match segment.split_once('~') {
        Some((name, tool)) => (name, tool.parse::<Tool>().ok()),
        None => (segment, None),
    };
    let unknown = || {
        let names: Vec<&str> = upstreams.iter().map(|u| u.name.as_str()).collect();
        Refusal::UnknownRoute(name.chars().take(64).collect(), names.join(", "))
    };
    let upstream = upstreams
        .iter()
        .find(|u| u.name == name)
        .ok_or_else(unknown)?;
    let rest = if rest.starts_with('/') {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    if climbs(&rest) {
        return Err(Refusal::PathEscape);
    }
    Ok(Route {
        upstream,
        tool,
        rest,
    })
}

/// True when the path of `rest` has a `.` or `..` segment, percent-encoded
/// or not: the upstream (or a server behind it) would resolve it, leaving
/// the base path (`https://gw/llm/../admin`). Decoded `/` and `\` count as
/// separators too, as some servers treat them.
fn climbs(rest: &str) -> bool {
    let path = rest.split('?').next().unwrap_or(rest);
    percent_decoded(path.as_bytes())
        .split(|b| *b == b'/' || *b == b'\\')
        .any(|segment| segment == b"." || segment == b"..")
}

/// `bytes` with each `%XX` decoded once; a malformed escape stays as it is.
fn percent_decoded(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(h, l)| (h * 16 + l) as u8),
            _ => None,
        };
        match escaped {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::upstream::built_in;

    fn parts(method: &str, uri: &str, host: Option<&str>) -> Parts {
        let mut b = http::Request::builder().method(method).uri(uri);
        if let Some(h) = host {
            b = b.header("host", h);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn loopback_hosts_pass_others_are_refused() {
        assert_eq!(
            check(&parts("POST", "/openai/v1/x", Some("127.0.0.1:47310"))),
            Ok(())
        );
        assert_eq!(
            check(&parts("POST", "/openai/v1/x", Some("localhost"))),
            Ok(())
        );
        assert_eq!(
            check(&parts("POST", "/openai/v1/x", Some("[::1]:47310"))),
            Ok(())
        );
        assert_eq!(
            check(&parts(
                "POST",
                "/openai/v1/x",
                Some("attacker.example:47310")
            )),
            Err(Refusal::ForeignHost)
        );
        assert_eq!(
            check(&parts("POST", "/openai/v1/x", None)),
            Err(Refusal::ForeignHost)
        );
    }

    #[test]
    fn tunnels_and_absolute_targets_are_refused() {
        assert_eq!(
            check(&parts("CONNECT", "api.openai.com:443", Some("localhost"))),
            Err(Refusal::Connect)
        );
        assert_eq!(
            check(&parts("GET", "http://example.com/", Some("localhost"))),
            Err(Refusal::AbsoluteForm)
        );
    }

    #[test]
    fn routes_by_first_segment_with_an_optional_tool() {
        let ups = built_in();
        let r = route(&ups, "/anthropic/v1/messages?beta=true").unwrap();
        assert_eq!(
            (r.upstream.name.as_str(), r.tool, r.rest.as_str()),
            ("anthropic", None, "/v1/messages?beta=true")
        );
        let r = route(&ups, "/openai~aider/v1/chat/completions").unwrap();
        assert_eq!(
            (r.upstream.name.as_str(), r.tool),
            ("openai", Some(Tool::Aider))
        );
        let r = route(&ups, "/gemini?x=1").unwrap();
        assert_eq!(r.rest, "/?x=1");
        assert!(matches!(
            route(&ups, "/evil/v1"),
            Err(Refusal::UnknownRoute(..))
        ));
        assert!(matches!(route(&ups, "/"), Err(Refusal::UnknownRoute(..))));
    }

    #[test]
    fn browsers_are_refused_tools_pass() {
        let with = |name: &str, value: &str| {
            let mut p = parts(
                "POST",
                "/openai/v1/chat/completions",
                Some("127.0.0.1:47310"),
            );
            p.headers.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
            check(&p)
        };
        assert_eq!(
            with("origin", "https://evil.example"),
            Err(Refusal::Browser)
        );
        assert_eq!(with("origin", "null"), Err(Refusal::Browser));
        assert_eq!(with("sec-fetch-site", "cross-site"), Err(Refusal::Browser));
        assert_eq!(with("sec-fetch-site", "same-origin"), Err(Refusal::Browser));
        assert_eq!(with("sec-fetch-site", "none"), Ok(()));
        assert_eq!(with("user-agent", "OpenAI/Python 1.99.0"), Ok(()));
        assert_eq!(Refusal::Browser.status(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn dot_segments_are_refused_however_encoded() {
        let ups = built_in();
        for path in [
            "/openai/../admin",
            "/openai/v1/../../admin",
            "/openai/v1/./x",
            "/openai/v1/..",
            "/openai/%2e%2e/admin",
            "/openai/%2E./admin",
            "/openai/.%2e/admin",
            "/openai/v1/%2e/x",
            "/openai/v1/..%2fadmin",
            "/openai/v1/..%5cadmin",
            "/openai~aider/../x?y=1",
        ] {
            assert_eq!(
                route(&ups, path).unwrap_err(),
                Refusal::PathEscape,
                "{path}"
            );
        }
        for path in [
            "/openai/v1/chat/completions",
            "/openai/v1/files/a..b",
            "/openai/v1/x.y/...",
            "/openai/v1/x?path=../y",
            "/openai/v1/%2e%2ex",
            "/openai/v1/%zz",
        ] {
            assert!(route(&ups, path).is_ok(), "{path}");
        }
        assert_eq!(Refusal::PathEscape.status(), StatusCode::BAD_REQUEST);
    }
}
