//! What the proxy refuses before anything goes upstream: it serves only
//! loopback clients that name a loopback host (DNS-rebinding protection),
//! only its configured routes (never an open relay), and no CONNECT.

use http::{Method, StatusCode, Version, request::Parts};
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
    /// A request body over the limit.
    #[error("request body over {0} bytes")]
    TooLarge(usize),
}

impl Refusal {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Connect => StatusCode::METHOD_NOT_ALLOWED,
            Refusal::AbsoluteForm => StatusCode::BAD_REQUEST,
            Refusal::ForeignHost => StatusCode::FORBIDDEN,
            Refusal::UnknownRoute(..) => StatusCode::NOT_FOUND,
            Refusal::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

/// Refuses tunnels, absolute-form targets and foreign hosts.
pub fn check(parts: &Parts) -> Result<(), Refusal> {
    if parts.method == Method::CONNECT {
        return Err(Refusal::Connect);
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
    Ok(Route {
        upstream,
        tool,
        rest,
    })
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
}
