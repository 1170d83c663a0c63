//! What a server is started with.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::ServerError;

/// A certificate chain and its private key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// The server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// `sqlite:///abs/path.db`, a plain path (SQLite), or `postgres://...`.
    pub database_url: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Serve HTTPS with these files; plain HTTP otherwise.
    pub tls: Option<TlsFiles>,
    /// Allow plain HTTP on a non-loopback address because a TLS-terminating
    /// reverse proxy is in front.
    pub behind_proxy: bool,
    /// Team reports show only teams with at least this many people.
    pub k_anonymity: usize,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// Uploads (and other device requests) a device may make per minute.
    pub device_requests_per_minute: u32,
    /// PostgreSQL connections kept (ignored for SQLite).
    pub postgres_pool_size: usize,
}

impl ServerConfig {
    /// Default limits, listening on 127.0.0.1 with a port the system picks.
    pub fn loopback(database_url: impl Into<String>) -> Self {
        ServerConfig {
            database_url: database_url.into(),
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tls: None,
            behind_proxy: false,
            k_anonymity: 5,
            max_body_bytes: 1024 * 1024,
            device_requests_per_minute: 120,
            postgres_pool_size: 16,
        }
    }

    /// Plain HTTP would carry bearer tokens in the clear: only on loopback,
    /// or when the operator says a proxy terminates TLS.
    pub fn check(&self) -> Result<(), ServerError> {
        if self.tls.is_none() && !self.behind_proxy && !self.listen.ip().is_loopback() {
            return Err(ServerError::PlainHttpNotLoopback(self.listen));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_loopback_only_unless_proxied_or_tls() {
        let mut c = ServerConfig::loopback("x.db");
        assert!(c.check().is_ok());
        c.listen = "0.0.0.0:8443".parse().expect("addr");
        let err = c.check().expect_err("refused");
        assert!(err.to_string().contains("--behind-proxy"), "{err}");
        c.behind_proxy = true;
        assert!(c.check().is_ok());
        c.behind_proxy = false;
        c.tls = Some(TlsFiles {
            cert: "c.pem".into(),
            key: "k.pem".into(),
        });
        assert!(c.check().is_ok());
        c.tls = None;
        c.listen = "[::1]:1".parse().expect("addr");
        assert!(c.check().is_ok());
    }
}
