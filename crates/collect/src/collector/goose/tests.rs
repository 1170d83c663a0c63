use rusqlite::{Connection, params};
use tokentally_event::Tool::Goose;

use crate::{
    Env,
    platform::Os,
    testkit::{Sandbox, Sums},
};

const DB: &str = ".local/share/goose/sessions/sessions.db";

fn writer(s: &Sandbox) -> Connection {
    let path = s.home().join(DB);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = wal;
         CREATE TABLE sessions (id TEXT PRIMARY KEY, name TEXT, working_dir TEXT, created_at TEXT, updated_at TEXT,
            total_tokens INTEGER, input_tokens INTEGER, output_tokens INTEGER,
            accumulated_total_tokens INTEGER, accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER,
            provider_name TEXT, model_config_json TEXT);",
    )
    .unwrap();
    conn
}

fn set(conn: &Connection, updated: &str, input: i64, output: i64) {
    conn.execute(
        "INSERT INTO sessions VALUES ('20260505_3', 'TTCANARY-goose-name', '/home/dev/app', '2026-05-05 12:00:00', ?1,
            ?4, 5200, 300, ?4, ?2, ?3, 'openai', '{\"model_name\":\"gpt-5\"}')
         ON CONFLICT (id) DO UPDATE SET updated_at = ?1, accumulated_input_tokens = ?2,
            accumulated_output_tokens = ?3, accumulated_total_tokens = ?4",
        params![updated, input, output, input + output],
    )
    .unwrap();
}

#[test]
fn session_counters_are_counted_by_how_far_they_moved_between_reads() {
    let mut s = Sandbox::new();
    let w = writer(&s);
    set(&w, "2026-05-05 12:40:00", 84_000, 6100);
    s.scan();
    // Nothing moved: nothing new, even when the file is touched.
    s.scan();
    set(&w, "2026-05-06 09:00:00", 90_000, 6500);
    s.scan();
    assert_eq!(
        s.get("2026-05-05", Goose, "gpt-5"),
        Sums {
            input: 84_000,
            output: 6100,
            calls: 1,
            ..Sums::default()
        }
    );
    assert_eq!(
        s.get("2026-05-06", Goose, "gpt-5"),
        Sums {
            input: 6000,
            output: 400,
            calls: 1,
            ..Sums::default()
        }
    );
}

#[test]
fn goose_data_dir_per_os_and_override() {
    let env = Env::from_pairs([("HOME", "/h"), ("APPDATA", "C:/Users/a/AppData/Roaming")]);
    assert_eq!(
        super::Goose::data_dir(&env, Os::Linux),
        Some("/h/.local/share/goose".into())
    );
    assert_eq!(
        super::Goose::data_dir(&env, Os::MacOs),
        Some("/h/.local/share/goose".into())
    );
    assert_eq!(
        super::Goose::data_dir(&env, Os::Windows),
        Some("C:/Users/a/AppData/Roaming/Block/goose/data".into())
    );
    let rooted = Env::from_pairs([("HOME", "/h"), ("GOOSE_PATH_ROOT", "/g")]);
    assert_eq!(
        super::Goose::data_dir(&rooted, Os::Linux),
        Some("/g/data".into())
    );
}

#[test]
fn an_updated_at_far_out_of_range_is_no_time() {
    // Found by fuzzing (fuzz/fuzz_targets/goose.rs): seconds times 1000
    // overflowed.
    use rusqlite::types::Value;
    assert_eq!(
        super::time_of(&Value::Integer(-5_456_002_545_409_123_600)),
        None
    );
    assert_eq!(
        super::time_of(&Value::Integer(1_772_704_800)),
        Some(1_772_704_800_000)
    );
}
