//! Which live calls count: the policy's choice of source per tool.

use std::sync::{Arc, PoisonError, RwLock};

pub use tokentally_agent::choice::{accepts, choice, reads_logs, source_name};
use tokentally_event::UsageEvent;
use tokentally_policy::{Resolved, settings::SourceChoice};

/// The policy the live writer decides with, replaced whole when it is
/// reloaded: the writer thread reads it per call, the follower swaps it.
#[derive(Clone)]
pub struct LivePolicy(Arc<RwLock<Arc<Resolved>>>);

impl LivePolicy {
    pub fn new(policy: Resolved) -> Self {
        LivePolicy(Arc::new(RwLock::new(Arc::new(policy))))
    }

    /// The policy in force; the lock is held only to copy the pointer.
    pub fn current(&self) -> Arc<Resolved> {
        // Nothing can be left half-written under the lock: a swap is one
        // assignment, so a poisoned lock still holds a whole policy.
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts `policy` in force for the calls decided from now on.
    pub fn replace(&self, policy: Resolved) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(policy);
    }

    /// Whether a call seen live is counted under the policy in force.
    pub fn accepts(&self, event: &UsageEvent) -> bool {
        accepts(&self.current(), event)
    }
}

/// The sanctioned tools counted from a live source instead of their logs,
/// as the end of a line (empty when none).
pub fn live_sources(policy: &Resolved) -> String {
    let live: Vec<String> = policy
        .sanctioned_tools
        .iter()
        .filter(|t| choice(policy, **t) != SourceChoice::Logs)
        .map(|t| match choice(policy, *t) {
            SourceChoice::Proxy => format!("{} from the proxy", t.as_str()),
            _ => format!("{} from telemetry", t.as_str()),
        })
        .collect();
    if live.is_empty() {
        return String::new();
    }
    format!(" ({})", live.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tokentally_event::{Key, Lineage, Model, Provenance, Rank, SourceRef, Tokens, Tool};

    fn policy(sources: &[(&str, SourceChoice)], sanctioned: &[Tool]) -> Resolved {
        let mut doc = serde_json::json!({});
        doc["sanctioned_tools"] = sanctioned.iter().map(|t| t.as_str()).collect();
        let mut map = serde_json::Map::new();
        for (tool, choice) in sources {
            map.insert((*tool).into(), serde_json::to_value(choice).unwrap());
        }
        doc["sources"] = map.into();
        let (settings, problems) = tokentally_policy::parse(&doc, "test");
        assert!(problems.is_empty(), "{problems:?}");
        tokentally_policy::layers::combine(Some((&settings, "test")), None, &mut Vec::new()).0
    }

    fn seen(tool: Tool, source: SourceRef, joined: bool) -> UsageEvent {
        let group = Key::of(&[b"msg"]);
        UsageEvent {
            at_ms: 0,
            tool,
            session: group,
            call: group.member(&[b"req"]),
            model: Model::new("m"),
            tokens: Tokens::default(),
            provenance: Provenance::Reported,
            source,
            rank: Rank([0; 24]),
            lineage: joined.then_some(Lineage {
                group,
                side_copy: false,
            }),
        }
    }

    #[test]
    fn each_tool_counts_from_one_source() {
        let all = [Tool::ClaudeCode, Tool::Codex, Tool::Aider, Tool::ApiOther];
        let p = policy(
            &[
                ("aider", SourceChoice::Proxy),
                ("codex", SourceChoice::Telemetry),
            ],
            &all,
        );
        // Logs by default: the proxy's copy counts only when it joins the log's.
        assert!(accepts(&p, &seen(Tool::ClaudeCode, SourceRef::PROXY, true)));
        assert!(!accepts(
            &p,
            &seen(Tool::ClaudeCode, SourceRef::PROXY, false)
        ));
        assert!(!accepts(
            &p,
            &seen(Tool::ClaudeCode, SourceRef::TELEMETRY, false)
        ));
        assert!(reads_logs(&p, Tool::ClaudeCode));
        // Proxy chosen: its calls count, its logs are not read.
        assert!(accepts(&p, &seen(Tool::Aider, SourceRef::PROXY, false)));
        assert!(!reads_logs(&p, Tool::Aider));
        // Telemetry chosen: neither the proxy's calls nor the logs.
        assert!(accepts(&p, &seen(Tool::Codex, SourceRef::TELEMETRY, false)));
        assert!(!accepts(&p, &seen(Tool::Codex, SourceRef::PROXY, false)));
        assert!(!reads_logs(&p, Tool::Codex));
        assert!(accepts(&p, &seen(Tool::ApiOther, SourceRef::PROXY, false)));
    }

    #[test]
    fn unsanctioned_tools_count_from_nowhere() {
        let p = policy(&[("claude-code", SourceChoice::Telemetry)], &[Tool::Codex]);
        assert!(!accepts(
            &p,
            &seen(Tool::ClaudeCode, SourceRef::TELEMETRY, false)
        ));
        assert!(!accepts(&p, &seen(Tool::ApiOther, SourceRef::PROXY, false)));
        assert!(!reads_logs(&p, Tool::ClaudeCode));
    }

    #[test]
    fn live_sources_name_the_sanctioned_tools_not_read_from_logs() {
        let p = policy(
            &[
                ("aider", SourceChoice::Proxy),
                ("codex", SourceChoice::Telemetry),
                ("goose", SourceChoice::Proxy),
            ],
            &[Tool::Codex, Tool::Aider, Tool::ClaudeCode],
        );
        assert_eq!(
            live_sources(&p),
            " (codex from telemetry, aider from the proxy)"
        );
        assert_eq!(live_sources(&policy(&[], &[Tool::Codex])), "");
    }

    #[test]
    fn a_replaced_policy_decides_the_next_calls() {
        let call = seen(Tool::ApiOther, SourceRef::PROXY, false);
        let live = LivePolicy::new(policy(&[], &[Tool::Codex]));
        let writer_side = live.clone();
        assert!(!writer_side.accepts(&call));
        live.replace(policy(&[], &[Tool::Codex, Tool::ApiOther]));
        assert!(writer_side.accepts(&call));
        live.replace(policy(&[], &[]));
        assert!(!writer_side.accepts(&call));
    }
}
