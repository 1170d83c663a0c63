//! An upload: a batch of buckets, each the absolute totals of one tool and
//! model over one period, with a revision so a re-send is harmless.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{ModelLabel, ToolLabel};

/// The schema id written in every upload.
pub const SCHEMA_ID: &str = "tokentally.usage/1";

/// The most buckets one upload may carry; more are split into several.
pub const MAX_BUCKETS: usize = 2000;

/// Numbers above this would lose precision in JSON readers that use
/// doubles; no real total comes near it.
const MAX_NUMBER: u64 = (1 << 53) - 1;

/// Period starts are whole quarter hours (every time zone's offset is).
const START_STEP_S: i64 = 900;

/// The version of the upload format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SchemaTag {
    /// Version 1.
    #[serde(rename = "tokentally.usage/1")]
    V1,
}

/// One upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "TokenTally usage upload")]
pub struct UsageBatch {
    /// Always `tokentally.usage/1`.
    pub schema: SchemaTag,
    /// The buckets, at most 2000.
    pub buckets: Vec<Bucket>,
}

/// The length of a bucket's period.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One hour.
    Hour,
    /// One day in the agent's time zone.
    Day,
    /// One week (Monday first) in the agent's time zone.
    Week,
}

impl Period {
    /// The name used on the wire and in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Week => "week",
        }
    }

    /// Inverse of [`Period::as_str`].
    pub fn parse(raw: &str) -> Option<Self> {
        [Period::Hour, Period::Day, Period::Week]
            .into_iter()
            .find(|p| p.as_str() == raw)
    }
}

/// The totals of one tool and model over one period, as the device counts
/// them now. Absolute, not a delta: the server keeps the highest revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    /// Start of the period, seconds since the Unix epoch (a multiple of 900).
    pub start: i64,
    /// Length of the period.
    pub period: Period,
    /// The tool.
    pub tool: ToolLabel,
    /// The model, or its family, as the policy says.
    pub model: ModelLabel,
    /// Rises by one each time these totals change; never reused.
    #[schemars(range(min = 1))]
    pub revision: u64,
    /// Input tokens, cache reads and writes not included.
    pub input: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write: u64,
    /// Output tokens, reasoning included.
    pub output: u64,
    /// Reasoning tokens (part of output).
    pub reasoning: u64,
    /// Calls whose counts came from the tool's own log.
    pub calls_exact: u64,
    /// Calls whose counts the provider reported through the proxy or telemetry.
    pub calls_reported: u64,
    /// Calls whose counts were estimated locally.
    pub calls_estimated: u64,
}

/// What identifies a bucket on the server (with the device).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketKey {
    /// Period start, seconds since the epoch.
    pub start: i64,
    /// Period length.
    pub period: Period,
    /// Tool.
    pub tool: ToolLabel,
    /// Model or family.
    pub model: ModelLabel,
}

impl Bucket {
    /// Its identity.
    pub fn key(&self) -> BucketKey {
        BucketKey {
            start: self.start,
            period: self.period,
            tool: self.tool,
            model: self.model.clone(),
        }
    }

    /// All calls counted in it.
    pub fn calls(&self) -> u64 {
        self.calls_exact + self.calls_reported + self.calls_estimated
    }

    fn numbers(&self) -> [(&'static str, u64); 9] {
        [
            ("revision", self.revision),
            ("input", self.input),
            ("cache_read", self.cache_read),
            ("cache_write", self.cache_write),
            ("output", self.output),
            ("reasoning", self.reasoning),
            ("calls_exact", self.calls_exact),
            ("calls_reported", self.calls_reported),
            ("calls_estimated", self.calls_estimated),
        ]
    }

    fn problems(&self, index: usize, out: &mut Vec<String>) {
        if self.start.rem_euclid(START_STEP_S) != 0 {
            out.push(format!(
                "buckets[{index}].start is not a whole quarter hour"
            ));
        }
        if self.revision == 0 {
            out.push(format!("buckets[{index}].revision must be at least 1"));
        }
        for (name, value) in self.numbers() {
            if value > MAX_NUMBER {
                out.push(format!("buckets[{index}].{name} is over 2^53 - 1"));
            }
        }
    }
}

impl UsageBatch {
    /// A batch of version 1.
    pub fn new(buckets: Vec<Bucket>) -> Self {
        UsageBatch {
            schema: SchemaTag::V1,
            buckets,
        }
    }

    /// Every rule the types alone do not say: empty or oversized batches,
    /// misaligned starts, zero revisions, repeated buckets, huge numbers.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.buckets.is_empty() {
            out.push("buckets is empty".to_owned());
        }
        if self.buckets.len() > MAX_BUCKETS {
            out.push(format!("more than {MAX_BUCKETS} buckets"));
        }
        let mut seen = HashSet::new();
        for (index, bucket) in self.buckets.iter().enumerate() {
            bucket.problems(index, &mut out);
            if !seen.insert(bucket.key()) {
                out.push(format!("buckets[{index}] repeats an earlier bucket"));
            }
        }
        out
    }

    /// The exact bytes of this batch: compact JSON, one line.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain structs of numbers and checked strings cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}
