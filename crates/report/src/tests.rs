use jiff::{civil::date, tz::TimeZone};
use tokentally_event::{Tokens, Tool};
use tokentally_store::SlotRow;

use super::*;

fn spec(by: Period, tz: &str) -> ReportSpec {
    ReportSpec {
        by,
        tz: TimeZone::get(tz).unwrap(),
        tz_name: tz.to_owned(),
        since: None,
        until: None,
        tool: None,
    }
}

fn slot(iso: &str, tool: Tool, model: &str, output: u64) -> SlotRow {
    let ms = iso.parse::<jiff::Timestamp>().unwrap().as_millisecond();
    SlotRow {
        tool,
        model: model.to_owned(),
        slot_start_ms: ms,
        tokens: Tokens {
            input: 1,
            cache_read: 10,
            cache_write: 100,
            output,
            reasoning: 0,
        },
        calls: 1,
        estimated_calls: 0,
    }
}

#[test]
fn days_follow_the_time_zone() {
    let slots = [slot("2026-10-01T23:45:00Z", Tool::ClaudeCode, "m", 1000)];
    let utc = build(&spec(Period::Day, "UTC"), &slots);
    assert_eq!(utc.rows[0].period, "2026-10-01");
    let shanghai = build(&spec(Period::Day, "Asia/Shanghai"), &slots);
    assert_eq!(shanghai.rows[0].period, "2026-10-02");
    let kolkata = build(&spec(Period::Day, "Asia/Kolkata"), &slots);
    assert_eq!(kolkata.rows[0].period, "2026-10-02");
}

#[test]
fn rows_are_sorted_and_totals_add_up() {
    let slots = [
        slot("2026-10-02T10:00:00Z", Tool::Codex, "gpt-5", 1),
        slot("2026-10-01T10:00:00Z", Tool::Codex, "gpt-5", 2),
        slot("2026-10-01T11:00:00Z", Tool::ClaudeCode, "b", 3),
        slot("2026-10-01T12:00:00Z", Tool::ClaudeCode, "a", 4),
        slot("2026-10-01T13:00:00Z", Tool::ClaudeCode, "a", 5),
    ];
    let report = build(&spec(Period::Day, "UTC"), &slots);
    let keys: Vec<_> = report
        .rows
        .iter()
        .map(|r| (r.period.as_str(), r.tool, r.model.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            ("2026-10-01", "claude-code", "a"),
            ("2026-10-01", "claude-code", "b"),
            ("2026-10-01", "codex", "gpt-5"),
            ("2026-10-02", "codex", "gpt-5")
        ]
    );
    assert_eq!(report.rows[0].sums.calls, 2);
    assert_eq!(report.rows[0].sums.output_tokens, 9);
    assert_eq!(report.totals.calls, 5);
    assert_eq!(report.totals.total_tokens, 5 * 111 + 15);
}

#[test]
fn weeks_are_labelled_by_their_monday_and_months_by_year_and_month() {
    assert_eq!(Period::Week.label(date(2026, 10, 4)), "2026-09-28");
    assert_eq!(Period::Week.label(date(2026, 9, 28)), "2026-09-28");
    assert_eq!(Period::Month.label(date(2026, 10, 4)), "2026-10");
}

#[test]
fn date_bounds_are_local_midnights() {
    let mut s = spec(Period::Day, "Asia/Shanghai");
    s.since = Some(date(2026, 10, 1));
    s.until = Some(date(2026, 10, 1));
    let q = s.query().unwrap();
    let from = "2026-09-30T16:00:00Z"
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    assert_eq!(q.from_ms, Some(from));
    assert_eq!(q.to_ms, Some(from + 86_400_000));
}

#[test]
fn json_has_the_documented_shape() {
    let slots = [slot(
        "2026-10-01T10:00:00Z",
        Tool::ClaudeCode,
        "claude-sonnet-4-5-20250929",
        7,
    )];
    let json = serde_json::to_value(build(&spec(Period::Day, "UTC"), &slots)).unwrap();
    let expected = serde_json::json!({
        "timezone": "UTC", "by": "day",
        "rows": [{"period": "2026-10-01", "tool": "claude-code", "model": "claude-sonnet-4-5-20250929",
                  "input_tokens": 1, "output_tokens": 7, "cache_read_tokens": 10, "cache_write_tokens": 100,
                  "reasoning_tokens": 0, "total_tokens": 118, "calls": 1, "estimated_calls": 0}],
        "totals": {"input_tokens": 1, "output_tokens": 7, "cache_read_tokens": 10, "cache_write_tokens": 100,
                   "reasoning_tokens": 0, "total_tokens": 118, "calls": 1, "estimated_calls": 0}
    });
    assert_eq!(json, expected);
}

#[test]
fn the_table_marks_estimated_calls() {
    let mut estimated = slot("2026-10-01T10:00:00Z", Tool::Codex, "gpt-5", 1234567);
    estimated.estimated_calls = 1;
    let table = render_table(&build(&spec(Period::Day, "UTC"), &[estimated]));
    assert!(table.contains("1,234,567"), "{table}");
    assert!(table.contains("1 (~1)"), "{table}");
    assert!(table.contains("are estimated"), "{table}");
}
