use tokentally_tests::corpus::mixed::generate_mixed;

use crate::support::{Fixture, assert_report_is, contains, files_under};

/// A machine with every tool's data at once, each with its traps: every
/// tool's totals per day and model equal the generator's truth, and no
/// prompt or response reaches the ledger.
#[test]
fn a_mixed_home_is_reported_exactly_per_tool() {
    let mut f = Fixture::empty();
    f.truth = generate_mixed(81, &f.home()).unwrap();
    let tools: std::collections::BTreeSet<String> =
        f.truth.0.keys().map(|(_, t, _)| t.clone()).collect();
    // Every tool but the two of the main corpus.
    let expected = [
        "gemini-cli",
        "qwen-code",
        "opencode",
        "kilo-cli",
        "cline",
        "roo-code",
        "kilo-code",
        "amp",
        "continue",
        "goose",
        "copilot",
        "aider",
        "cursor",
        "zed",
    ];
    assert_eq!(tools, expected.iter().map(|t| t.to_string()).collect());
    assert_report_is(&f.report(true), &f.truth);
    for (path, bytes) in files_under(&f.data()) {
        assert!(
            !contains(&bytes, b"TTCANARY"),
            "canary in {}",
            path.display()
        );
    }
}
