//! HTTP to the server or collector: HTTPS (rustls), or plain HTTP to a
//! loopback address only; no redirects, so a token never follows one.

use std::{io::Read, time::Duration};

use reqwest::{StatusCode, blocking::Client, header};
use tokentally_wire::ErrorReply;

use crate::UploadError;

/// Replies are read up to this size; ours are small.
const MAX_REPLY: u64 = 64 * 1024;

/// What a request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// 2xx, with the body.
    Ok {
        /// Status.
        status: u16,
        /// Body.
        body: Vec<u8>,
    },
    /// Worth trying again later: no answer, 408, 429, 5xx.
    Retry {
        /// Status, if one came back.
        status: Option<u16>,
        /// The server's `Retry-After`, if any.
        after: Option<Duration>,
        /// What happened.
        detail: String,
    },
    /// Refused: sending the same again would be refused again.
    Refused {
        /// Status.
        status: u16,
        /// The server's reason.
        detail: String,
    },
}

impl Reply {
    /// The 2xx body as `T`, for a request asked once, with no queue to
    /// retry from: a failure worth retrying is a transport error here.
    /// `what` names the reply in the error when its body is not `T`.
    pub fn json<T: serde::de::DeserializeOwned>(self, what: &str) -> Result<T, UploadError> {
        match self {
            Reply::Ok { body, .. } => serde_json::from_slice(&body)
                .map_err(|e| UploadError::Transport(format!("unreadable {what}: {e}"))),
            Reply::Retry { detail, .. } => Err(UploadError::Transport(detail)),
            Reply::Refused { status, detail } => Err(UploadError::Refused { status, detail }),
        }
    }
}

/// Checks that `url` is https, or http to a loopback address.
pub fn check_url(url: &str) -> Result<reqwest::Url, UploadError> {
    let bad = |reason| UploadError::Url {
        url: url.to_owned(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| bad("not a URL"))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http"
            if parsed
                .host_str()
                .is_some_and(tokentally_loopback::is_loopback_host) =>
        {
            Ok(parsed)
        }
        "http" => Err(bad("plain http is allowed only to a loopback address")),
        _ => Err(bad("must be https")),
    }
}

/// Joins a base URL and a path (`/v1/usage`).
pub fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// A blocking HTTP client for uploads.
#[derive(Debug, Clone)]
pub struct Http {
    client: Client,
}

impl Http {
    /// With connect and whole-request timeouts.
    pub fn new() -> Result<Self, UploadError> {
        let client = Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("tokentally/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| UploadError::Transport(e.to_string()))?;
        Ok(Http { client })
    }

    /// POSTs JSON bytes exactly as given.
    pub fn post_json(&self, url: &str, bearer: Option<&str>, body: Vec<u8>) -> Reply {
        if let Err(e) = check_url(url) {
            return refused_locally(e);
        }
        let mut request = self
            .client
            .post(url)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        classify(request.send())
    }

    /// GETs with a bearer token.
    pub fn get(&self, url: &str, bearer: &str) -> Reply {
        if let Err(e) = check_url(url) {
            return refused_locally(e);
        }
        classify(self.client.get(url).bearer_auth(bearer).send())
    }

    /// DELETEs with a bearer token.
    pub fn delete(&self, url: &str, bearer: &str) -> Reply {
        if let Err(e) = check_url(url) {
            return refused_locally(e);
        }
        classify(self.client.delete(url).bearer_auth(bearer).send())
    }
}

fn refused_locally(e: UploadError) -> Reply {
    Reply::Refused {
        status: 0,
        detail: e.to_string(),
    }
}

fn classify(sent: reqwest::Result<reqwest::blocking::Response>) -> Reply {
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            return Reply::Retry {
                status: None,
                after: None,
                detail: transport_detail(&e),
            };
        }
    };
    let status = response.status();
    let after = retry_after(response.headers());
    let mut body = Vec::new();
    if let Err(e) = response.take(MAX_REPLY).read_to_end(&mut body) {
        // The answer was cut: whether it was stored is unknown, so send again.
        return Reply::Retry {
            status: Some(status.as_u16()),
            after,
            detail: format!("reply cut off: {e}"),
        };
    }
    if status.is_success() {
        return Reply::Ok {
            status: status.as_u16(),
            body,
        };
    }
    let detail = serde_json::from_slice::<ErrorReply>(&body)
        .map(|r| r.error)
        .unwrap_or_else(|_| status.canonical_reason().unwrap_or("error").to_owned());
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        Reply::Retry {
            status: Some(status.as_u16()),
            after,
            detail,
        }
    } else {
        Reply::Refused {
            status: status.as_u16(),
            detail,
        }
    }
}

fn transport_detail(e: &reqwest::Error) -> String {
    // The source chain says why (refused, reset, timed out); the URL is
    // kept out since receipts already name the server.
    let mut detail = if e.is_connect() {
        "could not connect".to_owned()
    } else if e.is_timeout() {
        "timed out".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    detail
}

/// `Retry-After` in seconds, or as an HTTP date.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let wait = when.as_second() - jiff::Timestamp::now().as_second();
    Some(Duration::from_secs(wait.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://tokentally.example.com").is_ok());
        assert!(check_url("http://127.0.0.1:8080").is_ok());
        assert!(check_url("http://[::1]:8080").is_ok());
        assert!(check_url("http://localhost:1").is_ok());
        assert!(check_url("http://tokentally.example.com").is_err());
        assert!(check_url("ftp://127.0.0.1").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let mut h = header::HeaderMap::new();
        h.insert(header::RETRY_AFTER, header::HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }
}
