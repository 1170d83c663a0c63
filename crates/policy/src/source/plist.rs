//! macOS: the managed preferences domain a configuration profile delivers,
//! `/Library/Managed Preferences/<bundle id>.plist` (the device), then
//! `/Library/Managed Preferences/<user>/<bundle id>.plist` (the user).
//! The plist is read and converted here on every OS, so its parsing is
//! tested on this machine; only the paths are macOS's.

use std::path::PathBuf;

use serde_json::{Map, Number, Value};

use super::{BUNDLE_ID, ManagedSource};

/// The managed preferences of TokenTally's domain.
pub struct ManagedPreferences {
    paths: Vec<PathBuf>,
}

impl ManagedPreferences {
    /// The given plists, first found wins.
    pub fn new(paths: Vec<PathBuf>) -> Self {
        ManagedPreferences { paths }
    }

    /// The device's and then `user`'s managed preferences on a Mac.
    pub fn for_mac(user: &str) -> Self {
        let root = PathBuf::from("/Library/Managed Preferences");
        let file = format!("{BUNDLE_ID}.plist");
        ManagedPreferences::new(vec![root.join(&file), root.join(user).join(&file)])
    }
}

impl ManagedSource for ManagedPreferences {
    fn name(&self) -> String {
        let shown = self
            .paths
            .iter()
            .find(|p| p.exists())
            .or(self.paths.first());
        shown.map(|p| p.display().to_string()).unwrap_or_default()
    }

    fn read(&self) -> Result<Option<Value>, String> {
        let Some(path) = self.paths.iter().find(|p| p.exists()) else {
            return Ok(None);
        };
        let value = plist::Value::from_file(path)
            .map_err(|e| format!("{}: not a property list: {e}", path.display()))?;
        plist_to_json(&value).map(Some)
    }

    fn watched(&self) -> Vec<PathBuf> {
        self.paths.clone()
    }
}

/// A property list as JSON. Profiles add their own bookkeeping keys
/// (`PayloadUUID` and the like), which are not policy and are dropped.
pub fn plist_to_json(value: &plist::Value) -> Result<Value, String> {
    Ok(match value {
        plist::Value::Dictionary(dict) => {
            let mut map = Map::new();
            for (key, v) in dict {
                if key.starts_with("Payload") {
                    continue;
                }
                map.insert(key.clone(), plist_to_json(v)?);
            }
            Value::Object(map)
        }
        plist::Value::Array(items) => {
            Value::Array(items.iter().map(plist_to_json).collect::<Result<_, _>>()?)
        }
        plist::Value::Boolean(b) => Value::Bool(*b),
        plist::Value::String(s) => Value::String(s.clone()),
        plist::Value::Integer(i) => match (i.as_unsigned(), i.as_signed()) {
            (Some(u), _) => Value::Number(u.into()),
            (None, Some(s)) => Value::Number(s.into()),
            _ => return Err("an integer out of range".into()),
        },
        plist::Value::Real(r) => Number::from_f64(*r)
            .map(Value::Number)
            .ok_or("a real number that is not finite")?,
        other => return Err(format!("a value of an unsupported type: {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_xml_plist_becomes_the_same_json_without_profile_keys() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>PayloadUUID</key><string>x</string>
  <key>sanctioned_tools</key><array><string>claude-code</string><string>codex</string></array>
  <key>proxy_port</key><integer>47310</integer>
  <key>autostart</key><false/>
</dict></plist>"#;
        let value = plist::Value::from_reader_xml(xml.as_bytes()).unwrap();
        assert_eq!(
            plist_to_json(&value).unwrap(),
            serde_json::json!({"sanctioned_tools": ["claude-code", "codex"], "proxy_port": 47310, "autostart": false})
        );
    }

    #[test]
    fn data_values_are_refused() {
        let value = plist::Value::Dictionary(plist::Dictionary::from_iter([(
            "contact".to_owned(),
            plist::Value::Data(vec![1, 2]),
        )]));
        assert!(plist_to_json(&value).is_err());
    }
}
