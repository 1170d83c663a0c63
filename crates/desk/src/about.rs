//! "About this agent": the effective policy, who set each key, since when,
//! and the change log, as `tokentally policy show --json` prints it.

use std::path::Path;

use serde_json::{Value, json};
use tokentally_policy::{Effective, changes};

/// The policy document the app and `policy show --json` render.
pub fn about(policy: &Effective, state_dir: &Path) -> Value {
    let history = changes::history(state_dir);
    let since: serde_json::Map<String, Value> = policy
        .keys
        .iter()
        .map(|k| (k.key.clone(), changes::held_since(&history, &k.key).into()))
        .collect();
    json!({ "effective": policy, "changes": history, "since_ms": since })
}
