use tokentally_event::Tool::Copilot;

use crate::{
    Collector, Env,
    testkit::{Sandbox, Sums, fixture},
};

fn place_sessions(s: &Sandbox) {
    for id in ["sess-a", "sess-b", "sess-c"] {
        s.place(
            &fixture("copilot_cli", &format!("{id}.events.jsonl")),
            &format!(".copilot/session-state/{id}/events.jsonl"),
        );
    }
}

fn place_spans(s: &Sandbox) {
    s.place(
        &fixture("copilot_cli", "spans.jsonl"),
        ".copilot/otel/copilot-otel-1.jsonl",
    );
}

const SONNET_TOTAL: Sums = Sums {
    input: 2000,
    cache_read: 9000,
    cache_write: 1000,
    output: 800,
    reasoning: 0,
    calls: 1,
};

#[test]
fn a_session_counts_its_shutdown_totals_with_the_cache_taken_out_of_input() {
    let mut s = Sandbox::new();
    place_sessions(&s);
    let summary = s.scan();
    // The half-written second shutdown record.
    assert_eq!(summary.lines_skipped, 1);
    assert_eq!(
        s.get("2026-03-10", Copilot, "claude-sonnet-4.5"),
        SONNET_TOTAL
    );
    assert_eq!(
        s.get("2026-03-10", Copilot, "gpt-5-mini"),
        Sums {
            input: 3000,
            output: 200,
            calls: 1,
            ..Sums::default()
        }
    );
    assert_eq!(
        s.get("2026-03-11", Copilot, "gpt-5"),
        Sums {
            input: 3000,
            cache_read: 2000,
            output: 400,
            calls: 1,
            ..Sums::default()
        }
    );
    // A session that never shut down left no counts to read.
    assert_eq!(s.get("2026-03-12", Copilot, "gpt-5"), Sums::default());
    s.assert_no_canary_in_ledger();
}

/// sess-b's two chat spans replace its shutdown total; the repeated span,
/// the log record and the agent summary add nothing.
fn assert_spans_replace_the_total(s: &Sandbox) {
    assert_eq!(
        s.get("2026-03-11", Copilot, "gpt-5"),
        Sums {
            input: 3000,
            cache_read: 2000,
            output: 400,
            reasoning: 50,
            calls: 2,
            ..Sums::default()
        }
    );
    assert_eq!(
        s.get("2026-03-11", Copilot, "gpt-4.1"),
        Sums {
            input: 100,
            output: 10,
            calls: 1,
            ..Sums::default()
        }
    );
    // Sessions without spans keep their totals.
    assert_eq!(
        s.get("2026-03-10", Copilot, "claude-sonnet-4.5"),
        SONNET_TOTAL
    );
    s.assert_no_canary_in_ledger();
}

#[test]
fn chat_spans_replace_a_session_total_when_the_total_is_read_first() {
    let mut s = Sandbox::new();
    place_sessions(&s);
    s.scan();
    place_spans(&s);
    s.scan();
    assert_spans_replace_the_total(&s);
}

#[test]
fn chat_spans_replace_a_session_total_when_the_spans_are_read_first() {
    let mut s = Sandbox::new();
    place_spans(&s);
    let summary = s.scan();
    // The cut-off last span.
    assert_eq!(summary.lines_skipped, 1);
    place_sessions(&s);
    s.scan();
    assert_spans_replace_the_total(&s);
}

#[test]
fn copilot_home_and_the_exporter_path_are_honoured() {
    let env = Env::from_pairs([
        ("HOME", "/h"),
        ("COPILOT_HOME", "/c"),
        ("COPILOT_OTEL_FILE_EXPORTER_PATH", "/tmp/otel.jsonl"),
    ]);
    let sessions = super::CopilotCliSessions.roots(&env);
    assert_eq!(
        sessions,
        ["/c/session-state", "/c/history-session-state"].map(std::path::PathBuf::from)
    );
    let spans = super::CopilotOtel.roots(&env);
    assert_eq!(
        spans,
        ["/c/otel", "/tmp/otel.jsonl"].map(std::path::PathBuf::from)
    );
    let default = super::CopilotCliSessions.roots(&Env::from_pairs([("HOME", "/h")]));
    assert_eq!(
        default[0],
        std::path::PathBuf::from("/h/.copilot/session-state")
    );
}
