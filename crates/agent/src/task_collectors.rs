//! The collectors task: watches the sanctioned tools' logs and reads what
//! is new into the ledger; follows the policy and the watchdog's throttle.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use tokentally_collect::watch::{WatchTiming, Watched, watch};

use crate::{Shared, choice, status::TaskState, supervise::Exit};

/// Slower reactions while the watchdog says the agent is over budget.
fn throttled_timing(normal: WatchTiming) -> WatchTiming {
    WatchTiming {
        debounce: normal.debounce.max(Duration::from_secs(2)),
        max_delay: normal.max_delay.max(Duration::from_secs(10)),
        rescan: normal.rescan.max(Duration::from_secs(300)),
        after_create: normal.after_create.max(Duration::from_secs(5)),
    }
}

pub(crate) fn run(shared: &std::sync::Arc<Shared>) -> Result<Exit, String> {
    // A long-running watcher commits small batches: a small page cache
    // keeps the agent within its memory budget after a large first scan.
    let mut store = crate::open_store(shared, 1024)?;
    let throttled = shared.board.throttled().is_some();
    let timing = if throttled {
        throttled_timing(shared.config.timing)
    } else {
        shared.config.timing
    };
    let (mut version, policy) = shared.policy();
    let collectors = choice::collectors(&policy.resolved);
    // Ends this watch to restart it with other timing; the agent's own
    // stop also ends it.
    let restart = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let mut first = true;
    let mut on_watched = |watched: Watched<'_>| {
        // Running from its first report: a backlog's calls come before the
        // end of the scan that reads them.
        if first {
            first = false;
            shared.board.task("collectors", TaskState::Running);
        }
        match watched {
            Watched::Counted(calls) => shared.board.counted(calls),
            Watched::Scanned(summary) => shared.board.scanned(summary),
        }
    };
    let mut reload = || {
        if shared.stop.is_stopped() || shared.board.throttled().is_some() != throttled {
            if !shared.stop.is_stopped() {
                restart.store(true, Ordering::SeqCst);
            }
            stop.store(true, Ordering::SeqCst);
            return None;
        }
        let (now, policy) = shared.policy();
        (now != version).then(|| {
            version = now;
            choice::collectors(&policy.resolved)
        })
    };
    watch(
        &mut store,
        collectors,
        &shared.config.env,
        timing,
        &stop,
        &mut on_watched,
        &mut reload,
    )
    .map_err(|e| e.to_string())?;
    if restart.load(Ordering::SeqCst) {
        return Ok(Exit::Restart);
    }
    Ok(Exit::Stopped)
}
