#![allow(clippy::unwrap_used)]

use tokentally_event::{Tool, UsageEvent};

use super::*;
use crate::testutil::{SECOND_NS, claude_sum, gen_ai_histogram, kv, request};

const NOW_MS: i64 = 1_760_000_000_000;

fn input_total(events: &[UsageEvent]) -> u64 {
    events.iter().map(|e| e.tokens.input).sum()
}

/// A cumulative Claude Code input counter read at `time_s` since `start_s`.
fn cumulative(start_s: u64, time_s: u64, value: f64) -> ExportMetricsServiceRequest {
    let attrs = vec![
        kv("type", "input"),
        kv("model", "claude-sonnet-4-5"),
        kv("session.id", "s1"),
    ];
    request(
        "claude-code",
        vec![claude_sum(
            true,
            attrs,
            start_s * SECOND_NS,
            time_s * SECOND_NS,
            value,
        )],
    )
}

#[test]
fn cumulative_points_count_what_they_added() {
    let mut receiver = Receiver::new();
    assert_eq!(
        input_total(&receiver.ingest(&cumulative(100, 160, 50.0), NOW_MS)),
        50
    );
    assert_eq!(
        input_total(&receiver.ingest(&cumulative(100, 220, 80.0), NOW_MS)),
        30
    );
    // Nothing new: no event at all.
    assert!(
        receiver
            .ingest(&cumulative(100, 280, 80.0), NOW_MS)
            .is_empty()
    );
    assert_eq!(
        input_total(&receiver.ingest(&cumulative(100, 340, 81.0), NOW_MS)),
        1
    );
}

#[test]
fn an_exact_duplicate_adds_nothing() {
    let mut receiver = Receiver::new();
    let export = cumulative(100, 160, 50.0);
    assert_eq!(receiver.ingest(&export, NOW_MS).len(), 1);
    assert!(receiver.ingest(&export, NOW_MS).is_empty());
}

#[test]
fn a_late_point_from_before_the_last_adds_nothing() {
    let mut receiver = Receiver::new();
    receiver.ingest(&cumulative(100, 220, 80.0), NOW_MS);
    assert!(
        receiver
            .ingest(&cumulative(100, 160, 50.0), NOW_MS)
            .is_empty()
    );
    assert_eq!(
        input_total(&receiver.ingest(&cumulative(100, 280, 90.0), NOW_MS)),
        10
    );
}

#[test]
fn two_running_totals_of_one_series_are_kept_apart() {
    // Two processes exporting the same series at once, told apart only by
    // their start times: neither is read as a reset of the other.
    let mut receiver = Receiver::new();
    let mut total = 0;
    for (start, time, value) in [
        (100, 160, 10.0),
        (200, 230, 3.0),
        (100, 220, 25.0),
        (200, 290, 4.0),
    ] {
        total += input_total(&receiver.ingest(&cumulative(start, time, value), NOW_MS));
    }
    assert_eq!(total, 25 + 4);
    assert_eq!(receiver.state().series.len(), 2);
}

#[test]
fn a_new_start_or_a_drop_is_a_reset_counted_whole() {
    let mut receiver = Receiver::new();
    receiver.ingest(&cumulative(100, 160, 50.0), NOW_MS);
    // The tool restarted: a new start time, a total from zero.
    assert_eq!(
        input_total(&receiver.ingest(&cumulative(400, 460, 7.0), NOW_MS)),
        7
    );
    assert_eq!(
        input_total(&receiver.ingest(&cumulative(400, 520, 10.0), NOW_MS)),
        3
    );
    // Same start, lower value: a counter reset the tool did not date.
    assert_eq!(
        input_total(&receiver.ingest(&cumulative(400, 580, 4.0), NOW_MS)),
        4
    );
}

#[test]
fn a_restart_from_saved_state_continues_the_series() {
    let mut before = Receiver::new();
    before.ingest(&cumulative(100, 160, 50.0), NOW_MS);
    let saved = serde_json::to_string(&before.state()).unwrap();
    let mut after = Receiver::with_state(serde_json::from_str(&saved).unwrap());
    assert!(after.ingest(&cumulative(100, 160, 50.0), NOW_MS).is_empty());
    assert_eq!(
        input_total(&after.ingest(&cumulative(100, 220, 70.0), NOW_MS)),
        20
    );
}

#[test]
fn delta_points_count_as_sent_and_repeat_with_the_same_call_key() {
    let mut receiver = Receiver::new();
    let export = request(
        "claude-code",
        vec![claude_sum(
            false,
            vec![kv("type", "output")],
            SECOND_NS,
            2 * SECOND_NS,
            12.0,
        )],
    );
    let first = receiver.ingest(&export, NOW_MS);
    let again = receiver.ingest(&export, NOW_MS);
    assert_eq!(first[0].tokens.output, 12);
    // The store keeps one of the two: same tool, same call key.
    assert_eq!(
        (first[0].tool, first[0].call),
        (again[0].tool, again[0].call)
    );
    assert!(receiver.state().series.is_empty());
}

#[test]
fn events_carry_the_point_time_and_the_telemetry_provenance() {
    let mut receiver = Receiver::new();
    let event = receiver
        .ingest(&cumulative(100, 160, 50.0), NOW_MS)
        .remove(0);
    assert_eq!(event.at_ms, 160_000);
    assert_eq!(event.tool, Tool::ClaudeCode);
    assert_eq!(event.provenance, Provenance::Reported);
    assert_eq!(event.source, SourceRef::TELEMETRY);
    assert_eq!(event.session, Key::of(&[b"s1"]));
    assert_eq!(event.model.as_str(), "claude-sonnet-4-5");
}

#[test]
fn gen_ai_histograms_count_the_delta_of_their_sums() {
    let mut receiver = Receiver::new();
    let at = |time_s: u64, sum: f64| {
        let attrs = vec![
            kv("gen_ai.token.type", "input"),
            kv("gen_ai.request.model", "gpt-5"),
        ];
        request(
            "copilot-cli",
            vec![gen_ai_histogram(
                true,
                attrs,
                SECOND_NS,
                time_s * SECOND_NS,
                sum,
                1,
            )],
        )
    };
    assert_eq!(input_total(&receiver.ingest(&at(10, 1000.0), NOW_MS)), 1000);
    assert_eq!(input_total(&receiver.ingest(&at(20, 1500.0), NOW_MS)), 500);
}

#[test]
fn idle_series_are_forgotten_after_a_week() {
    let mut receiver = Receiver::new();
    receiver.ingest(&cumulative(100, 160, 50.0), NOW_MS);
    receiver.ingest(&request("claude-code", vec![]), NOW_MS + SERIES_IDLE_MS);
    assert_eq!(receiver.state().series.len(), 1);
    receiver.ingest(&request("claude-code", vec![]), NOW_MS + SERIES_IDLE_MS + 1);
    assert!(receiver.state().series.is_empty());
}

#[test]
fn the_state_is_bounded() {
    let mut receiver = Receiver::new();
    let metrics: Vec<_> = (0..MAX_SERIES + 5)
        .map(|i| {
            claude_sum(
                true,
                vec![kv("type", "input"), kv("n", &i.to_string())],
                1,
                2,
                1.0,
            )
        })
        .collect();
    receiver.ingest(&request("claude-code", metrics), NOW_MS);
    assert_eq!(receiver.state().series.len(), MAX_SERIES);
}
