//! `tokentally watch`, which also follows the policy: when one of its files
//! changes, the policy is loaded again (and the change logged) and the
//! collectors of the tools it sanctions replace the running ones.

use std::{cell::Cell, io::Write, sync::atomic::AtomicBool};

use tokentally_collect::{
    Collector, Env,
    watch::{WatchTiming, Watched},
};
use tokentally_event::Tool;
use tokentally_policy::Effective;
use tokentally_store::Store;

use super::{follow, scan::sanctioned};
use crate::summary;

pub fn run(store: &mut Store, policy: &Effective) -> anyhow::Result<()> {
    let stop = AtomicBool::new(false);
    let mut first = true;
    // Set when a scan will read a backlog: the first one, and the one after
    // a tool was added. A backlog is summarised, not listed call by call.
    let backlog = Cell::new(true);
    let mut on_watched = |watched: Watched<'_>| {
        let mut out = std::io::stdout().lock();
        match watched {
            Watched::Scanned(s) if backlog.replace(false) => {
                let _ = writeln!(out, "{}", summary::one_line(s));
                if first {
                    first = false;
                    if let Some(hint) = summary::no_logs_hint(s) {
                        let _ = writeln!(out, "{hint}");
                    }
                    let _ = writeln!(out, "Watching for new calls (Ctrl-C to stop).");
                }
            }
            Watched::Scanned(_) => {}
            // A backlog is summarised when its scan ends, not listed.
            Watched::Counted(_) if backlog.get() => {}
            Watched::Counted(new_calls) => {
                let mut calls: Vec<_> = new_calls.iter().collect();
                calls.sort_by_key(|e| e.at_ms);
                for call in calls {
                    let _ = writeln!(out, "{}", summary::call_line(call));
                }
            }
        }
        let _ = out.flush();
    };
    let mut follower = ToolsFollower::new(store.path(), policy);
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
        &mut on_watched,
        &mut reload,
    )?;
    Ok(())
}

/// The policy in force in a running `watch`, and the tools it reads.
struct ToolsFollower {
    follower: follow::PolicyFollower,
    /// The tools whose logs are read now.
    tools: Vec<Tool>,
}

impl ToolsFollower {
    fn new(ledger: &std::path::Path, policy: &Effective) -> Self {
        ToolsFollower {
            follower: follow::PolicyFollower::new(ledger, policy),
            tools: tools_read(&sanctioned(policy)),
        }
    }

    /// Called at each wake-up: when the policy's files changed, loads it
    /// again through the same path as every command (change log, last good)
    /// and returns the collectors to run if the tools read changed.
    fn poll(&mut self) -> Option<Vec<Box<dyn Collector>>> {
        let (effective, change) = self.follower.reload()?;
        if let Some(change) = change {
            // A closed stdout must not stop the counting.
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                follow::changed_line(&change, &effective.resolved.sanctioned_tools)
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
}

/// The tools whose logs these collectors read, in a stable order.
fn tools_read(collectors: &[Box<dyn Collector>]) -> Vec<Tool> {
    let mut tools: Vec<Tool> = collectors.iter().map(|c| c.tool()).collect();
    tools.sort_by_key(|t| t.as_str());
    tools
}
