//! Windows: `HKLM\SOFTWARE\Policies\TokenTally`, then
//! `HKCU\SOFTWARE\Policies\TokenTally`, as Group Policy (ADMX) writes them:
//! one registry value per key, or one string value `Policy` holding the
//! whole JSON document (other values then replace its keys). The
//! conversion is shared code tested on every OS; the registry reader is
//! compiled on Windows only.

use serde_json::{Map, Value};

/// A registry value, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegData {
    /// REG_DWORD.
    Dword(u32),
    /// REG_QWORD.
    Qword(u64),
    /// REG_SZ or REG_EXPAND_SZ.
    Sz(String),
    /// REG_MULTI_SZ.
    MultiSz(Vec<String>),
}

/// Keys whose DWORD is a yes/no.
const BOOLEAN_KEYS: &[&str] = &["autostart"];
/// Keys whose string form is a list (a REG_SZ of comma-separated ids).
const LIST_KEYS: &[&str] = &["sanctioned_tools"];
/// Keys too structured for one registry value: a REG_SZ holding JSON.
const JSON_KEYS: &[&str] = &["sources", "upstreams"];

/// The values of the policy key as a JSON document.
pub fn registry_to_json(values: &[(String, RegData)]) -> Result<Value, String> {
    let mut doc = Map::new();
    if let Some((_, data)) = values.iter().find(|(n, _)| n == "Policy") {
        let RegData::Sz(json) = data else {
            return Err("the `Policy` value must be a string holding JSON".into());
        };
        match serde_json::from_str(json) {
            Ok(Value::Object(map)) => doc = map,
            _ => return Err("the `Policy` value is not a JSON object".into()),
        }
    }
    for (name, data) in values.iter().filter(|(n, _)| n != "Policy") {
        let value = match data {
            RegData::Sz(s) if JSON_KEYS.contains(&name.as_str()) => serde_json::from_str(s)
                .map_err(|e| format!("the `{name}` value must hold JSON: {e}"))?,
            RegData::Dword(n) if BOOLEAN_KEYS.contains(&name.as_str()) => Value::Bool(*n != 0),
            RegData::Dword(n) => Value::Number((*n).into()),
            RegData::Qword(n) => Value::Number((*n).into()),
            RegData::Sz(s) if LIST_KEYS.contains(&name.as_str()) => Value::Array(
                s.split(',')
                    .map(|t| Value::String(t.trim().to_owned()))
                    .filter(|t| t.as_str() != Some(""))
                    .collect(),
            ),
            RegData::Sz(s) => Value::String(s.clone()),
            RegData::MultiSz(items) => {
                Value::Array(items.iter().cloned().map(Value::String).collect())
            }
        };
        doc.insert(name.clone(), value);
    }
    Ok(Value::Object(doc))
}

#[cfg(windows)]
pub(super) fn windows_sources() -> Vec<Box<dyn super::ManagedSource>> {
    use winreg::enums::{HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE};
    vec![
        Box::new(reader::RegistrySource {
            hive: HKEY_LOCAL_MACHINE,
            label: "HKLM",
        }),
        Box::new(reader::RegistrySource {
            hive: HKEY_CURRENT_USER,
            label: "HKCU",
        }),
    ]
}

#[cfg(windows)]
mod reader {
    use std::path::PathBuf;

    use serde_json::Value;
    use winreg::{RegKey, enums::RegType, types::FromRegValue};

    use super::{RegData, registry_to_json};
    use crate::source::ManagedSource;

    const PATH: &str = r"SOFTWARE\Policies\TokenTally";

    pub struct RegistrySource {
        pub hive: winreg::HKEY,
        pub label: &'static str,
    }

    impl ManagedSource for RegistrySource {
        fn name(&self) -> String {
            format!(r"{}\{PATH}", self.label)
        }

