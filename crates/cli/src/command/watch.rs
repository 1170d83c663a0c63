//! `tokentally watch`.

use std::{io::Write, sync::atomic::AtomicBool};

use tokentally_collect::{Env, watch::WatchTiming};
use tokentally_store::Store;

use crate::summary;

pub fn run(store: &mut Store, policy: &tokentally_policy::Effective) -> anyhow::Result<()> {
    let stop = AtomicBool::new(false);
    let mut first = true;
    let mut on_scan = |s: &tokentally_collect::ScanSummary| {
        let mut out = std::io::stdout().lock();
        if first {
            first = false;
            // The backlog is summarised, not listed call by call.
            let _ = writeln!(out, "{}", summary::one_line(s));
            if let Some(hint) = summary::no_logs_hint(s) {
                let _ = writeln!(out, "{hint}");
            }
            let _ = writeln!(out, "Watching for new calls (Ctrl-C to stop).");
        } else {
            let mut calls: Vec<_> = s.new_calls.iter().collect();
            calls.sort_by_key(|e| e.at_ms);
            for call in calls {
                let _ = writeln!(out, "{}", summary::call_line(call));
            }
        }
        let _ = out.flush();
    };
    tokentally_collect::watch::watch(
        store,
        &super::scan::sanctioned(policy),
        &Env::from_process(),
        WatchTiming::default(),
        &stop,
        &mut on_scan,
    )?;
    Ok(())
}
