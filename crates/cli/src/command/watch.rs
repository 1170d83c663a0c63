//! `tokentally watch`, which also follows the policy: when one of its files
//! changes, the policy is loaded again (and the change logged) and the
//! collectors of the tools it sanctions replace the running ones.

use std::{cell::Cell, io::Write, sync::atomic::AtomicBool};

use tokentally_collect::{Collector, Env, ScanSummary, watch::WatchTiming};
use tokentally_event::Tool;
use tokentally_policy::{Effective, Fallback, Inputs, PolicyFiles};
use tokentally_store::Store;

use super::{policy, scan::sanctioned};
use crate::summary;

pub fn run(store: &mut Store, policy: &Effective) -> anyhow::Result<()> {
    let stop = AtomicBool::new(false);
    let mut first = true;
    // Set when a scan will read a backlog: the first one, and the one after
    // a tool was added. A backlog is summarised, not listed call by call.
    let backlog = Cell::new(true);
    let mut on_scan = |s: &ScanSummary| {
        let mut out = std::io::stdout().lock();
        if backlog.replace(false) {
            let _ = writeln!(out, "{}", summary::one_line(s));
            if first {
                first = false;
                if let Some(hint) = summary::no_logs_hint(s) {
                    let _ = writeln!(out, "{hint}");
                }
                let _ = writeln!(out, "Watching for new calls (Ctrl-C to stop).");
            }
        } else {
            let mut calls: Vec<_> = s.new_calls.iter().collect();
            calls.sort_by_key(|e| e.at_ms);
            for call in calls {
                let _ = writeln!(out, "{}", summary::call_line(call));
            }
        }
        let _ = out.flush();
    };
    let mut follower = PolicyFollower::new(store.path(), policy);
    let mut reload = || {
        let set = follower.poll()?;
        backlog.set(true);
        Some(set)
    };
    tokentally_collect::watch::watch(
        store,
        sanctioned(policy),
        &Env::from_process(),
        WatchTiming::default(),
        &stop,
        &mut on_scan,
        &mut reload,
    )?;
    Ok(())
}

/// The policy in force in a running `watch`, and the files it came from.
struct PolicyFollower {
    inputs: Inputs,
    files: PolicyFiles,
    /// The tools whose logs are read now.
    tools: Vec<Tool>,
    /// The problems last told on stderr, so each is told once.
    told: Vec<String>,
}

impl PolicyFollower {
    fn new(ledger: &std::path::Path, policy: &Effective) -> Self {
        let inputs = policy::inputs(ledger, policy.explicit.clone());
        PolicyFollower {
            files: PolicyFiles::new(inputs.watched()),
            inputs,
            tools: tools_read(&sanctioned(policy)),
            // Loading it at the start already warned about these.
            told: problems(policy),
        }
    }

    /// Called at each wake-up: when the policy's files changed, loads it
    /// again through the same path as every command (change log, last good)
    /// and returns the collectors to run if the tools read changed.
    fn poll(&mut self) -> Option<Vec<Box<dyn Collector>>> {
        if !self.files.settled_change() {
            return None;
        }
        let (effective, change) = policy::load_recorded(&self.inputs);
        self.tell_problems(&effective);
        if let Some(change) = change {
            let mut who: Vec<&str> = change.changes.iter().map(|k| k.set_by.as_str()).collect();
            who.sort_unstable();
            who.dedup();
            // A closed stdout must not stop the counting.
            let _ = writeln!(
                std::io::stdout(),
                "Policy changed (set by {}): now counting {}",
                who.join(", "),
                counted(&effective.resolved.sanctioned_tools)
            );
        }
        let collectors = sanctioned(&effective);
        let tools = tools_read(&collectors);
        if tools == self.tools {
            return None;
        }
        self.tools = tools;
        Some(collectors)
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

/// The tools whose logs these collectors read, in a stable order.
fn tools_read(collectors: &[Box<dyn Collector>]) -> Vec<Tool> {
    let mut tools: Vec<Tool> = collectors.iter().map(|c| c.tool()).collect();
    tools.sort_by_key(|t| t.as_str());
    tools
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
