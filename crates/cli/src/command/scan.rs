//! `tokentally scan`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use tokentally_collect::{Collector, Env, ScanOptions, ScanSummary, all_collectors};
use tokentally_policy::Effective;
use tokentally_store::Store;

use crate::{output, summary};

pub fn run(store: &mut Store, policy: &Effective) -> anyhow::Result<()> {
    let summary = scan_with_progress(store, true, policy)?;
    output::line(&summary::one_line(&summary))?;
    if let Some(hint) = summary::no_logs_hint(&summary) {
        output::line(&hint)?;
    }
    Ok(())
}

/// Scans every tool, with a progress bar when stderr is a terminal.
/// With `read` false, only looks for the logs.
pub fn scan_with_progress(
    store: &mut Store,
    read: bool,
    policy: &Effective,
) -> anyhow::Result<ScanSummary> {
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {bytes}/{total_bytes} {wide_bar} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    let mut on_step = |step: tokentally_collect::ScanStep<'_>| {
        if let Some(bar) = &bar {
            bar.set_length(step.progress.bytes_total);
            bar.set_position(step.progress.bytes_done);
        }
    };
    let summary = tokentally_collect::scan(
        store,
        &sanctioned(policy),
        &Env::from_process(),
        &ScanOptions {
            discover_only: !read,
            ..ScanOptions::default()
        },
        &mut on_step,
    )?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(summary)
}

/// The collectors of the tools the policy sanctions: the others are never
/// started, so their logs are never opened.
pub fn sanctioned(policy: &Effective) -> Vec<Box<dyn Collector>> {
    all_collectors()
        .into_iter()
        .filter(|c| super::live::reads_logs(&policy.resolved, c.tool()))
        .collect()
}
