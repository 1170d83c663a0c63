//! Incremental reading on real files: appends, truncation, replacement,
//! rewrites and deletion, and the canary check over every fixture.

use std::io::Write;

use tokentally_event::Tool::ClaudeCode;

use crate::testkit::{Sandbox, all_bytes_under, fixture};

const DAY: &str = "2026-03-02";
const SONNET: &str = "claude-sonnet-4-5-20250929";
const LOG: &str = ".claude/projects/p/s1.jsonl";

fn lines() -> Vec<Vec<u8>> {
    let text = std::fs::read(fixture("claude_code", "streamed.jsonl")).unwrap();
    text.split_inclusive(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn append(path: &std::path::Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(bytes).unwrap();
}

#[test]
fn appended_lines_are_read_once_and_unchanged_files_are_not_reread() {
    let mut s = Sandbox::new();
    let path = s.home().join(LOG);
    let lines = lines();
    append(&path, &lines[..3].concat());
    s.scan();
    assert_eq!(s.get(DAY, ClaudeCode, SONNET).output, 100);
    append(&path, &lines[3..].concat());
    let second = s.scan();
    assert_eq!(second.bytes_read, lines[3..].concat().len() as u64);
    assert_eq!(s.get(DAY, ClaudeCode, SONNET).output, 557);
    let third = s.scan();
    assert_eq!((third.bytes_read, third.files_read), (0, 0));
}

#[test]
fn a_truncated_and_rewritten_file_is_reread_without_double_counting_or_loss() {
    let mut s = Sandbox::new();
    let path = s.home().join(LOG);
    let lines = lines();
    append(&path, &lines.concat());
    s.scan();
    // Compaction: the tool rewrites the file with only its last call.
    std::fs::write(&path, &lines[5]).unwrap();
    s.scan();
    let got = s.get(DAY, ClaudeCode, SONNET);
    assert_eq!((got.calls, got.output), (2, 557));
    // Then the file grows again past its old length.
    append(&path, &lines.concat());
    s.scan();
    assert_eq!(s.get(DAY, ClaudeCode, SONNET).calls, 2);
}

#[test]
fn a_file_rewritten_in_place_with_the_same_length_is_detected() {
    let mut s = Sandbox::new();
    let path = s.home().join(LOG);
    let lines = lines();
    append(&path, &lines[..2].concat());
    s.scan();
    // Same size, different bytes before the checkpoint: read again.
    let mut other = lines[..2].concat();
    let at = other.len() - 20;
    other[at] = b' ';
    std::fs::write(&path, &other).unwrap();
    append(&path, &lines[2..].concat());
    s.scan();
    assert_eq!(s.get(DAY, ClaudeCode, SONNET).output, 557);
}

#[test]
fn a_replaced_file_is_read_from_the_start_and_a_deleted_one_loses_nothing() {
    let mut s = Sandbox::new();
    let path = s.home().join(LOG);
    let lines = lines();
    append(&path, &lines[..4].concat());
    s.scan();
    // Replaced by a new file (new inode) holding more.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, lines.concat()).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    s.scan();
    let got = s.get(DAY, ClaudeCode, SONNET);
    assert_eq!((got.calls, got.output), (2, 557));
    std::fs::remove_file(&path).unwrap();
    s.scan();
    assert_eq!(s.get(DAY, ClaudeCode, SONNET).calls, 2);
}

#[test]
fn invalid_utf8_and_huge_lines_are_skipped_and_counted() {
    let mut s = Sandbox::new();
    let path = s.home().join(LOG);
    let lines = lines();
    let canary_at = |line: &[u8]| memchr::memmem::find(line, b"TTCANARY").unwrap();
    let mut bad = lines[1].clone();
    let at = canary_at(&bad);
    bad[at] = 0xFF;
    let mut huge = lines[3].clone();
    let at = canary_at(&huge);
    huge.splice(at..at, "x".repeat(20 << 20).bytes());
    // Invalid UTF-8 in an identifier the parser needs: that line is skipped.
    let mut bad_id = lines[5].clone();
    let at = memchr::memmem::find(&bad_id, b"msg_2").unwrap();
    bad_id[at + 3] = 0xFF;
    append(&path, &[lines[0].clone(), bad, huge, bad_id].concat());
    let summary = s.scan();
    assert_eq!(summary.lines_skipped, 1, "invalid UTF-8 in an id");
    // Invalid UTF-8 inside skipped text does not lose the line's counts, and
    // the 20 MB line is a valid call record: both are read.
    let got = s.get(DAY, ClaudeCode, SONNET);
    assert_eq!((got.calls, got.output), (1, 517));
}

#[test]
fn no_canary_from_any_fixture_reaches_the_ledger() {
    let mut s = Sandbox::new();
    for (tool, name, to) in EVERY_FIXTURE {
        s.place(&fixture(tool, name), to);
    }
    let fixtures_hold_canaries = all_bytes_under(&s.home())
        .iter()
        .filter(|(path, _)| !path.ends_with("tokensGenerated.jsonl")) // Continue logs no text
        .all(|(_, bytes)| memchr::memmem::find(bytes, b"TTCANARY").is_some());
    assert!(fixtures_hold_canaries);
    let summary = s.scan();
    assert!(summary.problems.is_empty(), "{:?}", summary.problems);
    assert!(summary.calls_new >= 38, "{}", summary.calls_new);
    let data = s.dir.path().join("data");
    let files = all_bytes_under(&data);
    assert!(
        files
            .iter()
            .any(|(p, _)| p.to_string_lossy().ends_with("-wal"))
    );
    for (path, bytes) in files {
        assert!(
            memchr::memmem::find(&bytes, b"TTCANARY").is_none(),
            "canary in {}",
            path.display()
        );
    }
}

/// Every file fixture of every collector, and where it goes in a home.
const EVERY_FIXTURE: &[(&str, &str, &str)] = &[
    (
        "claude_code",
        "streamed.jsonl",
        ".claude/projects/p/a.jsonl",
    ),
    ("claude_code", "resumed.jsonl", ".claude/projects/p/b.jsonl"),
    (
        "claude_code",
        "sidechain.jsonl",
        ".claude/projects/p/a/subagents/agent-1.jsonl",
    ),
    (
        "claude_code",
        "synthetic.jsonl",
        ".claude/projects/p/c.jsonl",
    ),
    (
        "claude_code",
        "malformed.jsonl",
        ".claude/projects/p/d.jsonl",
    ),
    (
        "codex",
        "session.jsonl",
        ".codex/sessions/2026/04/10/rollout-a.jsonl",
    ),
    (
        "codex",
        "fork.jsonl",
        ".codex/sessions/2026/04/10/rollout-b.jsonl",
    ),
    (
        "codex",
        "spawned.jsonl",
        ".codex/sessions/2026/04/10/rollout-c.jsonl",
    ),
    (
        "gemini_cli",
        "session.jsonl",
        ".gemini/tmp/p/chats/session-a.jsonl",
    ),
    (
        "gemini_cli",
        "legacy.json",
        ".gemini/tmp/p/chats/session-a.json",
    ),
    (
        "qwen_code",
        "session.jsonl",
        ".qwen/projects/p/chats/a.jsonl",
    ),
    ("qwen_code", "fork.jsonl", ".qwen/projects/p/chats/b.jsonl"),
    (
        "cline_family",
        "cline_ui_messages.json",
        ".config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks/1/ui_messages.json",
    ),
    (
        "cline_family",
        "cline_task_metadata.json",
        ".config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks/1/task_metadata.json",
    ),
    (
        "cline_family",
        "roo_ui_messages.json",
        ".config/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks/2/ui_messages.json",
    ),
    (
        "cline_family",
        "kilo_ui_messages.json",
        ".config/Code/User/globalStorage/kilocode.kilo-code/tasks/3/ui_messages.json",
    ),
    ("amp", "T-current.json", ".local/share/amp/threads/T-1.json"),
    ("amp", "T-legacy.json", ".local/share/amp/threads/T-2.json"),
    (
        "continue_dev",
        "tokensGenerated.jsonl",
        ".continue/dev_data/0.2.0/tokensGenerated.jsonl",
    ),
];
