//! `tokentally sources`: every known tool, whether it was found here, where,
//! what was counted from it, and why a found source gave nothing.

use std::collections::BTreeMap;

use serde::Serialize;
use tokentally_collect::ScanSummary;
use tokentally_event::{Provenance, Tool};
use tokentally_store::Store;

use super::scan::scan_with_progress;
use crate::output;

/// One tool's line.
#[derive(Debug, Default, Serialize)]
struct Source {
    tool: &'static str,
    sanctioned: bool,
    found: bool,
    roots_found: Vec<String>,
    roots_missing: Vec<String>,
    files: usize,
    calls: u64,
    calls_by_provenance: BTreeMap<&'static str, u64>,
    /// Calls by what saw them: `log`, `proxy`, `telemetry`.
    counted_by: BTreeMap<&'static str, u64>,
    /// The policy's choice of source for this tool.
    source: &'static str,
    last_call: Option<String>,
    problems: Vec<String>,
    note: Option<String>,
}

pub fn run(
    store: &mut Store,
    json: bool,
    no_scan: bool,
    policy: &tokentally_policy::Effective,
) -> anyhow::Result<()> {
    // Discovery is what tells where each tool is; without a scan, nothing
    // new is read but the roots are still looked at.
    let summary = scan_with_progress(store, !no_scan, policy)?;
    let mut sources = describe(store, &summary)?;
    for s in &mut sources {
        let tool: Option<Tool> = s.tool.parse().ok();
        s.sanctioned = tool.is_some_and(|t| policy.resolved.sanctions(t));
        s.source = tool.map_or("logs", |t| super::live::source_name(&policy.resolved, t));
        if !s.sanctioned {
            s.note = Some("not sanctioned by policy: never read".into());
        }
    }
    if json {
        output::line(&serde_json::to_string(&sources)?)?;
    } else {
        output::line(&render(&sources))?;
    }
    Ok(())
}

fn describe(store: &Store, summary: &ScanSummary) -> anyhow::Result<Vec<Source>> {
    let mut sources: BTreeMap<Tool, Source> = Tool::ALL
        .iter()
        .map(|t| {
            (
                *t,
                Source {
                    tool: t.as_str(),
                    ..Source::default()
                },
            )
        })
        .collect();
    for scanned in &summary.tools {
        let Some(s) = sources.get_mut(&scanned.tool) else {
            continue;
        };
        s.files += scanned.files;
        for root in &scanned.roots {
            let shown = root.path.display().to_string();
            let list = if root.found {
                &mut s.roots_found
            } else {
                &mut s.roots_missing
            };
            if !list.contains(&shown) {
                list.push(shown);
            }
            for p in summary
                .problems
                .iter()
                .filter(|p| p.path.starts_with(&root.path))
            {
                s.problems
                    .push(format!("{}: {}", p.path.display(), p.message));
            }
        }
    }
    for row in store.calls_by_tool()? {
        let Some(s) = sources.get_mut(&row.tool) else {
            continue;
        };
        s.calls += row.calls;
        *s.calls_by_provenance
            .entry(row.provenance.as_str())
            .or_default() += row.calls;
        *s.counted_by.entry(row.via).or_default() += row.calls;
        let last = jiff::Timestamp::from_millisecond(row.last_at_ms)
            .map(|t| t.strftime("%Y-%m-%d %H:%MZ").to_string())
            .ok();
        if last > s.last_call {
            s.last_call = last;
        }
    }
    for s in sources.values_mut() {
        s.found = !s.roots_found.is_empty();
        s.note = note(s);
    }
    Ok(sources.into_values().collect())
}

/// Why a found source gave nothing (or what is estimated).
fn note(s: &Source) -> Option<String> {
    if !s.problems.is_empty() {
        return Some(format!(
            "{} file(s) or folder(s) could not be read",
            s.problems.len()
        ));
    }
    if s.found && s.files == 0 {
        return Some("found, but no session files yet".into());
    }
    if s.files > 0 && s.calls == 0 {
        return Some("found, but its files hold no usage records (this version of the tool may not write counts)".into());
    }
    let estimated = s
        .calls_by_provenance
        .get(Provenance::Estimated.as_str())
        .copied()
        .unwrap_or(0);
    (estimated > 0)
        .then(|| format!("{estimated} calls estimated (the tool kept no counts for them)"))
}

fn render(sources: &[Source]) -> String {
    let mut out = String::new();
    for s in sources {
        let state = if s.found { "found" } else { "not found" };
        let calls = match s.calls_by_provenance.len() {
            0 => "no calls".to_owned(),
            _ => {
                let parts: Vec<String> = s
                    .calls_by_provenance
                    .iter()
                    .map(|(p, n)| format!("{n} {p}"))
                    .collect();
                format!("{} calls ({})", s.calls, parts.join(", "))
            }
        };
        out.push_str(&format!("{:<12} {state:<9} {calls}", s.tool));
        if s.counted_by.keys().any(|via| *via != "log") || s.source != "logs" {
            let by: Vec<String> = s
                .counted_by
                .iter()
                .map(|(via, n)| format!("{n} by {via}"))
                .collect();
            out.push_str(&format!(" [source: {}; {}]", s.source, by.join(", ")));
        }
        if let Some(last) = &s.last_call {
            out.push_str(&format!(", last {last}"));
        }
        out.push('\n');
        let roots = if s.found {
            &s.roots_found
        } else {
            &s.roots_missing
        };
        let shown: Vec<&String> = roots.iter().take(3).collect();
        for root in &shown {
            out.push_str(&format!("             {root}\n"));
        }
        if roots.len() > shown.len() {
            out.push_str(&format!(
                "             (and {} more places)\n",
                roots.len() - shown.len()
            ));
        }
        if s.found {
            out.push_str(&format!("             {} file(s)\n", s.files));
        }
        if let Some(note) = &s.note {
            out.push_str(&format!("             note: {note}\n"));
        }
        for p in &s.problems {
            out.push_str(&format!("             problem: {p}\n"));
        }
    }
    out
}
