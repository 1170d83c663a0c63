use tokentally_event::Tool::Amp;

use crate::testkit::{Sandbox, Sums, fixture};

#[test]
fn current_and_legacy_threads_are_counted_once_per_message() {
    let mut s = Sandbox::new();
    s.place(
        &fixture("amp", "T-current.json"),
        ".local/share/amp/threads/T-7d1e0001.json",
    );
    s.place(
        &fixture("amp", "T-legacy.json"),
        ".local/share/amp/threads/T-7d1e0002.json",
    );
    s.scan();
    let sonnet = Sums {
        input: 512,
        cache_read: 21_000,
        cache_write: 3000,
        output: 700,
        reasoning: 0,
        calls: 2,
    };
    assert_eq!(s.get("2026-03-03", Amp, "claude-sonnet-4-5"), sonnet);
    // The legacy ledger event takes its cache counts from its message.
    let opus = Sums {
        input: 40,
        cache_read: 2000,
        cache_write: 100,
        output: 90,
        reasoning: 0,
        calls: 1,
    };
    assert_eq!(s.get("2026-03-04", Amp, "claude-opus-4-1"), opus);
    // Rewritten whole: nothing counted twice.
    let path = s.home().join(".local/share/amp/threads/T-7d1e0001.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n")).unwrap();
    assert_eq!(s.scan().calls_new, 0);
}
