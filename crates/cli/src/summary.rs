//! Sentences about a scan: the one-line summary and the hint when no logs
//! were found.

use std::fmt::Write;

use tokentally_collect::ScanSummary;
use tokentally_event::UsageEvent;
use tokentally_report::group;

/// `Scanned 12 files (3.4 MB new): 1,234 new calls, 2 lines skipped.`
pub fn one_line(s: &ScanSummary) -> String {
    let mut line = format!(
        "Scanned {} files ({} new): {} new calls",
        group(s.files_found() as u64),
        bytes(s.bytes_read),
        group(s.calls_new)
    );
    if s.calls_improved > 0 {
        let _ = write!(line, ", {} completed", group(s.calls_improved));
    }
    let _ = write!(line, ", {} lines skipped.", group(s.lines_skipped));
    if !s.problems.is_empty() {
        let _ = write!(line, " {} could not be read:", s.problems.len());
        for p in &s.problems {
            let _ = write!(line, "\n  {}: {}", p.path.display(), p.message);
        }
    }
    line
}

/// When no log file was found at all: where we looked and how to point
/// TokenTally elsewhere.
pub fn no_logs_hint(s: &ScanSummary) -> Option<String> {
    if s.files_found() > 0 {
        return None;
    }
    let mut text = String::from("No AI tool logs found on this machine. Looked in:\n");
    let mut shown = std::collections::BTreeSet::new();
    for tool in &s.tools {
        let Some(first) = tool.roots.first() else {
            continue;
        };
        if !shown.insert((tool.tool, first.path.clone())) {
            continue;
        }
        let more = match tool.roots.len() {
            1 => String::new(),
            n => format!(" (and {} more places)", n - 1),
        };
        let _ = writeln!(
            text,
            "  {:<12} {}{more}",
            tool.tool.as_str(),
            first.path.display()
        );
    }
    text.push_str(
        "If your tools keep their logs elsewhere, point TokenTally at them the way the tools \
         themselves are pointed (CLAUDE_CONFIG_DIR, CODEX_HOME, GEMINI_CLI_HOME, QWEN_HOME, \
         XDG_DATA_HOME, XDG_CONFIG_HOME). `tokentally sources` lists every place looked at.",
    );
    Some(text)
}

/// One line per new call, for `watch`: counts only.
pub fn call_line(e: &UsageEvent) -> String {
    let at = jiff::Timestamp::from_millisecond(e.at_ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    let t = &e.tokens;
    format!(
        "{at}  {:<12} {:<28} input {}  output {}  cache_read {}  cache_write {}  reasoning {}  [{}]",
        e.tool.as_str(),
        e.model.as_str(),
        t.input,
        t.output,
        t.cache_read,
        t.cache_write,
        t.reasoning,
        e.provenance.as_str()
    )
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}
