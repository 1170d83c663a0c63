//! Where the proxy forwards: the built-in providers and the upstreams a
//! policy or the command line adds, each under its own route prefix.

use std::net::IpAddr;

use http::Uri;

use crate::tap::Api;

/// One upstream: `/<name>/rest` is forwarded to `<base>/rest`.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Route prefix: lowercase letters, digits and `-`.
    pub name: String,
    /// Scheme and authority, and a path prefix (without a trailing `/`).
    pub base: Uri,
    /// The API it speaks: where usage is in its replies.
    pub api: Api,
}

/// Why an upstream cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UpstreamError {
    /// Not a usable URL.
    #[error("upstream `{name}`: `{url}` is not an absolute http(s) URL")]
    BadUrl {
        /// The route name.
        name: String,
        /// The URL given.
        url: String,
    },
    /// Plain http leaves the machine unencrypted: only loopback may use it.
    #[error(
        "upstream `{name}`: plain http is allowed only to a loopback address (127.0.0.1, [::1], localhost), not `{url}`"
    )]
    PlainHttp {
        /// The route name.
        name: String,
        /// The URL given.
        url: String,
    },
    /// Names are path segments.
    #[error("upstream name `{0}` must be lowercase letters, digits and `-`")]
    BadName(String),
    /// Two routes with one name.
    #[error("upstream `{0}` is defined twice")]
    Duplicate(String),
}

impl Upstream {
    /// Checks and builds an upstream from a name, a URL and its API.
    pub fn new(name: &str, url: &str, api: Api) -> Result<Self, UpstreamError> {
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid_name {
            return Err(UpstreamError::BadName(name.to_owned()));
        }
        let bad = || UpstreamError::BadUrl {
            name: name.to_owned(),
            url: url.to_owned(),
        };
        let base: Uri = url.trim_end_matches('/').parse().map_err(|_| bad())?;
        let host = base.host().ok_or_else(bad)?;
        match base.scheme_str() {
            Some("https") => {}
            Some("http") if stays_local(host) => {}
            Some("http") => {
                return Err(UpstreamError::PlainHttp {
                    name: name.to_owned(),
                    url: url.to_owned(),
                });
            }
            _ => return Err(bad()),
        }
        if base.query().is_some() {
            return Err(bad());
        }
        Ok(Upstream {
            name: name.to_owned(),
            base,
            api,
        })
    }

    /// The URI of `rest` (a path starting with `/`, with its query) here.
    pub fn join(&self, rest: &str) -> Result<Uri, http::Error> {
        let prefix = self.base.path().trim_end_matches('/');
        let mut parts = self.base.clone().into_parts();
        parts.path_and_query = Some(format!("{prefix}{rest}").parse()?);
        Ok(Uri::from_parts(parts)?)
    }
}

/// True for a host plain http may go to: an IP loopback literal, or exactly
/// `localhost`. Not `*.localhost`: some resolvers send those to DNS, and
/// the call, keys and all, would leave the machine unencrypted.
fn stays_local(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The three providers every proxy knows.
pub fn built_in() -> Vec<Upstream> {
    [
        ("openai", "https://api.openai.com", Api::OpenAi),
        ("anthropic", "https://api.anthropic.com", Api::Anthropic),
        (
            "gemini",
            "https://generativelanguage.googleapis.com",
            Api::Gemini,
        ),
    ]
    .into_iter()
    .filter_map(|(name, url, api)| Upstream::new(name, url, api).ok())
    .collect()
}

/// The built-in upstreams followed by `extra`; a name used twice is an
/// error, so an extra upstream cannot silently replace a provider.
pub fn with_extra(extra: Vec<Upstream>) -> Result<Vec<Upstream>, UpstreamError> {
    let mut all = built_in();
    for upstream in extra {
        if all.iter().any(|u| u.name == upstream.name) {
            return Err(UpstreamError::Duplicate(upstream.name));
        }
        all.push(upstream);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn joins_the_rest_under_the_base_path() {
        let u = Upstream::new("corp", "https://gw.example.com/llm/", Api::OpenAi).unwrap();
        assert_eq!(
            u.join("/v1/chat/completions?x=1").unwrap().to_string(),
            "https://gw.example.com/llm/v1/chat/completions?x=1"
        );
        let o = &built_in()[0];
        assert_eq!(
            o.join("/v1/responses").unwrap().to_string(),
            "https://api.openai.com/v1/responses"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Upstream::new("t", "http://127.0.0.1:9000", Api::Anthropic).is_ok());
        assert!(Upstream::new("t", "http://[::1]:9000", Api::Anthropic).is_ok());
        assert!(Upstream::new("t", "http://localhost:9000", Api::Anthropic).is_ok());
        assert!(Upstream::new("t", "http://127.0.0.2:9000", Api::Anthropic).is_ok());
        for url in [
            "http://10.0.0.8",
            "http://api.localhost:9000",
            "http://localhost.:9000",
            "http://localhost.evil.example",
            "http://127.1:9000",
            "http://[::ffff:127.0.0.1]:9000",
            "http://0.0.0.0:9000",
        ] {
            assert!(
                matches!(
                    Upstream::new("t", url, Api::Anthropic),
                    Err(UpstreamError::PlainHttp { .. })
                ),
                "{url}"
            );
        }
        assert!(matches!(
            Upstream::new("t", "ftp://x", Api::Anthropic),
            Err(UpstreamError::BadUrl { .. })
        ));
        assert!(matches!(
            Upstream::new("T x", "https://x", Api::Anthropic),
            Err(UpstreamError::BadName(_))
        ));
    }

    #[test]
    fn an_extra_upstream_cannot_replace_a_provider() {
        let evil = Upstream::new("openai", "https://evil.example", Api::OpenAi).unwrap();
        assert_eq!(
            with_extra(vec![evil]).unwrap_err(),
            UpstreamError::Duplicate("openai".into())
        );
    }
}
