//! Layering: built-in defaults < the employee's settings < managed policy.
//! A key managed policy sets is locked: the employee's value is ignored.

use std::{collections::BTreeMap, str::FromStr};

use serde::Serialize;
use serde_json::Value;
use tokentally_event::Tool;

use crate::{
    parse::Problem,
    settings::{Granularity, ModelNames, Settings, SourceChoice, UploadMode, Upstream},
};

/// Built-in defaults, named.
pub const DEFAULT_PROXY_PORT: u16 = 47310;
/// The OpenTelemetry receiver's default port.
pub const DEFAULT_RECEIVER_PORT: u16 = 47318;
/// Minutes between scheduled uploads by default.
pub const DEFAULT_UPLOAD_INTERVAL_MINUTES: u32 = 60;
/// Days of local history kept by default.
pub const DEFAULT_RETENTION_DAYS: u32 = 400;

/// The policy in force, every key decided.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved {
    #[serde(serialize_with = "tool_ids")]
    pub sanctioned_tools: Vec<Tool>,
    pub sources: BTreeMap<String, SourceChoice>,
    pub upload: UploadMode,
    pub server_url: Option<String>,
    pub otlp_url: Option<String>,
    pub upload_interval_minutes: u32,
    pub enrollment_code: Option<String>,
    pub granularity_floor: Granularity,
    pub granularity: Granularity,
    pub model_names: ModelNames,
    pub proxy_port: u16,
    pub receiver_port: u16,
    pub upstreams: Vec<Upstream>,
    pub autostart: bool,
    pub retention_days: u32,
    pub timezone: Option<String>,
    pub contact: Option<String>,
    pub help_url: Option<String>,
}

impl Resolved {
    /// The zone of day buckets: the policy's, else the laptop's.
    pub fn zone(&self) -> jiff::tz::TimeZone {
        self.timezone
            .as_deref()
            .and_then(|z| jiff::tz::TimeZone::get(z).ok())
            .unwrap_or_else(jiff::tz::TimeZone::system)
    }

    /// Whether a tool's logs may be read at all.
    pub fn sanctions(&self, tool: Tool) -> bool {
        self.sanctioned_tools.contains(&tool)
    }
}

/// Who decided a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Origin {
    /// Nobody: the built-in default.
    Default,
    /// The employee, in their settings file.
    Employee(String),
    /// The organisation, through this managed source.
    Managed(String),
}

/// One key of the effective policy, as the employee is shown it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyState {
    pub key: String,
    pub value: Value,
    pub origin: Origin,
    /// Set by the organisation: the employee cannot change it.
    pub locked: bool,
}

/// Combines the layers. `managed` and `employee` carry their source's name.
pub fn combine(
    managed: Option<(&Settings, &str)>,
    employee: Option<(&Settings, &str)>,
    problems: &mut Vec<Problem>,
) -> (Resolved, Vec<KeyState>) {
    let empty = Settings::default();
    let (m, m_name) = managed.unwrap_or((&empty, ""));
    let (e, e_name) = employee.unwrap_or((&empty, ""));
    let m_json = to_map(m);
    let mut e_json = to_map(e);
    // The employee may only make uploads coarser than the floor.
    let floor = m.granularity_floor.unwrap_or(Granularity::Day);
    if let Some(chosen) = e.granularity
        && chosen < floor
    {
        problems.push(Problem {
            source: e_name.to_owned(),
            key: "granularity".into(),
            message: format!(
                "{chosen:?} is finer than the organisation's floor {floor:?}; the floor applies"
            )
            .to_lowercase(),
        });
        e_json.remove("granularity");
    }
    // The floor itself is the organisation's to set.
    e_json.remove("granularity_floor");
    let mut merged = serde_json::Map::new();
    let mut keys = Vec::new();
    for key in crate::parse::known_keys() {
        let (value, origin, locked) = if let Some(v) = m_json.get(&key) {
            (Some(v.clone()), Origin::Managed(m_name.to_owned()), true)
        } else if let Some(v) = e_json.get(&key) {
            (Some(v.clone()), Origin::Employee(e_name.to_owned()), false)
        } else {
            (None, Origin::Default, false)
        };
        if let Some(v) = &value {
            merged.insert(key.clone(), v.clone());
        }
        keys.push((key, value, origin, locked));
    }
    let settings: Settings = serde_json::from_value(Value::Object(merged)).unwrap_or_default();
    let resolved = resolve(&settings);
    let shown = to_map(&resolved);
    let states = keys
        .into_iter()
        .map(|(key, value, origin, locked)| KeyState {
            value: value.unwrap_or_else(|| shown.get(&key).cloned().unwrap_or(Value::Null)),
            key,
            origin,
            locked,
        })
        .collect();
    (resolved, states)
}

/// Fills every key left unset with its default.
pub fn resolve(s: &Settings) -> Resolved {
    let floor = s.granularity_floor.unwrap_or(Granularity::Day);
    Resolved {
        sanctioned_tools: match &s.sanctioned_tools {
            Some(ids) => ids
                .iter()
                .filter_map(|t| Tool::from_str(&t.0).ok())
                .collect(),
            None => Tool::ALL.to_vec(),
        },
        sources: s.sources.clone().unwrap_or_default(),
        upload: s.upload.unwrap_or(UploadMode::Disabled),
        server_url: s.server_url.clone(),
        otlp_url: s.otlp_url.clone(),
        upload_interval_minutes: s
            .upload_interval_minutes
            .unwrap_or(DEFAULT_UPLOAD_INTERVAL_MINUTES),
        enrollment_code: s.enrollment_code.clone(),
        granularity_floor: floor,
        granularity: s.granularity.unwrap_or(floor).max(floor),
        model_names: s.model_names.unwrap_or(ModelNames::Family),
        proxy_port: s.proxy_port.unwrap_or(DEFAULT_PROXY_PORT),
        receiver_port: s.receiver_port.unwrap_or(DEFAULT_RECEIVER_PORT),
        upstreams: s.upstreams.clone().unwrap_or_default(),
        autostart: s.autostart.unwrap_or(true),
        retention_days: s.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS),
        timezone: s.timezone.clone(),
        contact: s.contact.clone(),
        help_url: s.help_url.clone(),
    }
}

/// What applies when managed policy exists but cannot be used and nothing
/// good is known: nothing is read and nothing is sent, never more.
pub fn locked_down() -> Settings {
    Settings {
        sanctioned_tools: Some(Vec::new()),
        upload: Some(UploadMode::Disabled),
        ..Settings::default()
    }
}

/// A struct's fields as a JSON map.
fn to_map(value: &impl Serialize) -> serde_json::Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

fn tool_ids<S: serde::Serializer>(tools: &[Tool], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(tools.iter().map(|t| t.as_str()))
}
