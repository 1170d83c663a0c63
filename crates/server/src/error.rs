//! The library's errors.

use thiserror::Error;

/// Anything that stops the server, a store call or an admin command.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The database URL names no backend this server has.
    #[error("database URL {0:?} is neither sqlite:///path, a plain path, nor postgres://...")]
    DatabaseUrl(String),
    /// SQLite failed.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    #[error("postgres pool: {0}")]
    Pool(String),
    /// A stored row does not read back as the type it was written from.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Plain HTTP on a non-loopback address.
    #[error(
        "refusing plain HTTP on {0}: give --tls-cert and --tls-key, listen on 127.0.0.1 or ::1, \
         or say --behind-proxy when a TLS-terminating reverse proxy forwards to this address"
    )]
    PlainHttpNotLoopback(std::net::SocketAddr),
    /// An admin gave a name the server does not store.
    #[error("{what} {value:?} must be 1 to 96 characters among letters, digits and ._@+-")]
    BadLabel {
        /// Which label.
        what: &'static str,
        /// What was given.
        value: String,
    },
    /// An admin command named a device that is not enrolled.
    #[error("no device {0:?}")]
    NoDevice(String),
    /// An admin name is taken.
    #[error("admin {0:?} already exists")]
    AdminExists(String),
    /// Reading the TLS certificate or key, binding, or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Random(String),
    /// A blocking task was cancelled or panicked.
    #[error("background task failed: {0}")]
    Task(String),
    /// The server thread ended before it was ready.
    #[error("server thread ended: {0}")]
    Thread(String),
}

impl From<tokio::task::JoinError> for ServerError {
    fn from(e: tokio::task::JoinError) -> Self {
        ServerError::Task(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for ServerError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        ServerError::Pool(e.to_string())
    }
}
