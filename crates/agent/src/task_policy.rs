//! The policy task: notices that the policy's files changed (a few `stat`
//! calls a second), reloads it through the recorded path (change log,
//! last good policy) and hands it to the other tasks.

use std::time::Duration;

use tokentally_policy::PolicyFiles;

use crate::{Shared, status::TaskState, supervise::Exit};

const CHECK_EVERY: Duration = Duration::from_secs(1);

pub(crate) fn run(shared: &std::sync::Arc<Shared>) -> Result<Exit, String> {
    let mut files = PolicyFiles::new(shared.config.policy.watched());
    shared.board.task("policy", TaskState::Running);
    loop {
        if shared.stop.sleep(CHECK_EVERY) {
            return Ok(Exit::Stopped);
        }
        if files.settled_change() {
            shared.reload_policy();
        }
    }
}
