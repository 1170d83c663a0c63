//! The server's requests and replies other than the upload itself.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /v1/enroll`: a one-time code for a device token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The enrollment code the company issued.
    pub code: String,
}

/// The reply to an enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EnrollReply {
    /// The device's id, used in URLs.
    pub device_id: String,
    /// The bearer token of the device; shown once.
    pub token: String,
}

/// The reply to an accepted upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UsageAck {
    /// The server's id for this receipt.
    pub ack: String,
    /// Buckets stored or updated.
    pub stored: u64,
    /// Buckets the server already held at this revision or a later one.
    pub unchanged: u64,
}

/// The reply to `DELETE /v1/devices/{id}/usage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeleteReply {
    /// Buckets deleted.
    pub deleted: u64,
}

/// Any refusal: a 4xx or 5xx with a reason meant for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorReply {
    /// What was wrong.
    pub error: String,
}

/// One admin read of a device's data, as the device may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccessEntry {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Which admin (the name of the admin token).
    pub who: String,
    /// What was read (the report's kind and scope).
    pub what: String,
}

/// `GET /v1/devices/{id}/access-log`: who looked at this device's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccessLog {
    /// Newest first.
    pub entries: Vec<AccessEntry>,
}
