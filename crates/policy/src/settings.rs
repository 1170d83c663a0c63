//! The keys a policy document may set: one model for managed policy and the
//! employee's own settings, from which the JSON Schema is generated.
//!
//! There is deliberately no key that could make TokenTally read or send
//! prompt or response text, send per-call records, or upload without the
//! employee's consent: those are not settings.

use std::{borrow::Cow, collections::BTreeMap};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use tokentally_event::Tool;

/// A policy document. Every key is optional: what a layer leaves out comes
/// from the layer below it (built-in defaults < the employee's settings <
/// managed policy).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
#[schemars(title = "TokenTally policy")]
pub struct Settings {
    /// Tools whose usage is counted. A tool not listed is never read: its
    /// collector is not started. Default: every known tool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sanctioned_tools: Option<Vec<ToolId>>,
    /// For tools seen more than one way, which one counts. Default: `logs`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<BTreeMap<String, SourceChoice>>,
    /// Whether uploads can happen at all. `opt-in`: only after the
    /// employee turns them on. Default: `disabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<UploadMode>,
    /// The company's ingest server (https, or http on loopback only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_url: Option<String>,
    /// A company OpenTelemetry collector (OTLP/HTTP, the full metrics URL
    /// such as `https://otel.example.com/v1/metrics`; http on loopback
    /// only) that receives the same buckets as metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otlp_url: Option<String>,
    /// Minutes between scheduled uploads. Default: 60.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 5, max = 1440))]
    pub upload_interval_minutes: Option<u32>,
    /// An enrollment code (one device's, or a fleet code from
    /// `tokentally-server admin issue-code --fleet N`), exchanged for this
    /// device's own token at its first upload after the employee opts in;
    /// the token is kept in the OS keychain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enrollment_code: Option<String>,
    /// The finest time bucket an upload may use. The employee may choose a
    /// coarser one, never a finer one. Default: `day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granularity_floor: Option<Granularity>,
    /// The time bucket of uploads (an employee setting; at least the floor).
    /// Default: the floor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granularity: Option<Granularity>,
    /// Whether uploads name models (`full`) or only their families
    /// (`family`, such as `claude-sonnet`). Default: `family`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_names: Option<ModelNames>,
    /// Loopback port of the API proxy. Default: 47310.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub proxy_port: Option<u16>,
    /// Loopback port of the OpenTelemetry receiver. Default: 47318.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub receiver_port: Option<u16>,
    /// Extra upstreams the proxy forwards to (Azure OpenAI, a company
    /// gateway), each under `/<name>/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstreams: Option<Vec<Upstream>>,
    /// Start with the session. Default: true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autostart: Option<bool>,
    /// Days of local history kept. Default: 400.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3650))]
    pub retention_days: Option<u32>,
    /// IANA time zone of day buckets, such as `Europe/Paris`. Default: the
    /// laptop's own zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Who to ask about this policy, shown to the employee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// A page that answers the employee's questions (https).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_url: Option<String>,
}

/// A tool id, as used everywhere (CLI, store, UI, upload).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ToolId(pub String);

impl JsonSchema for ToolId {
    fn schema_name() -> Cow<'static, str> {
        "ToolId".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let ids: Vec<&str> = Tool::ALL.iter().map(|t| t.as_str()).collect();
        json_schema!({ "type": "string", "enum": ids })
    }
}

/// Where a tool's usage is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceChoice {
    /// The tool's own local logs.
    Logs,
    /// The embedded API proxy.
    Proxy,
    /// The loopback OpenTelemetry receiver.
    Telemetry,
}

/// Whether uploads may happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UploadMode {
    /// Never.
    Disabled,
    /// Only after the employee opts in, and until they opt out.
    OptIn,
}

/// The size of an upload's time buckets, finest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One hour.
    Hour,
    /// One day in the policy's time zone.
    Day,
    /// One week, Monday first.
    Week,
}

/// How models are named in uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelNames {
    /// As the tool wrote it.
    Full,
    /// Only the family.
    Family,
}

/// An extra upstream of the proxy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Route prefix: lowercase letters, digits and `-`.
    pub name: String,
    /// Base URL requests are forwarded to (https).
    pub url: String,
    /// The API it speaks, which says where usage is in replies.
    pub api: UpstreamApi,
}

/// The API an upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpstreamApi {
    /// OpenAI's (Azure OpenAI, most gateways).
    Openai,
    /// Anthropic's.
    Anthropic,
    /// Google's Gemini.
    Gemini,
}

/// The JSON Schema of a policy document, as kept in the repository.
pub fn schema() -> String {
    let schema = schemars::schema_for!(Settings);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
