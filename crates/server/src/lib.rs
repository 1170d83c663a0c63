//! The reference ingest server of TokenTally: devices enroll with a one-time
//! code, upload aggregated buckets (never text: the wire types have no field
//! that could hold it, and unknown fields are refused), and may delete their
//! data or read who looked at it. Admins read totals and bands per person,
//! team, tool or period; every read is logged per device.
//!
//! SQLite by default, PostgreSQL when the database URL says so.

mod admin;
mod app;
mod config;
mod error;
mod rate;
mod reports;
mod routes;
mod running;
mod secret;
mod serve;
mod store;

pub use admin::{BlockingAdmin, ExportRow};
pub use config::{ServerConfig, TlsFiles};
pub use error::ServerError;
pub use reports::{GroupBy, Report, ReportGroup, UNASSIGNED, band};
pub use running::RunningServer;
pub use store::{DeviceInfo, StoredBucket, Totals};

/// Serves until `shutdown` completes; the binary's entry point. Calls
/// `ready` with the bound address once listening.
pub async fn serve_until(
    config: ServerConfig,
    ready: impl FnOnce(std::net::SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    serve::serve(config, ready, shutdown).await
}
