//! OpenCode's database is written here by a second connection, in WAL mode,
//! as the tool writes it: rows inserted, updated in place while streaming,
//! deleted; and read while that connection holds the write lock.

use rusqlite::{Connection, params};
use tokentally_event::Tool::{KiloCli, OpenCode};

use super::{KILO_CLI, OPENCODE};
use crate::{
    Collector, Env,
    testkit::{Sandbox, Sums},
};

const SCHEMA: &str = "
PRAGMA journal_mode = wal;
CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT, parent_id TEXT, title TEXT, time_created INTEGER, time_updated INTEGER);
CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE, time_created INTEGER, time_updated INTEGER, data TEXT NOT NULL);
CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL, time_created INTEGER, time_updated INTEGER, data TEXT NOT NULL);
";

// 2026-02-14T15:32:36.415Z
const T0: i64 = 1_771_083_156_415;

fn writer(s: &Sandbox, relative: &str) -> Connection {
    let path = s.home().join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute(
        "INSERT INTO session VALUES ('ses_1', 'p', NULL, 'TTCANARY-oc-title', ?1, ?1)",
        [T0],
    )
    .unwrap();
    conn
}

fn message(conn: &Connection, id: &str, tokens: &str) {
    let data = format!(
        r#"{{"role":"assistant","time":{{"created":{T0},"completed":{}}},"parentID":"msg_u","modelID":"claude-sonnet-4-5","providerID":"anthropic","mode":"build","cost":0.01,"tokens":{tokens},"finish":"stop"}}"#,
        T0 + 5000
    );
    conn.execute(
        "INSERT INTO message VALUES (?1, 'ses_1', ?2, ?2, ?3)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data, time_updated = excluded.time_updated",
        params![id, T0, data],
    )
    .unwrap();
}

