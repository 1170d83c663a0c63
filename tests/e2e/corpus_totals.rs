use crate::support::{Fixture, assert_report_is};

#[test]
fn a_generated_corpus_is_reported_exactly_per_day_tool_and_model() {
    let f = Fixture::generated(11, 4);
    assert!(f.truth.totals().calls > 100);
    let first = f.report(true);
    assert_eq!(first["timezone"], "UTC");
    assert_eq!(first["by"], "day");
    assert_report_is(&first, &f.truth);
    // A second report reads nothing new and says the same.
    assert_report_is(&f.report(true), &f.truth);
}

#[test]
fn months_and_a_tool_filter_add_up_to_the_same_totals() {
    let f = Fixture::generated(12, 2);
    f.run(&["scan"]);
    let month: serde_json::Value = serde_json::from_slice(
        &f.run(&[
            "report",
            "--json",
            "--by",
            "month",
            "--tz",
            "UTC",
            "--no-scan",
        ])
        .stdout,
    )
    .unwrap();
    assert_eq!(month["totals"]["calls"], f.truth.totals().calls);
    assert!(
        month["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["period"].as_str().unwrap().len() == 7)
    );
    let codex_only: serde_json::Value = serde_json::from_slice(
        &f.run(&[
            "report",
            "--json",
            "--tz",
            "UTC",
            "--tool",
            "codex",
            "--no-scan",
        ])
        .stdout,
    )
    .unwrap();
    let codex_calls: u64 = f
        .truth
        .0
        .iter()
        .filter(|((_, tool, _), _)| tool == "codex")
        .map(|(_, c)| c.calls)
        .sum();
    assert_eq!(codex_only["totals"]["calls"], codex_calls);
}

#[test]
fn the_table_shows_the_totals() {
    let f = Fixture::generated(13, 1);
    let out = f.run(&["report", "--tz", "UTC"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let calls = f.truth.totals().calls;
    let total_line = table.lines().find(|l| l.starts_with("Total")).unwrap();
    assert!(
        total_line.trim_end().ends_with(&calls.to_string()),
        "{total_line}"
    );
}

/// The first scan's summary counts each call once: replays and copies read
/// before the call they repeat are not new calls.
#[test]
fn a_first_scan_says_how_many_calls_it_found() {
    let f = Fixture::generated(14, 8);
    let out = f.run(&["scan"]);
    let summary = String::from_utf8(out.stdout).unwrap();
    let calls = f.truth.totals().calls;
    let grouped = calls
        .to_string()
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(",");
    assert!(
        summary.contains(&format!(": {grouped} new calls")),
        "{calls} calls: {summary}"
    );
}
