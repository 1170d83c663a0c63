//! Following the policy in a running command (`watch`, `proxy`): when one
//! of its files changes, the policy is loaded again through the same path
//! as every command (change log, last good), and a broken one is told once.

use std::path::Path;

use tokentally_event::Tool;
use tokentally_policy::{Effective, Fallback, Inputs, PolicyFiles, changes::Change};

use super::policy;

/// Where the policy in force came from, and the problems already told.
pub struct PolicyFollower {
    inputs: Inputs,
    files: PolicyFiles,
    /// The problems last told on stderr, so each is told once.
    told: Vec<String>,
}

impl PolicyFollower {
    pub fn new(ledger: &Path, policy: &Effective) -> Self {
        let inputs = policy::inputs(ledger, policy.explicit.clone());
        PolicyFollower {
            files: PolicyFiles::new(inputs.watched()),
            inputs,
            // Loading it at the start already warned about these.
            told: problems(policy),
        }
    }

    /// Called at each wake-up: when the policy's files changed and held
    /// still, the policy loaded again and the change it recorded, if any.
    pub fn reload(&mut self) -> Option<(Effective, Option<Change>)> {
        if !self.files.settled_change() {
            return None;
        }
        let (effective, change) = policy::load_recorded(&self.inputs);
        self.tell_problems(&effective);
        Some((effective, change))
    }

    /// Says once on stderr that the delivered policy is not used, and why.
    fn tell_problems(&mut self, effective: &Effective) {
        let now = problems(effective);
        if now == self.told {
            return;
        }
        self.told = now;
        if effective.problems.is_empty() {
            return;
        }
        let consequence = match effective.fallback {
            Some(Fallback::LastGood) => "the last good policy stays in force",
            Some(Fallback::LockedDown) => "no policy was ever good: nothing is collected",
            None => "the keys with problems are ignored",
        };
        eprintln!(
            "tokentally: the policy changed and has {} problem(s) ({}); {consequence}; see `tokentally policy show`",
            effective.problems.len(),
            self.told.join("; ")
        );
    }
}

fn problems(effective: &Effective) -> Vec<String> {
    effective.problems.iter().map(|p| p.to_string()).collect()
}

/// The line that announces a change: who made it and what is counted now.
pub fn changed_line(change: &Change, now_counting: &[Tool]) -> String {
    let mut who: Vec<&str> = change.changes.iter().map(|k| k.set_by.as_str()).collect();
    who.sort_unstable();
    who.dedup();
    format!(
        "Policy changed (set by {}): now counting {}",
        who.join(", "),
        counted(now_counting)
    )
}

fn counted(tools: &[Tool]) -> String {
    if tools.is_empty() {
        return "no tool".into();
    }
    tools
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokentally_policy::changes::KeyChange;

    fn set_by(who: &[&str]) -> Change {
        Change {
            at_ms: 0,
            changes: who
                .iter()
                .map(|w| KeyChange {
                    key: "sanctioned_tools".into(),
                    from: serde_json::Value::Null,
                    to: serde_json::Value::Null,
                    set_by: (*w).into(),
                })
                .collect(),
        }
    }

    #[test]
    fn the_change_names_each_author_once_and_what_is_counted() {
        assert_eq!(
            changed_line(
                &set_by(&["you", "default", "you"]),
                &[Tool::Codex, Tool::ApiOther]
            ),
            "Policy changed (set by default, you): now counting codex, api-other"
        );
        assert_eq!(
            changed_line(&set_by(&["you"]), &[]),
            "Policy changed (set by you): now counting no tool"
        );
    }
}
