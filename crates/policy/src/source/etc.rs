//! Linux: `/etc/tokentally/policy.json` and `/etc/tokentally/policy.d/*.json`,
//! merged in name order (a later file's keys replace an earlier one's), so a
//! package and a configuration tool can each drop their own file.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::ManagedSource;

/// The policy folder under `/etc` (or any root, for tests).
pub struct EtcDir {
    dir: PathBuf,
}

impl EtcDir {
    /// The folder holding `policy.json` and `policy.d/`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        EtcDir { dir: dir.into() }
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.dir.join("policy.json")];
        if let Ok(entries) = std::fs::read_dir(self.dir.join("policy.d")) {
            let mut more: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            more.sort();
            files.extend(more);
        }
        files.into_iter().filter(|p| p.exists()).collect()
    }
}

fn read_object(path: &Path) -> Result<Map<String, Value>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("{}: not a JSON object", path.display())),
        Err(e) => Err(format!("{}: not JSON: {e}", path.display())),
    }
}

impl ManagedSource for EtcDir {
    fn name(&self) -> String {
        format!(
            "{} (+ {})",
            self.dir.join("policy.json").display(),
            self.dir.join("policy.d/*.json").display()
        )
    }

    fn read(&self) -> Result<Option<Value>, String> {
        let files = self.files();
        if files.is_empty() {
            return Ok(None);
        }
        let mut merged = Map::new();
        let mut errors = Vec::new();
        for file in files {
            match read_object(&file) {
                Ok(map) => merged.extend(map),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(Some(Value::Object(merged)))
        } else {
            Err(errors.join("; "))
        }
    }

    fn watched(&self) -> Vec<PathBuf> {
        vec![self.dir.join("policy.json"), self.dir.join("policy.d")]
    }
}
