//! Uploads: the only way anything leaves the laptop. Buckets of aggregated
//! counts (no text, no per-call rows), only after the employee's consent,
//! exactly once however often anything is retried, with the exact bytes
//! of every attempt kept as a receipt.

mod backoff;
mod buckets;
mod client;
mod config;
mod consent;
mod cycle;
mod enroll;
mod error;
mod family;
mod next;
mod otlp_json;
mod plan;
mod vault;

pub use backoff::Backoff;
pub use buckets::{BucketId, Numbers, current};
pub use client::{Http, Reply, check_url, join};
pub use config::UploadConfig;
pub use consent::Consent;
pub use cycle::{CycleReport, pending, upload_cycle};
pub use enroll::{access_log, delete_remote, enroll};
pub use error::UploadError;
pub use family::model_family;
pub use next::{Prepared, Sink, hex, next_upload};
pub use otlp_json::METRIC as OTLP_METRIC;
pub use plan::Plan;
pub use vault::{Keychain, MemoryVault, SERVICE as KEYCHAIN_SERVICE, TokenVault, account};
