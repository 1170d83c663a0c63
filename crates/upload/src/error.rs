//! What can go wrong on the upload path.

use tokentally_store::StoreError;

/// An upload error.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bucket finer than the policy's floor was asked for.
    #[error("granularity {chosen} is finer than the policy's floor {floor}")]
    FinerThanFloor {
        /// What was asked.
        chosen: &'static str,
        /// The finest allowed.
        floor: &'static str,
    },
    /// The policy names a time zone this build does not know.
    #[error("unknown time zone `{0}`")]
    TimeZone(String),
    /// A server or collector URL that is not https (or http on loopback).
    #[error("`{url}`: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// Uploads are off (policy or consent).
    #[error("uploads are off: {0}")]
    Off(&'static str),
    /// No server is configured.
    #[error("no server_url in the policy")]
    NoServer,
    /// This device has no token for the server.
    #[error("not enrolled at {0}: run `tokentally enroll`")]
    NotEnrolled(String),
    /// The OS keychain failed.
    #[error("keychain: {0}")]
    Keychain(String),
    /// The server could not be reached or answered with an error.
    #[error("{0}")]
    Transport(String),
    /// The server refused the request.
    #[error("the server refused ({status}): {detail}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// Its reason.
        detail: String,
    },
}
