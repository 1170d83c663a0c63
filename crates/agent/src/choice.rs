//! Which source counts each tool: the policy's choice, applied to the log
//! collectors (which run) and to live calls (which count).

use tokentally_event::{Tool, UsageEvent};
use tokentally_policy::{Resolved, settings::SourceChoice};

/// The source the policy chose for `tool` (`logs` unless it says).
pub fn choice(policy: &Resolved, tool: Tool) -> SourceChoice {
    policy
        .sources
        .get(tool.as_str())
        .copied()
        .unwrap_or(SourceChoice::Logs)
}

/// The choice as shown.
pub fn source_name(policy: &Resolved, tool: Tool) -> &'static str {
    match choice(policy, tool) {
        SourceChoice::Logs => "logs",
        SourceChoice::Proxy => "proxy",
        SourceChoice::Telemetry => "telemetry",
    }
}

/// Whether a call seen live is counted. A sanctioned tool's calls count
/// from the source the policy chose for it. Calls no tool claims
/// (`api-other`) have no log, so the proxy counts them. A proxied call that
/// carries the same ids as its log record (Claude Code's message and
/// request ids) is one event with it, so it is kept while logs are the
/// choice: whichever of the two is read first, the call counts once.
pub fn accepts(policy: &Resolved, event: &UsageEvent) -> bool {
    if !policy.sanctions(event.tool) {
        return false;
    }
    let choice = choice(policy, event.tool);
    match event.source.via() {
        "proxy" => {
            event.tool == Tool::ApiOther
                || choice == SourceChoice::Proxy
                || (choice == SourceChoice::Logs && event.lineage.is_some())
        }
        "telemetry" => choice == SourceChoice::Telemetry,
        _ => choice == SourceChoice::Logs,
    }
}

/// Whether a tool's log collector runs: sanctioned, and its logs are the
/// chosen source.
pub fn reads_logs(policy: &Resolved, tool: Tool) -> bool {
    policy.sanctions(tool) && choice(policy, tool) == SourceChoice::Logs
}

/// The collectors the policy lets run.
pub fn collectors(policy: &Resolved) -> Vec<Box<dyn tokentally_collect::Collector>> {
    tokentally_collect::all_collectors()
        .into_iter()
        .filter(|c| reads_logs(policy, c.tool()))
        .collect()
}
