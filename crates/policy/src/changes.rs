//! The local change log: every time the effective policy changed, which
//! keys, from what to what, and who set them. It stays on the laptop.

use std::{io::Write, path::Path};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{layers::Origin, load::Effective};

/// One key's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyChange {
    pub key: String,
    pub from: Value,
    pub to: Value,
    pub set_by: String,
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// When the change was noticed, ms since the epoch.
    pub at_ms: i64,
    pub changes: Vec<KeyChange>,
}

const LOG: &str = "policy-changes.jsonl";
const LAST: &str = "policy-effective.json";

fn who(origin: &Origin) -> String {
    match origin {
        Origin::Default => "default".into(),
        Origin::Employee(_) => "you".into(),
        Origin::Managed(source) => format!("your organisation ({source})"),
    }
}

/// Appends an entry when `effective` differs from the last one recorded;
/// returns it. The first record lists every key.
pub fn record(dir: &Path, effective: &Effective, at_ms: i64) -> std::io::Result<Option<Change>> {
    let now: serde_json::Map<String, Value> = effective
        .keys
        .iter()
        .map(|k| (k.key.clone(), k.value.clone()))
        .collect();
    let before: serde_json::Map<String, Value> = std::fs::read(dir.join(LAST))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let changes: Vec<KeyChange> = effective
        .keys
        .iter()
        .filter(|k| before.get(&k.key) != Some(&k.value))
        .map(|k| KeyChange {
            key: k.key.clone(),
            from: before.get(&k.key).cloned().unwrap_or(Value::Null),
            to: k.value.clone(),
            set_by: who(&k.origin),
        })
        .collect();
    if changes.is_empty() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir)?;
    let change = Change { at_ms, changes };
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(LOG))?;
    log.write_all((serde_json::to_string(&change)? + "\n").as_bytes())?;
    log.sync_data()?;
    std::fs::write(dir.join(LAST), serde_json::to_vec(&now)?)?;
    Ok(Some(change))
}

/// Since when `key` has held its value (ms since the epoch): the last entry
/// that changed it, else the first entry (the log starts with every key);
/// `None` with an empty log.
pub fn held_since(history: &[Change], key: &str) -> Option<i64> {
    history
        .iter()
        .rev()
        .find(|c| c.changes.iter().any(|k| k.key == key))
        .or(history.first())
        .map(|c| c.at_ms)
}

/// Every entry of the log, oldest first.
pub fn history(dir: &Path) -> Vec<Change> {
    std::fs::read_to_string(dir.join(LOG))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(at_ms: i64, keys: &[&str]) -> Change {
        Change {
            at_ms,
            changes: keys
                .iter()
                .map(|k| KeyChange {
                    key: (*k).to_owned(),
                    from: Value::Null,
                    to: json!(1),
                    set_by: "you".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_key_holds_its_value_since_the_last_entry_that_changed_it() {
        let log = [
            entry(10, &["upload", "autostart"]),
            entry(20, &["upload"]),
            entry(30, &["autostart"]),
            entry(40, &["retention_days"]),
        ];
        assert_eq!(held_since(&log, "upload"), Some(20));
        assert_eq!(held_since(&log, "autostart"), Some(30));
        assert_eq!(held_since(&log, "retention_days"), Some(40));
    }

    #[test]
    fn a_key_never_changed_holds_since_the_first_entry_and_no_log_means_unknown() {
        let log = [entry(10, &["upload"]), entry(20, &["upload"])];
        assert_eq!(held_since(&log, "timezone"), Some(10));
        assert_eq!(held_since(&[], "upload"), None);
    }
}
