//! The watchdog: samples the agent's own CPU and memory; over its budget
//! for a sustained time it slows the expensive work (rescans) and says so
//! in the status, and lifts that once usage is back under.

use std::{collections::VecDeque, time::Duration};

use crate::{Shared, status::TaskState, supervise::Exit};

/// How often usage is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// A token encoder unused this long is dropped (about 25 MB each); the
/// next estimate loads it again in about 0.1 s.
const ENCODER_IDLE: Duration = Duration::from_secs(120);
/// Over budget this long (in samples) before acting, or back under this
/// long before lifting: a first scan of a large backlog is allowed its burst.
const SUSTAINED: usize = 12;

/// The limits the watchdog enforces: well above the steady budget
/// published in the README (0.5 % CPU idle, 20 MiB), so that only a
/// runaway, not normal work, trips it.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Percent of one core, averaged over a sample.
    pub cpu_percent: f64,
    /// Resident memory, KiB.
    pub rss_kib: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            cpu_percent: 25.0,
            rss_kib: 100 * 1024,
        }
    }
}

/// One sample: CPU over the last interval and memory now.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    pub cpu_percent: f64,
    pub rss_kib: u64,
}

/// Why a run of samples is over budget, if every one of the last
/// `SUSTAINED` is.
pub(crate) fn verdict(samples: &VecDeque<Sample>, budget: Budget) -> Option<String> {
    if samples.len() < SUSTAINED {
        return None;
    }
    let recent = samples.iter().rev().take(SUSTAINED);
    let cpu = recent.clone().all(|s| s.cpu_percent > budget.cpu_percent);
    let rss = recent.clone().all(|s| s.rss_kib > budget.rss_kib);
    let secs = SUSTAINED as u64 * SAMPLE_EVERY.as_secs();
    match (cpu, rss) {
        (true, _) => Some(format!(
            "CPU over {:.0}% of a core for {secs} s: rescans slowed down",
            budget.cpu_percent
        )),
        (_, true) => Some(format!(
            "memory over {} MiB for {secs} s: rescans slowed down",
            budget.rss_kib / 1024
        )),
        _ => None,
    }
}

/// Whether the last `SUSTAINED` samples are all within budget.
pub(crate) fn all_clear(samples: &VecDeque<Sample>, budget: Budget) -> bool {
    samples.len() >= SUSTAINED
        && samples
            .iter()
            .rev()
            .take(SUSTAINED)
            .all(|s| s.cpu_percent <= budget.cpu_percent && s.rss_kib <= budget.rss_kib)
}

pub(crate) fn run(shared: &std::sync::Arc<Shared>) -> Result<Exit, String> {
    let budget = shared.config.budget;
    let mut samples: VecDeque<Sample> = VecDeque::new();
    let mut last_cpu = own::cpu_ticks();
    shared.board.task("watchdog", TaskState::Running);
    loop {
        if shared.stop.sleep(SAMPLE_EVERY) {
            return Ok(Exit::Stopped);
        }
        if tokentally_estimate::release_idle(ENCODER_IDLE) {
            tracing::debug!("Released an idle token encoder.");
        }
        let cpu = own::cpu_ticks();
        let (Some(now), Some(before), Some(rss_kib)) = (cpu, last_cpu, own::rss_kib()) else {
            // Not measurable on this OS: nothing to enforce.
            continue;
        };
        last_cpu = cpu;
        let cpu_percent = own::ticks_to_percent(now.saturating_sub(before), SAMPLE_EVERY);
        shared.board.usage(Some(cpu_percent), Some(rss_kib));
        samples.push_back(Sample {
            cpu_percent,
            rss_kib,
        });
        if samples.len() > SUSTAINED {
            samples.pop_front();
        }
        if shared.board.throttled().is_none() {
            if let Some(reason) = verdict(&samples, budget) {
                tracing::warn!(%reason, "Over the resource budget.");
                shared.board.throttle(Some(reason));
            }
        } else if all_clear(&samples, budget) {
            shared.board.throttle(None);
        }
    }
}

/// The process's own usage, from /proc on Linux.
mod own {
    use std::time::Duration;

    /// Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux).
    const TICKS_PER_SECOND: f64 = 100.0;

    pub(super) fn cpu_ticks() -> Option<u64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // Fields after the command name, which is in parentheses and may
        // hold spaces: utime and stime are the 12th and 13th after it.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: u64 = fields.get(11)?.parse().ok()?;
        let stime: u64 = fields.get(12)?.parse().ok()?;
        Some(utime + stime)
    }

    pub(super) fn rss_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    pub(super) fn ticks_to_percent(ticks: u64, over: Duration) -> f64 {
        ticks as f64 / TICKS_PER_SECOND / over.as_secs_f64() * 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(cpu: f64, rss: u64, n: usize) -> VecDeque<Sample> {
        (0..n)
            .map(|_| Sample {
                cpu_percent: cpu,
                rss_kib: rss,
            })
            .collect()
    }

    #[test]
    fn only_a_sustained_excess_throttles() {
        let budget = Budget::default();
        assert_eq!(verdict(&run_of(90.0, 1, SUSTAINED - 1), budget), None);
        let mut burst = run_of(90.0, 1, SUSTAINED);
        burst[3].cpu_percent = 1.0;
        assert_eq!(
            verdict(&burst, budget),
            None,
            "one quiet sample breaks the run"
        );
        assert!(verdict(&run_of(90.0, 1, SUSTAINED), budget).is_some_and(|r| r.contains("CPU")));
        assert!(
            verdict(&run_of(1.0, 500_000, SUSTAINED), budget).is_some_and(|r| r.contains("memory"))
        );
        assert!(all_clear(&run_of(1.0, 1, SUSTAINED), budget));
        assert!(!all_clear(&run_of(1.0, 500_000, SUSTAINED), budget));
    }

    #[test]
    fn own_usage_is_readable_here() {
        if cfg!(target_os = "linux") {
            assert!(own::cpu_ticks().is_some());
            assert!(own::rss_kib().is_some_and(|kib| kib > 100));
        }
    }
}
