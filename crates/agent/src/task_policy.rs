//! The policy task: notices that the policy's files changed (a few `stat`
//! calls a second), reloads it through the recorded path (change log,
//! last good policy) and hands it to the other tasks.

use std::time::{Duration, Instant};

use tokentally_policy::PolicyFiles;

use crate::{Shared, status::TaskState, supervise::Exit};

const CHECK_EVERY: Duration = Duration::from_secs(1);
/// How often calls past the retention are removed.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub(crate) fn run(shared: &std::sync::Arc<Shared>) -> Result<Exit, String> {
    let mut files = PolicyFiles::new(shared.config.policy.watched());
    shared.board.task("policy", TaskState::Running);
    let mut next_prune = Instant::now();
    loop {
        if Instant::now() >= next_prune {
            prune(shared)?;
            next_prune = Instant::now() + PRUNE_EVERY;
        }
        if shared.stop.sleep(CHECK_EVERY) {
            return Ok(Exit::Stopped);
        }
        if files.settled_change() {
            shared.reload_policy();
        }
    }
}

/// Removes the calls the retention policy no longer keeps: the ledger's
/// growth is bounded by it.
fn prune(shared: &Shared) -> Result<(), String> {
    let mut store = crate::open_store(shared, 512)?;
    let cutoff = crate::retention_cutoff(&shared.policy().1.resolved);
    let removed = store.retain_from(cutoff).map_err(|e| e.to_string())?;
    if removed > 0 {
        tracing::info!(removed, "Removed calls past the retention period.");
        shared.board.improved();
    }
    Ok(())
}
