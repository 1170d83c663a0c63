use tokentally_event::Tool::Copilot;

use crate::{
    Env,
    platform::Os,
    testkit::{Sandbox, Sums, fixture},
};

const WORKSPACE: &str = ".config/Code/User/workspaceStorage/3a5f/chatSessions";

#[test]
fn reported_counts_are_exact_and_the_rest_is_estimated_from_the_text() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("copilot", "legacy.json"),
        &format!("{WORKSPACE}/c0ffee.json"),
    );
    s.scan();
    assert_eq!(
        s.get("2025-12-29", Copilot, "gpt-5"),
        Sums {
            input: 18_000,
            output: 350,
            calls: 1,
            ..Sums::default()
        }
    );
    // "hello world" is 2 tokens and the pangram 10 in o200k_base.
    assert_eq!(
        s.get("2025-12-29", Copilot, "gpt-4o"),
        Sums {
            input: 2,
            output: 10,
            calls: 1,
            ..Sums::default()
        }
    );
    assert_eq!(s.estimated_calls(Copilot), 1);
}

#[test]
fn an_operation_log_is_replayed_into_its_requests() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("copilot", "session.jsonl"),
        ".config/Code/User/globalStorage/emptyWindowChatSessions/beef.jsonl",
    );
    s.scan();
    // The routed model id keeps its last segment.
    assert_eq!(
        s.get("2025-12-30", Copilot, "claude-haiku-4.5"),
        Sums {
            input: 1200,
            output: 80,
            calls: 1,
            ..Sums::default()
        }
    );
    assert_eq!(
        s.get("2025-12-30", Copilot, "gpt-4o"),
        Sums {
            input: 2,
            output: 10,
            calls: 1,
            ..Sums::default()
        }
    );
    assert_eq!(s.estimated_calls(Copilot), 1);
}

#[test]
fn every_editor_and_os_is_searched() {
    let env = Env::from_pairs([
        ("HOME", "/home/a"),
        ("APPDATA", "C:/Users/a/AppData/Roaming"),
    ]);
    let mac = super::Copilot::roots_for(&env, Os::MacOs);
    assert!(mac.contains(&"/home/a/Library/Application Support/Code/User/workspaceStorage".into()));
    let windows = super::Copilot::roots_for(&env, Os::Windows);
    assert!(windows.contains(&"C:/Users/a/AppData/Roaming/Code - Insiders/User/globalStorage/emptyWindowChatSessions".into()));
    use crate::Collector;
    assert!(super::Copilot.is_log("/x/workspaceStorage/h/chatSessions/a.jsonl".as_ref()));
    assert!(!super::Copilot.is_log("/x/workspaceStorage/h/state.vscdb".as_ref()));
}

#[test]
fn a_far_array_index_lands_at_the_end_instead_of_padding() {
    // Found reading the replay for fuzzing: padding up to this index
    // asked for terabytes and aborted the scan.
    let log = concat!(
        r#"{"kind":0,"v":{"sessionId":"s","requests":[]}}"#,
        "\n",
        r#"{"kind":1,"k":["requests",99999999999],"v":{"timestamp":1770724800000,"result":{"metadata":{"promptTokens":5,"outputTokens":7}}}}"#,
        "\n",
    );
    let doc = super::replay(log.as_bytes()).unwrap();
    assert_eq!(doc["requests"].as_array().map(Vec::len), Some(1));
}
