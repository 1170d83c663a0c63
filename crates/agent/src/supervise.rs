//! Supervision: each task runs on its own thread; a task that fails or
//! panics is restarted after a wait that doubles up to a minute, and its
//! failure shows in the status while the other tasks go on.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    sync::Arc,
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crate::{Shared, status::TaskState};

/// How a task's run ended.
pub(crate) enum Exit {
    /// The agent is stopping.
    Stopped,
    /// Start again at once (its settings changed).
    Restart,
}

/// A task's run: `Err` is a failure, shown and retried.
pub(crate) type Run = Box<dyn FnMut(&Arc<Shared>) -> Result<Exit, String> + Send>;

const FIRST_WAIT: Duration = Duration::from_secs(1);
const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// A run this long resets the wait: the failure was not a crash loop.
const HEALTHY_RUN: Duration = Duration::from_secs(120);

pub(crate) fn spawn(
    name: &'static str,
    shared: Arc<Shared>,
    mut run: Run,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("tokentally-{name}"))
        .spawn(move || {
            let mut wait = FIRST_WAIT;
            loop {
                shared.board.task(name, TaskState::Starting);
                let started = Instant::now();
                let outcome = catch_unwind(AssertUnwindSafe(|| run(&shared)));
                let error = match outcome {
                    Ok(Ok(Exit::Stopped)) => break,
                    Ok(Ok(Exit::Restart)) => continue,
                    Ok(Err(error)) => error,
                    Err(panic) => format!("panicked: {}", panic_message(&panic)),
                };
                if shared.stop.is_stopped() {
                    break;
                }
                if started.elapsed() >= HEALTHY_RUN {
                    wait = FIRST_WAIT;
                }
                tracing::warn!(task = name, %error, retry_in_s = wait.as_secs(), "Task failed; restarting.");
                let retry_at_ms = crate::now_ms() + wait.as_millis() as i64;
                shared.board.task(name, TaskState::Failed { error, retry_at_ms });
                if shared.stop.sleep(wait) {
                    break;
                }
                wait = (wait * 2).min(LONGEST_WAIT);
            }
            shared.board.task(name, TaskState::Stopped);
        })
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::status::AgentEvent;

    #[test]
    fn a_panicking_task_is_restarted_and_its_failure_shown() {
        let (_dir, shared) = crate::tests::shared();
        let events = shared.board.subscribe();
        let mut runs = 0;
        let run: Run = Box::new(move |_| {
            runs += 1;
            if runs == 1 {
                panic!("boom in run {runs}");
            }
            Ok(Exit::Stopped)
        });
        spawn("boom", shared.clone(), run).unwrap().join().unwrap();
        let failed = events.try_iter().find_map(|e| match e {
            AgentEvent::TaskFailed {
                task: "boom",
                error,
            } => Some(error),
            _ => None,
        });
        assert_eq!(failed.as_deref(), Some("panicked: boom in run 1"));
        let task = shared
            .board
            .tasks()
            .into_iter()
            .find(|t| t.name == "boom")
            .unwrap();
        assert_eq!((task.restarts, task.state), (1, TaskState::Stopped));
    }

    #[test]
    fn a_stopped_agent_does_not_restart_a_failing_task() {
        let (_dir, shared) = crate::tests::shared();
        shared.stop.stop();
        let run: Run = Box::new(|_| Err("always".into()));
        let started = Instant::now();
        spawn("failing", shared, run).unwrap().join().unwrap();
        assert!(started.elapsed() < FIRST_WAIT);
    }
}
