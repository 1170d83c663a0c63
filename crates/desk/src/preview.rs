//! The next upload as the app shows it: the exact bytes `tokentally
//! preview --json` prints, from the same function the uploader sends.

use serde::Serialize;
use tokentally_policy::Resolved;
use tokentally_store::Store;
use tokentally_upload::{UploadConfig, UploadError, pending};

use crate::DeskError;

/// One payload.
#[derive(Debug, Clone, Serialize)]
pub struct PreviewPayload {
    /// Where it goes.
    pub url: String,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Buckets in it.
    pub buckets: usize,
    /// The bytes (JSON text).
    pub bytes: String,
}

/// The next upload, or why there is none.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// `on`, `off` (no consent), `disabled` (policy), `no_server`.
    pub state: &'static str,
    /// Why nothing would be sent, in words.
    pub reason: Option<String>,
    /// The payloads, in sending order.
    pub payloads: Vec<PreviewPayload>,
}

/// The next upload under `policy`.
pub fn preview(store: &Store, policy: &Resolved, now_ms: i64) -> Result<Preview, DeskError> {
    let config = UploadConfig::from_policy(policy)?;
    let none = |state, reason: String| Preview {
        state,
        reason: Some(reason),
        payloads: Vec::new(),
    };
    match pending(store, &config, now_ms) {
        Ok(payloads) => Ok(Preview {
            state: "on",
            reason: None,
            payloads: payloads
                .into_iter()
                .map(|(url, p)| PreviewPayload {
                    url,
                    sha256: p.sha256,
                    buckets: p.rows.len(),
                    bytes: String::from_utf8_lossy(&p.bytes).into_owned(),
                })
                .collect(),
        }),
        Err(UploadError::Off(why)) if why.contains("policy") => Ok(none("disabled", why.into())),
        Err(UploadError::Off(why)) => Ok(none("off", why.into())),
        Err(e @ UploadError::NoServer) => Ok(none("no_server", e.to_string())),
        Err(e) => Err(e.into()),
    }
}
