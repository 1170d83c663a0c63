use tokentally_event::Tool::{Cline, KiloCode, RooCode};

use super::{CLINE, KILO_CODE, ROO_CODE};
use crate::{
    Collector, Env,
    platform::Os,
    testkit::{Sandbox, Sums, fixture},
};

fn tasks(extension: &str) -> String {
    format!(".config/Code/User/globalStorage/{extension}/tasks/1762355680000")
}

#[test]
fn cline_input_is_uncached_and_the_model_comes_from_task_metadata() {
    let mut s = Sandbox::new();
    let dir = tasks("saoudrizwan.claude-dev");
    s.place(
        &fixture("cline_family", "cline_ui_messages.json"),
        &format!("{dir}/ui_messages.json"),
    );
    s.place(
        &fixture("cline_family", "cline_task_metadata.json"),
        &format!("{dir}/task_metadata.json"),
    );
    s.scan();
    let sonnet = Sums {
        input: 12,
        cache_read: 38_000,
        cache_write: 2100,
        output: 845,
        reasoning: 0,
        calls: 1,
    };
    assert_eq!(
        s.get("2025-11-05", Cline, "claude-sonnet-4-5-20250929"),
        sonnet
    );
    // A cancelled request that carries counts was billed: counted. The
    // first-phase record without counts is not.
    let haiku = s.get("2025-11-05", Cline, "claude-haiku-4-5-20251001");
    assert_eq!(
        (haiku.calls, haiku.input, haiku.cache_read, haiku.output),
        (1, 5, 1000, 40)
    );
}

#[test]
fn roo_input_is_total_in_current_builds_and_by_protocol_in_old_ones() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("cline_family", "roo_ui_messages.json"),
        &format!("{}/ui_messages.json", tasks("rooveterinaryinc.roo-cline")),
    );
    s.scan();
    let gpt = Sums {
        input: 8000,
        cache_read: 42_000,
        cache_write: 0,
        output: 970,
        reasoning: 0,
        calls: 2,
    };
    assert_eq!(s.get("2025-12-06", RooCode, "gpt-5"), gpt);
    let sonnet = Sums {
        input: 2010,
        cache_read: 49_000,
        cache_write: 3500,
        output: 150,
        reasoning: 0,
        calls: 2,
    };
    assert_eq!(s.get("2025-12-06", RooCode, "claude-sonnet-4-5"), sonnet);
}

#[test]
fn kilo_code_follows_the_protocol_and_marks_missing_usage_estimated() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("cline_family", "kilo_ui_messages.json"),
        &format!("{}/ui_messages.json", tasks("kilocode.kilo-code")),
    );
    s.scan();
    let sonnet = s.get("2025-12-17", KiloCode, "claude-sonnet-4-5");
    assert_eq!(
        (
            sonnet.input,
            sonnet.cache_write,
            sonnet.cache_read,
            sonnet.output
        ),
        (20, 1000, 15_000, 300)
    );
    assert_eq!(s.get("2025-12-17", KiloCode, "gpt-5").input, 1000);
    assert_eq!(s.estimated_calls(KiloCode), 1);
}

#[test]
fn a_rewritten_task_file_counts_each_request_once_and_keeps_removed_ones() {
    let mut s = Sandbox::new();
    let dir = tasks("saoudrizwan.claude-dev");
    let path = s.place(
        &fixture("cline_family", "cline_ui_messages.json"),
        &format!("{dir}/ui_messages.json"),
    );
    s.scan();
    // A checkpoint restore rewrites the file without the later requests.
    let all: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_vec(&all[..2]).unwrap()).unwrap();
    let again = s.scan();
    assert_eq!((again.files_read, again.calls_new), (1, 0));
    let total: u64 = s.sums().values().map(|v| v.calls).sum();
    assert_eq!(total, 2);
}

#[test]
fn every_editor_flavour_and_os_is_searched() {
    let env = Env::from_pairs([
        ("HOME", "/home/a"),
        ("APPDATA", "C:/Users/a/AppData/Roaming"),
    ]);
    let linux = CLINE.roots_for(&env, Os::Linux);
    assert!(
        linux.contains(
            &"/home/a/.config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks".into()
        )
    );
    assert!(linux.contains(
        &"/home/a/.vscode-server/data/User/globalStorage/saoudrizwan.claude-dev/tasks".into()
    ));
    let mac = ROO_CODE.roots_for(&env, Os::MacOs);
    assert!(mac.contains(&"/home/a/Library/Application Support/Cursor/User/globalStorage/rooveterinaryinc.roo-cline/tasks".into()));
    let windows = KILO_CODE.roots_for(&env, Os::Windows);
    assert!(windows.contains(
        &"C:/Users/a/AppData/Roaming/Code/User/globalStorage/kilocode.kilo-code/tasks".into()
    ));
    assert!(CLINE.is_log("/x/tasks/1/ui_messages.json".as_ref()));
    assert!(!CLINE.is_log("/x/tasks/1/api_conversation_history.json".as_ref()));
}
