//! Reading one policy document: a pure function that reports every problem
//! (with its source and key) and keeps only the keys that are right.

use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value};
use tokentally_event::Tool;

use crate::settings::Settings;

/// One thing wrong with a policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where the document came from.
    pub source: String,
    /// The key at fault (empty for the document as a whole).
    pub key: String,
    /// What is wrong, in words an administrator can act on.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.key.as_str() {
            "" => write!(f, "{}: {}", self.source, self.message),
            key => write!(f, "{}: {key}: {}", self.source, self.message),
        }
    }
}

/// The keys a document may hold, from the model itself.
pub fn known_keys() -> Vec<String> {
    let schema = schemars::schema_for!(Settings);
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Parses a document from `source`: the settings made of its good keys and
/// every problem found. The caller decides what problems mean.
pub fn parse(doc: &Value, source: &str) -> (Settings, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut problem = |key: &str, message: String| {
        problems.push(Problem {
            source: source.to_owned(),
            key: key.to_owned(),
            message,
        })
    };
    let Some(object) = doc.as_object() else {
        problem("", "a policy must be a JSON object of keys".into());
        return (Settings::default(), problems);
    };
    let known = known_keys();
    let mut good = Map::new();
    for (key, value) in object {
        if !known.contains(key) {
            problem(key, format!("unknown key (known: {})", known.join(", ")));
            continue;
        }
        let one = Value::Object(Map::from_iter([(key.clone(), value.clone())]));
        match serde_json::from_value::<Settings>(one) {
            Ok(_) => {
                good.insert(key.clone(), value.clone());
            }
            Err(e) => problem(key, format!("wrong type or value: {e}")),
        }
    }
    let mut settings: Settings = serde_json::from_value(Value::Object(good)).unwrap_or_default();
    for (key, message) in check(&mut settings) {
        problem(key, message);
    }
    (settings, problems)
}

/// Checks what types cannot say; a failing key is dropped.
fn check(s: &mut Settings) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(tools) = &s.sanctioned_tools {
        let unknown: Vec<&str> = tools
            .iter()
            .filter(|t| Tool::from_str(&t.0).is_err())
            .map(|t| t.0.as_str())
            .collect();
        if !unknown.is_empty() {
            out.push(("sanctioned_tools", unknown_tools(&unknown)));
            s.sanctioned_tools = None;
        }
    }
    if let Some(sources) = &s.sources {
        let unknown: Vec<&str> = sources
            .keys()
            .filter(|t| Tool::from_str(t).is_err())
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            out.push(("sources", unknown_tools(&unknown)));
            s.sources = None;
        }
    }
    if let Some(url) = &s.server_url
        && let Err(e) = check_url(url, true)
    {
        out.push(("server_url", e));
        s.server_url = None;
    }
    if let Some(url) = &s.otlp_url
        && let Err(e) = check_url(url, true)
    {
        out.push(("otlp_url", e));
        s.otlp_url = None;
    }
    if let Some(minutes) = s.upload_interval_minutes
        && !(5..=1440).contains(&minutes)
    {
        out.push((
            "upload_interval_minutes",
            format!("{minutes} is not between 5 and 1440"),
        ));
        s.upload_interval_minutes = None;
    }
    if let Some(url) = &s.help_url
        && let Err(e) = check_url(url, false)
    {
        out.push(("help_url", e));
        s.help_url = None;
    }
    if let (Some(chosen), Some(floor)) = (s.granularity, s.granularity_floor)
        && chosen < floor
    {
        out.push((
            "granularity",
            format!("{chosen:?} is finer than the floor {floor:?}").to_lowercase(),
        ));
        s.granularity = None;
    }
    if let Some(days) = s.retention_days
        && !(1..=3650).contains(&days)
    {
        out.push((
            "retention_days",
            format!("{days} is not between 1 and 3650"),
        ));
        s.retention_days = None;
    }
    if let Some(zone) = &s.timezone
        && jiff::tz::TimeZone::get(zone).is_err()
    {
        out.push(("timezone", format!("`{zone}` is not an IANA time zone")));
        s.timezone = None;
    }
    for (key, port) in [
        ("proxy_port", &mut s.proxy_port),
        ("receiver_port", &mut s.receiver_port),
    ] {
        if *port == Some(0) {
            out.push((key, "port 0 is not a port".into()));
            *port = None;
        }
    }
    if s.proxy_port.is_some() && s.proxy_port == s.receiver_port {
        out.push((
            "receiver_port",
            "the proxy and the receiver need two ports".into(),
        ));
        s.receiver_port = None;
    }
    if let Some(upstreams) = &s.upstreams {
        let errors = check_upstreams(upstreams);
        if !errors.is_empty() {
            out.extend(errors.into_iter().map(|e| ("upstreams", e)));
            s.upstreams = None;
        }
    }
    for (key, text, max) in [
        ("enrollment_code", &mut s.enrollment_code, 256),
        ("contact", &mut s.contact, 300),
    ] {
        if let Some(t) = text
            && (t.trim().is_empty() || t.chars().count() > max || t.chars().any(char::is_control))
        {
            out.push((
                key,
                format!("must be 1 to {max} printable characters on one line"),
            ));
            *text = None;
        }
    }
    out
}

fn unknown_tools(unknown: &[&str]) -> String {
    let ids: Vec<&str> = Tool::ALL.iter().map(|t| t.as_str()).collect();
    format!(
        "unknown tool id {} (known: {})",
        unknown.join(", "),
        ids.join(", ")
    )
}

/// https, or http to this machine only (a test server).
fn check_url(raw: &str, allow_loopback_http: bool) -> Result<(), String> {
    let url = url::Url::parse(raw).map_err(|e| format!("`{raw}` is not a URL: {e}"))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_loopback_http && loopback => Ok(()),
        _ => Err(format!(
            "`{raw}` must use https{}",
            if allow_loopback_http {
                " (http only on loopback)"
            } else {
                ""
            }
        )),
    }
}

fn check_upstreams(upstreams: &[crate::settings::Upstream]) -> Vec<String> {
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for u in upstreams {
        let name_ok = !u.name.is_empty()
            && u.name.len() <= 32
            && u.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            errors.push(format!(
                "upstream name `{}` must be 1 to 32 of a-z, 0-9 and -",
                u.name
            ));
        }
        if ["openai", "anthropic", "gemini"].contains(&u.name.as_str()) {
            errors.push(format!("upstream name `{}` is a built-in route", u.name));
        }
        if !seen.insert(u.name.clone()) {
            errors.push(format!("upstream name `{}` is used twice", u.name));
        }
        if let Err(e) = check_url(&u.url, true) {
            errors.push(format!("upstream `{}`: {e}", u.name));
        }
    }
    errors
}