fn user_message(conn: &Connection) {
    let data = r#"{"role":"user","time":{"created":1771083150000},"model":{"providerID":"anthropic","modelID":"claude-sonnet-4-5"}}"#;
    conn.execute(
        "INSERT INTO message VALUES ('msg_u', 'ses_1', 1771083150000, 1771083150000, ?1)",
        [data],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO part VALUES ('prt_u', 'msg_u', 'ses_1', 1, 1, ?1)",
        [r#"{"type":"text","text":"TTCANARY-oc-prompt step-finish"}"#],
    )
    .unwrap();
}

fn step(conn: &Connection, id: &str, message: &str, tokens: &str) {
    let data =
        format!(r#"{{"type":"step-finish","reason":"tool-calls","cost":0.001,"tokens":{tokens}}}"#);
    conn.execute(
        "INSERT INTO part VALUES (?1, ?2, 'ses_1', 1, 1, ?3)",
        params![id, message, data],
    )
    .unwrap();
}

const DB: &str = ".local/share/opencode/opencode.db";

#[test]
fn steps_are_summed_and_a_message_without_steps_uses_its_own_tokens() {
    let mut s = Sandbox::new();
    let w = writer(&s, DB);
    user_message(&w);
    // Two steps; the message's own tokens hold only the last one.
    message(
        &w,
        "msg_a",
        r#"{"total":6700,"input":700,"output":1500,"reasoning":0,"cache":{"read":3500,"write":1000}}"#,
    );
    step(
        &w,
        "prt_1",
        "msg_a",
        r#"{"input":300,"output":200,"reasoning":0,"cache":{"read":3000,"write":0}}"#,
    );
    step(
        &w,
        "prt_2",
        "msg_a",
        r#"{"total":6700,"input":700,"output":1500,"reasoning":0,"cache":{"read":3500,"write":1000}}"#,
    );
    // Reasoning apart from output (the total counts both).
    message(
        &w,
        "msg_b",
        r#"{"total":1450,"input":100,"output":300,"reasoning":50,"cache":{"read":1000,"write":0}}"#,
    );
    s.scan();
    let got = s.get("2026-02-14", OpenCode, "claude-sonnet-4-5");
    let want = Sums {
        input: 1100,
        cache_read: 7500,
        cache_write: 1000,
        output: 2050,
        reasoning: 50,
        calls: 2,
    };
    assert_eq!(got, want);
    // The tool's database holds text; the ledger does not.
    s.assert_no_canary_in_ledger();
}

#[test]
fn rows_updated_in_place_count_once_at_their_final_value_and_deletions_lose_nothing() {
    let mut s = Sandbox::new();
    let w = writer(&s, DB);
    message(
        &w,
        "msg_a",
        r#"{"input":700,"output":10,"reasoning":0,"cache":{"read":0,"write":0}}"#,
    );
    s.scan();
    message(
        &w,
        "msg_a",
        r#"{"input":700,"output":900,"reasoning":0,"cache":{"read":0,"write":0}}"#,
    );
    s.scan();
    let got = s.get("2026-02-14", OpenCode, "claude-sonnet-4-5");
    assert_eq!((got.calls, got.output), (1, 900));
    w.execute("DELETE FROM message", []).unwrap();
    let after = s.scan();
    assert!(after.problems.is_empty(), "{:?}", after.problems);
    assert_eq!(
        s.get("2026-02-14", OpenCode, "claude-sonnet-4-5").output,
        900
    );
}

#[test]
fn a_database_held_by_a_writer_is_read_up_to_its_last_commit() {
    let mut s = Sandbox::new();
    let w = writer(&s, DB);
    message(
        &w,
        "msg_a",
        r#"{"input":1,"output":2,"reasoning":0,"cache":{"read":0,"write":0}}"#,
    );
    // The writer holds the write lock with an uncommitted row.
    w.execute_batch("BEGIN IMMEDIATE").unwrap();
    message(
        &w,
        "msg_b",
        r#"{"input":1,"output":40,"reasoning":0,"cache":{"read":0,"write":0}}"#,
    );
    let during = s.scan();
    assert!(during.problems.is_empty(), "{:?}", during.problems);
    assert_eq!(s.get("2026-02-14", OpenCode, "claude-sonnet-4-5").output, 2);
    w.execute_batch("COMMIT").unwrap();
    s.scan();
    assert_eq!(
        s.get("2026-02-14", OpenCode, "claude-sonnet-4-5").output,
        42
    );
}

#[test]
fn kilo_cli_and_release_channels_share_the_format() {
    let mut s = Sandbox::new();
    let w = writer(&s, ".local/share/kilo/kilo-canary.db");
    message(
        &w,
        "msg_k",
        r#"{"input":5,"output":6,"reasoning":0,"cache":{"read":0,"write":0}}"#,
    );
    s.scan();
    assert_eq!(s.get("2026-02-14", KiloCli, "claude-sonnet-4-5").calls, 1);
    assert!(OPENCODE.is_log("/h/.local/share/opencode/opencode-canary.db".as_ref()));
    assert!(!OPENCODE.is_log("/h/.local/share/opencode/opencode.db-wal".as_ref()));
    assert!(!OPENCODE.is_log("/h/.local/share/opencode/storage/x.db".as_ref()));
    assert!(!KILO_CLI.is_log("/h/.local/share/kilo/kilocode.db".as_ref()));
    let roots = OPENCODE.roots(&Env::from_pairs([("HOME", "/h"), ("XDG_DATA_HOME", "/d")]));
    assert_eq!(roots, vec![std::path::PathBuf::from("/d/opencode")]);
    let windows = OPENCODE.roots(&Env::from_pairs([("USERPROFILE", "C:/Users/a")]));
    assert_eq!(
        windows,
        vec![std::path::PathBuf::from("C:/Users/a/.local/share/opencode")]
    );
}

#[test]
fn reasoning_stays_within_output_and_huge_counts_saturate() {
    // Seen while fuzzing (fuzz/fuzz_targets/opencode.rs): a total saying
    // reasoning is inside an output smaller than it; sums past u64.
    let usage = |json: &str| serde_json::from_str::<super::Usage>(json).unwrap().tokens();
    let t = usage(r#"{"total":10,"input":10,"output":0,"reasoning":5}"#);
    assert_eq!((t.output, t.reasoning), (0, 0));
    let max = u64::MAX;
    let t = usage(&format!(
        r#"{{"total":1,"input":{max},"output":{max},"reasoning":{max}}}"#
    ));
    assert_eq!((t.output, t.reasoning), (max, max));
    let mut sum = t;
    super::add_step(&mut sum, &t);
    assert_eq!(sum.input, max);
}
