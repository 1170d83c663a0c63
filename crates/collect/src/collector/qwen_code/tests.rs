use tokentally_event::Tool::QwenCode;

use crate::testkit::{Sandbox, Sums, fixture};

const CHATS: &str = ".qwen/projects/-home-dev-app/chats";

#[test]
fn cache_is_inside_the_prompt_and_thoughts_are_decided_by_the_total() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("qwen_code", "session.jsonl"),
        &format!("{CHATS}/69f0.jsonl"),
    );
    s.scan();
    // u-2 and u-4 (thoughts inside: total = prompt + candidates); the
    // telemetry record u-3 repeats u-2 and is not counted.
    let plus = Sums {
        input: 3000,
        cache_read: 8000,
        cache_write: 0,
        output: 520,
        reasoning: 250,
        calls: 2,
    };
    assert_eq!(s.get("2026-06-15", QwenCode, "qwen3-coder-plus"), plus);
    // u-5: total = prompt + candidates + thoughts, so thoughts are outside.
    let native = Sums {
        input: 1000,
        cache_read: 0,
        cache_write: 0,
        output: 150,
        reasoning: 50,
        calls: 1,
    };
    assert_eq!(s.get("2026-06-15", QwenCode, "gemini-2.5-pro"), native);
    // u-6: only a total; the remainder is output.
    assert_eq!(s.get("2026-06-15", QwenCode, "coder-model").output, 60);
}

#[test]
fn a_fork_copying_records_counts_them_once() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("qwen_code", "session.jsonl"),
        &format!("{CHATS}/69f0.jsonl"),
    );
    s.place(
        &fixture("qwen_code", "fork.jsonl"),
        &format!("{CHATS}/7a00.jsonl"),
    );
    s.scan();
    assert_eq!(s.get("2026-06-15", QwenCode, "qwen3-coder-plus").calls, 2);
    assert_eq!(
        s.get("2026-06-16", QwenCode, "qwen3-coder-plus").input,
        1000
    );
}

#[test]
fn qwen_home_replaces_the_default_root() {
    use crate::{Collector, Env};
    let roots = super::QwenCode.roots(&Env::from_pairs([("HOME", "/h"), ("QWEN_HOME", "/q")]));
    assert_eq!(roots, vec![std::path::PathBuf::from("/q/projects")]);
    let roots = super::QwenCode.roots(&Env::from_pairs([("USERPROFILE", "C:/Users/a")]));
    assert_eq!(
        roots,
        vec![std::path::PathBuf::from("C:/Users/a/.qwen/projects")]
    );
}

#[test]
fn thoughts_are_never_more_than_the_output_and_huge_counts_do_not_overflow() {
    // Found by fuzzing (fuzz/fuzz_targets/qwen_code.rs): thoughts with no
    // candidates count gave reasoning 50 over output 0.
    let usage = |json: &str| serde_json::from_str::<super::Usage>(json).unwrap().tokens();
    let t = usage(r#"{"promptTokenCount":1000,"thoughtsTokenCount":50}"#);
    assert_eq!((t.output, t.reasoning), (0, 0));
    let max = u64::MAX;
    let t = usage(&format!(
        r#"{{"promptTokenCount":{max},"candidatesTokenCount":{max},"thoughtsTokenCount":1,"totalTokenCount":1}}"#
    ));
    assert_eq!((t.output, t.reasoning), (max, 1));
}
