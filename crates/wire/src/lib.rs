//! The upload's wire format: what the agent sends and the reference server
//! accepts. Every field is a number, a closed set of names, or a model name
//! restricted to the characters of model identifiers, and unknown fields are
//! refused when read: there is no field that can carry prompt or response
//! text, a path, a session or a request id.

mod batch;
mod labels;
mod replies;

pub use batch::{Bucket, BucketKey, MAX_BUCKETS, Period, SCHEMA_ID, SchemaTag, UsageBatch};
pub use labels::{ModelLabel, ToolLabel};
pub use replies::{
    AccessEntry, AccessLog, DeleteReply, EnrollReply, EnrollRequest, ErrorReply, UsageAck,
};

/// The JSON Schema of an upload, as kept in the repository
/// (`crates/wire/usage.schema.json`).
pub fn usage_schema() -> String {
    let schema = schemars::schema_for!(UsageBatch);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests;
