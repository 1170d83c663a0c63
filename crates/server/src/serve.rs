//! Binding and serving, plain on loopback or with rustls.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::store::Store;
use crate::{ServerConfig, ServerError, TlsFiles, app};

/// How long in-flight requests get once shutdown is asked for.
const DRAIN: Duration = Duration::from_secs(10);

/// Migrates, binds, calls `ready` with the bound address, serves until
/// `shutdown` completes, then drains.
pub(crate) async fn serve(
    config: ServerConfig,
    ready: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    config.check()?;
    let store = Store::open(&config.database_url, config.postgres_pool_size).await?;
    let app = app::router(store, &config);
    let listener = std::net::TcpListener::bind(config.listen)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    match &config.tls {
        None => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            ready(addr);
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await?;
        }
        Some(files) => {
            let tls = axum_server::tls_rustls::RustlsConfig::from_config(rustls_config(files)?);
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                shutdown.await;
                stopper.graceful_shutdown(Some(DRAIN));
            });
            ready(addr);
            axum_server::from_tcp_rustls(listener, tls)?
                .handle(handle)
                .serve(app.into_make_service())
                .await?;
        }
    }
    Ok(())
}

/// A rustls config on the ring provider (explicit, so no process-wide
/// default has to be installed), HTTP/1.1 only.
fn rustls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, ServerError> {
    let bad = |what: &str, path: &std::path::Path, e: &dyn std::fmt::Display| {
        ServerError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{what} {}: {e}", path.display()),
        ))
    };
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| bad("TLS certificate", &files.cert, &e))?;
    if certs.is_empty() {
        return Err(bad(
            "TLS certificate",
            &files.cert,
            &"no certificate in file",
        ));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad("TLS key", &files.key, &e))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad("TLS setup", &files.cert, &e))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| bad("TLS certificate and key", &files.cert, &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
