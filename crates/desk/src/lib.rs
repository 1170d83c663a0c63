//! What the desktop app shows and does, as plain functions over the core,
//! so the Tauri shell only translates and everything here is tested
//! without a webview. The CLI uses the same functions.

mod about;
mod access;
mod burst;
mod choices;
mod export;
mod preview;
mod prices;
mod recent;
mod redact;
mod setup;
mod tray;
mod tray_action;
mod usage;

pub use about::about;
pub use access::{AccessView, access_log};
pub use burst::coalesce;
pub use choices::{DeletedView, delete_data, pause_end, set_consent, set_employee_key};
pub use export::{export_csv, export_json};
pub use preview::{Preview, PreviewPayload, preview};
pub use prices::{PRICES_AS_OF, Price, cost, price_of};
pub use recent::{BucketRef, RecentCallView, recent_calls};
pub use redact::{redact, redacted_line};
pub use setup::{otel_lines, proxy_lines};
pub use tray::{TrayItem, TrayModel, TrayState, compact, tray_model};
pub use tray_action::{TrayAction, apply_tray_action, tray_action};
pub use usage::{DayTotals, ModelTotals, ToolTotals, Totals, UsageView, usage};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The ledger.
    #[error(transparent)]
    Store(#[from] tokentally_store::StoreError),
    /// Uploads.
    #[error(transparent)]
    Upload(#[from] tokentally_upload::UploadError),
    /// Dates and zones.
    #[error(transparent)]
    Time(#[from] jiff::Error),
    /// Files.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A value the policy rules refuse.
    #[error("{0}")]
    Invalid(String),
}

impl DeskError {
    /// A short stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::Store(_) => "store",
            DeskError::Upload(tokentally_upload::UploadError::Refused { .. }) => "refused",
            DeskError::Upload(tokentally_upload::UploadError::Transport(_)) => "unreachable",
            DeskError::Upload(_) => "upload",
            DeskError::Time(_) => "time",
            DeskError::Io(_) => "io",
            DeskError::Json(_) => "json",
            DeskError::Invalid(_) => "invalid",
        }
    }
}
