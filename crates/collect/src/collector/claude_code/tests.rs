use tokentally_event::Tool::ClaudeCode;

use crate::testkit::{Sandbox, Sums, fixture};

const DAY: &str = "2026-03-02";
const SONNET: &str = "claude-sonnet-4-5-20250929";
const HAIKU: &str = "claude-haiku-4-5-20251001";

fn place(sandbox: &Sandbox, name: &str, relative: &str) {
    sandbox.place(&fixture("claude_code", name), relative);
}

#[test]
fn streamed_blocks_count_once_with_the_final_output() {
    let mut s = Sandbox::new();
    place(
        &s,
        "streamed.jsonl",
        ".claude/projects/-home-dev-app/s1.jsonl",
    );
    let summary = s.scan();
    assert_eq!(summary.calls_new, 2);
    let got = s.get(DAY, ClaudeCode, SONNET);
    let want = Sums {
        input: 10,
        cache_read: 85_817,
        cache_write: 1800,
        output: 557,
        reasoning: 0,
        calls: 2,
    };
    assert_eq!(got, want);
}

#[test]
fn a_resumed_copy_in_another_file_counts_once() {
    let mut s = Sandbox::new();
    place(
        &s,
        "streamed.jsonl",
        ".claude/projects/-home-dev-app/s1.jsonl",
    );
    place(
        &s,
        "resumed.jsonl",
        ".config/claude/projects/-home-dev-app/s2.jsonl",
    );
    s.scan();
    let got = s.get(DAY, ClaudeCode, SONNET);
    assert_eq!((got.calls, got.output, got.input), (3, 587, 20));
}

#[test]
fn a_sidechain_replay_is_dropped_in_either_order_and_own_side_calls_count() {
    for parent_first in [true, false] {
        let mut s = Sandbox::new();
        let side = ".claude/projects/-home-dev-app/s1/subagents/agent-1.jsonl";
        let parent = ".claude/projects/-home-dev-app/s1.jsonl";
        if parent_first {
            place(&s, "streamed.jsonl", parent);
            s.scan();
            place(&s, "sidechain.jsonl", side);
        } else {
            place(&s, "sidechain.jsonl", side);
            s.scan();
            place(&s, "streamed.jsonl", parent);
        }
        s.scan();
        let sonnet = s.get(DAY, ClaudeCode, SONNET);
        assert_eq!(
            (sonnet.calls, sonnet.cache_read),
            (2, 85_817),
            "parent_first={parent_first}"
        );
        let haiku = s.get(DAY, ClaudeCode, HAIKU);
        assert_eq!((haiku.calls, haiku.input, haiku.output), (1, 300, 25));
    }
}

#[test]
fn synthetic_lines_are_skipped_missing_request_ids_and_null_counts_are_handled() {
    let mut s = Sandbox::new();
    place(&s, "synthetic.jsonl", ".claude/projects/p/s3.jsonl");
    let summary = s.scan();
    assert_eq!(summary.lines_skipped, 0);
    assert!(
        !s.sums()
            .keys()
            .any(|(_, _, model)| model.contains("synthetic"))
    );
    let got = s.get(DAY, ClaudeCode, SONNET);
    // msg_noreq: two lines, the larger kept (output 9); msg_null: nulls are zero.
    assert_eq!((got.calls, got.input, got.output), (2, 7, 14));
}

#[test]
fn malformed_lines_are_skipped_and_counted_and_a_half_written_line_waits() {
    let mut s = Sandbox::new();
    let path = s.home().join(".claude/projects/p/s4.jsonl");
    place(&s, "malformed.jsonl", ".claude/projects/p/s4.jsonl");
    let summary = s.scan();
    assert_eq!(summary.lines_skipped, 3);
    let got = s.get(DAY, ClaudeCode, SONNET);
    assert_eq!((got.calls, got.output), (2, 3));
    // The writer finishes the last line: it is counted, nothing twice.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(
        &mut file,
        b"\"}],\"usage\":{\"input_tokens\":3,\"output_tokens\":3}}}\n",
    )
    .unwrap();
    let summary = s.scan();
    assert_eq!((summary.calls_new, summary.lines_skipped), (1, 0));
    let got = s.get(DAY, ClaudeCode, SONNET);
    assert_eq!((got.calls, got.output), (3, 6));
}

#[test]
fn claude_config_dir_replaces_the_default_roots() {
    use crate::{Collector, Env};
    let roots = super::ClaudeCode.roots(&Env::from_pairs([
        ("HOME", "/h"),
        ("CLAUDE_CONFIG_DIR", "/c"),
    ]));
    assert_eq!(roots, vec![std::path::PathBuf::from("/c/projects")]);
    let roots = super::ClaudeCode.roots(&Env::from_pairs([("HOME", "/h")]));
    assert_eq!(
        roots,
        vec![
            std::path::PathBuf::from("/h/.claude/projects"),
            std::path::PathBuf::from("/h/.config/claude/projects")
        ]
    );
    let windows = super::ClaudeCode.roots(&Env::from_pairs([("USERPROFILE", "C:/Users/a")]));
    assert_eq!(
        windows[0],
        std::path::PathBuf::from("C:/Users/a/.claude/projects")
    );
}
