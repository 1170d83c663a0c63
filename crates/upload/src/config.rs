//! What the policy in force says about uploads.

use std::time::Duration;

use tokentally_policy::{Resolved, UploadMode};

use crate::{Plan, Sink, UploadError, check_url};

/// Upload settings, decided.
#[derive(Debug, Clone)]
pub struct UploadConfig {
    /// Whether uploads may happen at all.
    pub mode: UploadMode,
    /// The company's TokenTally server.
    pub server_url: Option<String>,
    /// The company's OTLP/HTTP metrics endpoint.
    pub otlp_url: Option<String>,
    /// How buckets are cut.
    pub plan: Plan,
    /// Days of local history: buckets older than that are left alone.
    pub retention_days: u32,
    /// Time between scheduled uploads.
    pub interval: Duration,
    /// The policy's enrollment code: used once, at the first upload after
    /// the employee's consent, when this device is not enrolled yet.
    pub enrollment_code: Option<String>,
}

impl UploadConfig {
    /// From the policy in force.
    pub fn from_policy(policy: &Resolved) -> Result<Self, UploadError> {
        Ok(UploadConfig {
            mode: policy.upload,
            server_url: policy.server_url.clone(),
            otlp_url: policy.otlp_url.clone(),
            plan: Plan::from_policy(policy)?,
            retention_days: policy.retention_days,
            interval: Duration::from_secs(u64::from(policy.upload_interval_minutes) * 60),
            enrollment_code: policy.enrollment_code.clone(),
        })
    }

    /// Where uploads go, each URL checked.
    pub fn targets(&self) -> Result<Vec<(Sink, String)>, UploadError> {
        let mut out = Vec::new();
        if let Some(url) = &self.server_url {
            check_url(url)?;
            out.push((Sink::Server, url.trim_end_matches('/').to_owned()));
        }
        if let Some(url) = &self.otlp_url {
            check_url(url)?;
            out.push((Sink::Otlp, url.clone()));
        }
        if out.is_empty() {
            return Err(UploadError::NoServer);
        }
        Ok(out)
    }

    /// The earliest call time whose bucket may still be recomputed: one
    /// day inside the retention window, so pruning never shrinks a bucket
    /// already sent.
    pub fn recompute_from_ms(&self, now_ms: i64) -> i64 {
        let day = 86_400_000;
        now_ms - i64::from(self.retention_days) * day + day
    }
}
