//! "What's shared": the latest calls, each with the bucket it falls in and
//! its record as the tool wrote it, text replaced by markers.

use serde::Serialize;
use tokentally_store::Store;
use tokentally_upload::Plan;

use crate::{DeskError, redact::redacted_line};

/// The bucket a call is uploaded in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketRef {
    /// Period start, seconds since the epoch.
    pub start: i64,
    /// `hour`, `day` or `week`.
    pub period: &'static str,
    /// Tool id.
    pub tool: String,
    /// Model or family, as uploads name it.
    pub model: String,
}

/// One recent call.
#[derive(Debug, Clone, Serialize)]
pub struct RecentCallView {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Tool id.
    pub tool: String,
    /// Model as the tool wrote it.
    pub model: String,
    /// Input tokens.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Cache reads.
    pub cache_read: u64,
    /// Cache writes.
    pub cache_write: u64,
    /// Reasoning tokens.
    pub reasoning: u64,
    /// `log`, `reported` or `estimated`.
    pub provenance: &'static str,
    /// `log`, `proxy` or `telemetry`.
    pub via: &'static str,
    /// Where it is uploaded.
    pub bucket: BucketRef,
    /// The tool's record with every text value replaced by a marker;
    /// `None` for calls not read from a JSON-lines log.
    pub record: Option<String>,
}

/// The `limit` latest calls, newest first.
pub fn recent_calls(
    store: &Store,
    plan: &Plan,
    limit: usize,
) -> Result<Vec<RecentCallView>, DeskError> {
    let calls = store.recent_calls(limit)?;
    Ok(calls
        .into_iter()
        .map(|r| {
            let c = r.call;
            RecentCallView {
                bucket: BucketRef {
                    start: plan.period_start(c.at_ms),
                    period: plan.period().as_str(),
                    tool: c.tool.clone(),
                    model: plan.label(&c.model).as_str().to_owned(),
                },
                record: r
                    .source
                    .and_then(|(path, offset)| redacted_line(&path, offset)),
                at_ms: c.at_ms,
                tool: c.tool,
                model: c.model,
                input: c.tokens.input,
                output: c.tokens.output,
                cache_read: c.tokens.cache_read,
                cache_write: c.tokens.cache_write,
                reasoning: c.tokens.reasoning,
                provenance: c.provenance.as_str(),
                via: r.via,
            }
        })
        .collect())
}
