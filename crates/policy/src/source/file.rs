//! One JSON file named on the command line (`--policy`) or in
//! `TOKENTALLY_POLICY`, for admins and tests.

use std::path::PathBuf;

use serde_json::Value;

use super::ManagedSource;

/// A policy file given explicitly.
pub struct PolicyFile(pub PathBuf);

impl ManagedSource for PolicyFile {
    fn name(&self) -> String {
        self.0.display().to_string()
    }

    fn read(&self) -> Result<Option<Value>, String> {
        // Named explicitly: a missing file is an error, not an absence.
        let bytes = std::fs::read(&self.0).map_err(|e| format!("cannot read: {e}"))?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("not JSON: {e}"))
    }

    fn watched(&self) -> Vec<PathBuf> {
        vec![self.0.clone()]
    }
}