        fn read(&self) -> Result<Option<Value>, String> {
            let Ok(key) = RegKey::predef(self.hive).open_subkey(PATH) else {
                return Ok(None);
            };
            let mut values = Vec::new();
            for item in key.enum_values() {
                let (name, raw) = item.map_err(|e| e.to_string())?;
                let data = match raw.vtype {
                    RegType::REG_DWORD => {
                        RegData::Dword(u32::from_reg_value(&raw).map_err(|e| e.to_string())?)
                    }
                    RegType::REG_QWORD => {
                        RegData::Qword(u64::from_reg_value(&raw).map_err(|e| e.to_string())?)
                    }
                    RegType::REG_MULTI_SZ => RegData::MultiSz(
                        Vec::<String>::from_reg_value(&raw).map_err(|e| e.to_string())?,
                    ),
                    _ => RegData::Sz(String::from_reg_value(&raw).map_err(|e| e.to_string())?),
                };
                values.push((name, data));
            }
            if values.is_empty() {
                return Ok(None);
            }
            registry_to_json(&values).map(Some)
        }

        fn watched(&self) -> Vec<PathBuf> {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_become_keys_of_the_right_types() {
        let values = vec![
            ("autostart".to_owned(), RegData::Dword(0)),
            ("proxy_port".to_owned(), RegData::Dword(47310)),
            (
                "sanctioned_tools".to_owned(),
                RegData::Sz("claude-code, codex".into()),
            ),
            (
                "server_url".to_owned(),
                RegData::Sz("https://t.example.com".into()),
            ),
        ];
        assert_eq!(
            registry_to_json(&values).unwrap(),
            json!({"autostart": false, "proxy_port": 47310,
                   "sanctioned_tools": ["claude-code", "codex"], "server_url": "https://t.example.com"})
        );
    }

    #[test]
    fn a_json_policy_value_is_the_base_and_single_values_replace_its_keys() {
        let values = vec![
            (
                "Policy".to_owned(),
                RegData::Sz(r#"{"upload":"opt-in","proxy_port":1}"#.into()),
            ),
            ("proxy_port".to_owned(), RegData::Dword(2)),
            (
                "sanctioned_tools".to_owned(),
                RegData::MultiSz(vec!["codex".into()]),
            ),
        ];
        assert_eq!(
            registry_to_json(&values).unwrap(),
            json!({"upload": "opt-in", "proxy_port": 2, "sanctioned_tools": ["codex"]})
        );
        assert!(registry_to_json(&[("Policy".into(), RegData::Dword(1))]).is_err());
    }

    #[test]
    fn structured_keys_are_json_strings() {
        let values = vec![
            (
                "sources".to_owned(),
                RegData::Sz(r#"{"copilot":"proxy"}"#.into()),
            ),
            (
                "upstreams".to_owned(),
                RegData::Sz(
                    r#"[{"name":"az","url":"https://a.example.com","api":"openai"}]"#.into(),
                ),
            ),
        ];
        assert_eq!(
            registry_to_json(&values).unwrap(),
            json!({"sources": {"copilot": "proxy"},
                   "upstreams": [{"name": "az", "url": "https://a.example.com", "api": "openai"}]})
        );
        let bad = registry_to_json(&[("sources".into(), RegData::Sz("copilot=proxy".into()))]);
        assert!(bad.unwrap_err().contains("`sources` value must hold JSON"));
    }

    /// The conversions above must cover every key of a type a single string
    /// or number cannot carry, so a new key cannot silently arrive as text.
    #[test]
    fn conversions_cover_the_schema() {
        let schema: serde_json::Value = serde_json::from_str(&crate::schema()).unwrap();
        for (key, prop) in schema["properties"].as_object().unwrap() {
            let types = prop["type"].to_string();
            if types.contains("boolean") {
                assert!(BOOLEAN_KEYS.contains(&key.as_str()), "{key} is a boolean");
            } else if types.contains("array") && prop["items"]["$ref"] == "#/$defs/ToolId" {
                assert!(LIST_KEYS.contains(&key.as_str()), "{key} is a list of ids");
            } else if types.contains("array") || types.contains("object") {
                assert!(JSON_KEYS.contains(&key.as_str()), "{key} is structured");
            }
        }
    }
}
