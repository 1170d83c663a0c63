//! The policy schema read as what a template must offer for each key.

use std::{collections::BTreeMap, path::PathBuf};

use serde_json::Value;

/// What a policy key holds, as far as a template can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    Enum(Vec<String>),
    Text,
    /// A list of tool ids.
    Tools(Vec<String>),
    /// An object or a list of objects (JSON where a template has only text).
    Structured,
}

/// Every key of the policy schema with its kind.
pub fn keys() -> BTreeMap<String, Kind> {
    let schema: Value = serde_json::from_str(&tokentally_policy::schema()).expect("schema");
    let defs = &schema["$defs"];
    let props = schema["properties"].as_object().expect("properties");
    props
        .iter()
        .map(|(key, prop)| (key.clone(), kind(prop, defs)))
        .collect()
}

fn kind(prop: &Value, defs: &Value) -> Kind {
    let types = prop["type"].to_string();
    if types.contains("boolean") {
        Kind::Bool
    } else if types.contains("integer") {
        Kind::Int {
            min: prop["minimum"]
                .as_i64()
                .expect("every integer key has a minimum"),
            max: prop["maximum"]
                .as_i64()
                .expect("every integer key has a maximum"),
        }
    } else if types.contains("array") && prop["items"]["$ref"] == "#/$defs/ToolId" {
        Kind::Tools(strings(&defs["ToolId"]["enum"]))
    } else if types.contains("array") || types.contains("object") {
        Kind::Structured
    } else if let Some(reference) = prop["anyOf"][0]["$ref"].as_str() {
        let name = reference.trim_start_matches("#/$defs/");
        let values = defs[name]["oneOf"]
            .as_array()
            .expect("an enum is a oneOf of consts")
            .iter()
            .map(|v| v["const"].as_str().expect("const").to_owned())
            .collect();
        Kind::Enum(values)
    } else {
        assert!(types.contains("string"), "a key of an unknown type: {prop}");
        Kind::Text
    }
}

fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

/// A file of the repository.
pub fn repo_file(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// A file of the repository, read.
pub fn read(path: &str) -> String {
    let full = repo_file(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Whether a JSON value fits a kind.
pub fn fits(kind: &Kind, value: &Value) -> bool {
    match kind {
        Kind::Bool => value.is_boolean(),
        Kind::Int { min, max } => value.as_i64().is_some_and(|n| n >= *min && n <= *max),
        Kind::Enum(values) => value
            .as_str()
            .is_some_and(|v| values.iter().any(|e| e == v)),
        Kind::Text => value.is_string(),
        Kind::Tools(ids) => value.as_array().is_some_and(|items| {
            items
                .iter()
                .all(|t| t.as_str().is_some_and(|t| ids.iter().any(|id| id == t)))
        }),
        Kind::Structured => value.is_object() || value.is_array(),
    }
}

#[test]
fn the_schema_is_read_as_expected() {
    let keys = keys();
    assert_eq!(keys["autostart"], Kind::Bool);
    assert_eq!(keys["proxy_port"], Kind::Int { min: 1, max: 65535 });
    assert_eq!(
        keys["upload"],
        Kind::Enum(vec!["disabled".into(), "opt-in".into()])
    );
    assert!(matches!(&keys["sanctioned_tools"], Kind::Tools(ids) if ids.len() > 10));
    assert_eq!(keys["sources"], Kind::Structured);
    assert_eq!(keys["contact"], Kind::Text);
    assert!(!fits(&keys["retention_days"], &Value::from(0)));
}
