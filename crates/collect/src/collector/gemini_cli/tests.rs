use tokentally_event::Tool::GeminiCli;

use crate::testkit::{Sandbox, Sums, fixture};

const CHATS: &str = ".gemini/tmp/my-app-1a2b/chats";

#[test]
fn re_appended_messages_count_once_with_cache_inside_and_thoughts_outside() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("gemini_cli", "session.jsonl"),
        &format!("{CHATS}/session-2026-05-01T09-00-3f2e0000.jsonl"),
    );
    let summary = s.scan();
    assert_eq!(summary.lines_skipped, 0);
    // m2 (re-appended with tokens) and m4 (inside a $set).
    let pro = Sums {
        input: 4100,
        cache_read: 8000,
        cache_write: 0,
        output: 1010,
        reasoning: 700,
        calls: 2,
    };
    assert_eq!(s.get("2026-05-01", GeminiCli, "gemini-2.5-pro"), pro);
    // m3, twice in the file (a rewind does not uncount it): input includes the tool prompt.
    let flash = Sums {
        input: 3808,
        cache_read: 11_526,
        cache_write: 0,
        output: 942,
        reasoning: 919,
        calls: 1,
    };
    assert_eq!(s.get("2026-05-01", GeminiCli, "gemini-2.5-flash"), flash);
}

#[test]
fn a_legacy_json_session_beside_its_jsonl_copy_counts_each_message_once() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("gemini_cli", "session.jsonl"),
        &format!("{CHATS}/session-2026-05-01T09-00-3f2e0000.jsonl"),
    );
    s.place(
        &fixture("gemini_cli", "legacy.json"),
        &format!("{CHATS}/session-2026-05-01T09-00-3f2e0000.json"),
    );
    s.scan();
    assert_eq!(s.get("2026-05-01", GeminiCli, "gemini-2.5-pro").calls, 2);
    let older = s.get("2026-04-30", GeminiCli, "gemini-2.5-pro");
    assert_eq!((older.calls, older.input, older.output), (1, 50, 5));
    // Rewritten whole: read again on change, nothing counted twice.
    let path = s
        .home()
        .join(format!("{CHATS}/session-2026-05-01T09-00-3f2e0000.json"));
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "\"lastUpdated\":\"2026-05-01T09:01:00.000Z\"",
        "\"lastUpdated\":\"2026-05-01T09:02:00.000Z\"",
    );
    std::fs::write(&path, text).unwrap();
    let again = s.scan();
    assert_eq!((again.files_read, again.calls_new), (1, 0));
    assert_eq!(s.get("2026-04-30", GeminiCli, "gemini-2.5-pro").calls, 1);
}

#[test]
fn gemini_cli_home_replaces_the_home() {
    use crate::{Collector, Env};
    let roots = super::GeminiCli.roots(&Env::from_pairs([
        ("HOME", "/h"),
        ("GEMINI_CLI_HOME", "/g"),
    ]));
    assert_eq!(roots, vec![std::path::PathBuf::from("/g/.gemini/tmp")]);
    assert!(super::GeminiCli.is_log("/h/.gemini/tmp/p/chats/parent/sub.jsonl".as_ref()));
    assert!(!super::GeminiCli.is_log("/h/.gemini/tmp/p/logs.json".as_ref()));
}
