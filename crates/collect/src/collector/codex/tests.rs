use tokentally_event::Tool::Codex;

use crate::testkit::{Sandbox, Sums, fixture};

const DAY: &str = "2026-04-10";
const CODEX: &str = "gpt-5.2-codex";
const MINI: &str = "gpt-5.1-codex-mini";
const SESSION: &str = ".codex/sessions/2026/04/10/rollout-2026-04-10T08-00-00-0196aaaa-0000-7000-8000-000000000001.jsonl";

fn place(sandbox: &Sandbox, name: &str, relative: &str) {
    sandbox.place(&fixture("codex", name), relative);
}

#[test]
fn steps_of_the_running_total_are_the_calls() {
    let mut s = Sandbox::new();
    place(&s, "session.jsonl", SESSION);
    let summary = s.scan();
    assert_eq!(summary.lines_skipped, 0);
    // Re-emitted totals, info:null and the context-full marker add nothing;
    // a dropped total starts a new baseline counted by its last usage.
    let codex = Sums {
        input: 5000,
        cache_read: 14_000,
        cache_write: 0,
        output: 700,
        reasoning: 300,
        calls: 2,
    };
    let mini = Sums {
        input: 8100,
        cache_read: 2000,
        cache_write: 0,
        output: 190,
        reasoning: 10,
        calls: 4,
    };
    assert_eq!(s.get(DAY, Codex, CODEX), codex);
    assert_eq!(s.get(DAY, Codex, MINI), mini);
}

#[test]
fn an_archived_copy_and_a_fork_count_the_shared_history_once() {
    let mut s = Sandbox::new();
    place(&s, "session.jsonl", SESSION);
    place(
        &s,
        "session.jsonl",
        ".codex/archived_sessions/rollout-2026-04-10T08-00-00-0196aaaa-0000-7000-8000-000000000001.jsonl",
    );
    place(
        &s,
        "fork.jsonl",
        ".codex/sessions/2026/04/10/rollout-2026-04-10T09-00-00-0196bbbb-0000-7000-8000-000000000002.jsonl",
    );
    s.scan();
    let codex = s.get(DAY, Codex, CODEX);
    assert_eq!(
        (
            codex.calls,
            codex.input,
            codex.cache_read,
            codex.output,
            codex.reasoning
        ),
        (3, 5500, 14_500, 750, 320)
    );
    assert_eq!(s.get(DAY, Codex, MINI).calls, 4);
}

#[test]
fn a_spawned_sub_agent_does_not_count_its_parents_replayed_counters() {
    let mut s = Sandbox::new();
    place(&s, "session.jsonl", SESSION);
    place(
        &s,
        "spawned.jsonl",
        ".codex/sessions/2026/04/10/rollout-2026-04-10T10-00-00-0196cccc-0000-7000-8000-000000000003.jsonl",
    );
    s.scan();
    let codex = s.get(DAY, Codex, CODEX);
    assert_eq!((codex.calls, codex.input, codex.output), (3, 5500, 710));
}

#[test]
fn state_carries_over_between_scans_of_a_growing_file() {
    let mut s = Sandbox::new();
    let full = std::fs::read(fixture("codex", "session.jsonl")).unwrap();
    let path = s.home().join(SESSION);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    // Write the file in pieces, one scan after each: the model and the
    // running total must survive between scans.
    let mut written = 0;
    for cut in [400, 1500, 2200, 3100, full.len()] {
        let cut = cut.min(full.len());
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, &full[written..cut]).unwrap();
        written = cut;
        s.scan();
    }
    assert_eq!(s.get(DAY, Codex, CODEX).calls, 2);
    assert_eq!(s.get(DAY, Codex, MINI).input, 8100);
}

#[test]
fn codex_home_replaces_the_default_root() {
    use crate::{Collector, Env};
    let roots = super::Codex.roots(&Env::from_pairs([("HOME", "/h"), ("CODEX_HOME", "/c")]));
    assert_eq!(
        roots,
        vec![
            std::path::PathBuf::from("/c/sessions"),
            "/c/archived_sessions".into()
        ]
    );
    let roots = super::Codex.roots(&Env::from_pairs([("HOME", "/h")]));
    assert_eq!(roots[0], std::path::PathBuf::from("/h/.codex/sessions"));
    assert!(super::Codex.is_log("/x/rollout-2026-04-10T08-00-00-abc.jsonl".as_ref()));
    assert!(!super::Codex.is_log("/x/history.jsonl".as_ref()));
}

#[test]
fn reasoning_over_output_is_capped_at_output() {
    // Found by fuzzing (fuzz/fuzz_targets/codex.rs): reasoning is part of
    // output, so a record claiming more must not break that rule.
    use crate::{LineFormat, collector::Codex};
    let line = br#"{"timestamp":"2026-04-10T08:00:09.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":2000,"output_tokens":300,"reasoning_output_tokens":415}}}}"#;
    let mut parser = Codex.parser(std::path::Path::new("rollout.jsonl"), &[]);
    let mut out = Vec::new();
    parser.parse_line(line, 0, &mut out).unwrap();
    assert_eq!((out[0].tokens.output, out[0].tokens.reasoning), (300, 300));
}
