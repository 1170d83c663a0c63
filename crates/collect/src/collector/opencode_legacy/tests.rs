use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tokentally_event::Tool::OpenCode;

use super::{KILO_CLI_LEGACY, OPENCODE_LEGACY};
use crate::{
    Collector, Env,
    testkit::{Sandbox, Sums, fixture},
};

const DATA: &str = ".local/share/opencode";

/// Copies the fixture `storage/` tree into the home's OpenCode folder.
fn place_storage(s: &Sandbox) {
    let from = fixture("opencode_legacy", "storage");
    copy_tree(&from, &s.home().join(DATA).join("storage"));
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn part(s: &Sandbox, message: &str, id: &str, body: &str) -> PathBuf {
    let path = s
        .home()
        .join(DATA)
        .join("storage/part")
        .join(message)
        .join(format!("{id}.json"));
    std::fs::write(&path, body).unwrap();
    path
}

const SONNET: Sums = Sums {
    input: 1000,
    cache_read: 2500,
    cache_write: 1000,
    output: 600,
    reasoning: 0,
    calls: 1,
};

#[test]
fn a_legacy_message_is_the_sum_of_its_steps_or_its_own_tokens() {
    let mut s = Sandbox::new();
    place_storage(&s);
    s.scan();
    // The message's own tokens hold only its last step.
    assert_eq!(s.get("2026-02-14", OpenCode, "claude-sonnet-4-5"), SONNET);
    // No steps: the message's tokens, reasoning apart from output.
    assert_eq!(
        s.get("2026-02-14", OpenCode, "gpt-5"),
        Sums {
            input: 1000,
            output: 240,
            reasoning: 20,
            calls: 1,
            ..Sums::default()
        }
    );
    s.assert_no_canary_in_ledger();
}

#[test]
fn a_step_written_later_is_added_to_its_message_once() {
    let mut s = Sandbox::new();
    place_storage(&s);
    s.scan();
    part(
        &s,
        "msg_a",
        "prt_5",
        r#"{"id":"prt_5","messageID":"msg_a","type":"step-finish","tokens":{"input":10,"output":5,"cache":{"read":0,"write":0}}}"#,
    );
    s.scan();
    s.scan();
    assert_eq!(
        s.get("2026-02-14", OpenCode, "claude-sonnet-4-5"),
        Sums {
            input: 1010,
            output: 605,
            ..SONNET
        }
    );
}

#[test]
fn a_message_in_both_the_database_and_the_legacy_files_counts_once() {
    let mut s = Sandbox::new();
    place_storage(&s);
    let conn = Connection::open(s.home().join(DATA).join("opencode.db")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = wal;
         CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
         CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);",
    )
    .unwrap();
    let message =
        std::fs::read_to_string(s.home().join(DATA).join("storage/message/ses_L/msg_a.json"))
            .unwrap();
    conn.execute(
        "INSERT INTO message VALUES ('msg_a', 'ses_L', 1771083156415, 1771083174019, ?1)",
        [&message],
    )
    .unwrap();
    for id in ["prt_2", "prt_3"] {
        let data = std::fs::read_to_string(
            s.home()
                .join(DATA)
                .join(format!("storage/part/msg_a/{id}.json")),
        )
        .unwrap();
        conn.execute(
            "INSERT INTO part VALUES (?1, 'msg_a', 'ses_L', 0, 0, ?2)",
            [id, &data],
        )
        .unwrap();
    }
    s.scan();
    assert_eq!(s.get("2026-02-14", OpenCode, "claude-sonnet-4-5"), SONNET);
}

#[test]
fn legacy_roots_follow_the_xdg_data_home() {
    let env = Env::from_pairs([("HOME", "/h"), ("XDG_DATA_HOME", "/d")]);
    assert_eq!(
        OPENCODE_LEGACY.roots(&env),
        vec![PathBuf::from("/d/opencode/storage/message")]
    );
    assert_eq!(
        KILO_CLI_LEGACY.roots(&Env::from_pairs([("HOME", "/h")])),
        vec![PathBuf::from("/h/.local/share/kilo/storage/message")]
    );
    assert!(OPENCODE_LEGACY.is_log(Path::new("/d/opencode/storage/message/ses/msg.json")));
    assert!(!OPENCODE_LEGACY.is_log(Path::new("/d/opencode/storage/part/msg/prt.json")));
}
