use rusqlite::{Connection, params};
use tokentally_event::Tool::Cursor;

use crate::{
    Env,
    platform::Os,
    testkit::{Sandbox, Sums},
};

#[test]
fn counted_bubbles_are_exact_others_estimated_and_credentials_never_read() {
    let mut s = Sandbox::new();
    let db = database(&s);
    db.execute_batch(
        "CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
         INSERT INTO ItemTable VALUES ('cursorAuth/accessToken', 'TTCANARY-cursor-secret');",
    )
    .unwrap();
    let put = |key: &str, value: &str| put(&db, key, value);
    put(
        "composerData:c1",
        r#"{"createdAt":1770724800000,"contextTokensUsed":5000}"#,
    );
    put(
        "bubbleId:c1:b1",
        r#"{"type":1,"createdAt":"2026-02-10T12:00:00.000Z","text":"hello world"}"#,
    );
    put(
        "bubbleId:c1:b2",
        r#"{"type":2,"createdAt":"2026-02-10T12:00:03.000Z","requestId":"r-1","text":"The quick brown fox jumps over the lazy dog.","tokenCount":{"inputTokens":0,"outputTokens":0},"modelInfo":{"modelName":"gpt-4o"}}"#,
    );
    put(
        "bubbleId:c1:b3",
        r#"{"type":1,"createdAt":"2026-02-10T12:01:00.000Z","text":"TTCANARY-cursor-prompt"}"#,
    );
    put(
        "bubbleId:c1:b4",
        r#"{"type":2,"createdAt":"2026-02-10T12:01:05.000Z","requestId":"r-2","text":"TTCANARY-cursor-answer","tokenCount":{"inputTokens":15800,"outputTokens":640},"modelInfo":{"modelName":"claude-4.5-sonnet-thinking"}}"#,
    );
    s.scan();
    assert_eq!(
        s.get("2026-02-10", Cursor, "gpt-4o"),
        Sums {
            input: 2,
            output: 10,
            calls: 1,
            ..Sums::default()
        }
    );
    assert_eq!(
        s.get("2026-02-10", Cursor, "claude-4.5-sonnet-thinking"),
        Sums {
            input: 15_800,
            output: 640,
            calls: 1,
            ..Sums::default()
        }
    );
    assert_eq!(s.estimated_calls(Cursor), 1);
    s.assert_no_canary_in_ledger();
}

#[test]
fn cursor_data_per_os() {
    let env = Env::from_pairs([("HOME", "/h"), ("APPDATA", "C:/Users/a/AppData/Roaming")]);
    assert_eq!(
        super::Cursor::root_for(&env, Os::MacOs),
        Some("/h/Library/Application Support/Cursor/User/globalStorage/state.vscdb".into())
    );
    assert_eq!(
        super::Cursor::root_for(&env, Os::Windows),
        Some("C:/Users/a/AppData/Roaming/Cursor/User/globalStorage/state.vscdb".into())
    );
    assert_eq!(
        super::Cursor::root_for(&env, Os::Linux),
        Some("/h/.config/Cursor/User/globalStorage/state.vscdb".into())
    );
}

fn db_path(s: &Sandbox) -> std::path::PathBuf {
    s.home()
        .join(".config/Cursor/User/globalStorage/state.vscdb")
}

fn database(s: &Sandbox) -> Connection {
    let path = db_path(s);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let db = Connection::open(&path).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode = wal;
         CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);",
    )
    .unwrap();
    db
}

fn put(db: &Connection, key: &str, value: &str) {
    db.execute(
        "INSERT INTO cursorDiskKV VALUES (?1, ?2)",
        params![key, value],
    )
    .unwrap();
}

fn reply(at: &str, text: &str, model: &str) -> String {
    format!(
        r#"{{"type":2,"createdAt":"{at}","text":"{text}","tokenCount":{{"inputTokens":0,"outputTokens":0}},"modelInfo":{{"modelName":"{model}"}}}}"#
    )
}

#[test]
fn a_new_reply_in_an_old_conversation_finds_its_prompt_below_the_watermark() {
    let mut s = Sandbox::new();
    let db = database(&s);
    let prompt = "Please refactor the parser into two modules";
    put(
        &db,
        "bubbleId:c1:b1",
        &format!(r#"{{"type":1,"createdAt":"2026-02-10T12:00:00.000Z","text":"{prompt}"}}"#),
    );
    // Another conversation pushes c1's rows far below the lookback.
    db.execute_batch("BEGIN").unwrap();
    for i in 0..(super::LOOKBACK_ROWS + 1000) {
        put(
            &db,
            &format!("bubbleId:c2:u{i}"),
            r#"{"type":1,"createdAt":"2026-02-11T09:00:00.000Z","text":"x"}"#,
        );
    }
    db.execute_batch("COMMIT").unwrap();
    s.scan();
    assert_eq!(s.get("2026-02-10", Cursor, "gpt-4o"), Sums::default());

    let answer = "Done: the lexer and the parser now live apart.";
    put(
        &db,
        "bubbleId:c1:b2",
        &reply("2026-02-10T12:00:09.000Z", answer, "gpt-4o"),
    );
    s.scan();
    assert_eq!(
        s.get("2026-02-10", Cursor, "gpt-4o"),
        Sums {
            input: tokentally_estimate::count("gpt-4o", prompt),
            output: tokentally_estimate::count("gpt-4o", answer),
            calls: 1,
            ..Sums::default()
        }
    );
}

#[test]
fn a_recreated_database_is_read_in_full() {
    let mut s = Sandbox::new();
    let db = database(&s);
    for i in 0..50 {
        put(
            &db,
            &format!("bubbleId:c1:b{i}"),
            &reply("2026-02-10T12:00:00.000Z", "one two three", "gpt-4o"),
        );
    }
    s.scan();
    assert_eq!(s.get("2026-02-10", Cursor, "gpt-4o").calls, 50);
    drop(db);
    let path = db_path(&s);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let db = database(&s);
    put(
        &db,
        "bubbleId:c9:b1",
        &reply("2026-02-12T08:00:00.000Z", "four five", "gpt-4o"),
    );
    s.scan();
    assert_eq!(s.get("2026-02-12", Cursor, "gpt-4o").calls, 1);
    // What was counted before the file was recreated stays counted.
    assert_eq!(s.get("2026-02-10", Cursor, "gpt-4o").calls, 50);
}
