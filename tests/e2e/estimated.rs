use crate::support::Fixture;

/// A Copilot chat session with one request Copilot counted and one it did
/// not: the second is counted from its text and labelled estimated in the
/// JSON report and the table.
#[test]
fn estimated_calls_are_labelled_in_the_json_and_the_table() {
    let f = Fixture::empty();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/collect/src/collector/copilot/fixtures/legacy.json");
    let to = f
        .home()
        .join(".config/Code/User/workspaceStorage/3a5f/chatSessions/c0ffee.json");
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(fixture, &to).unwrap();
    let report = f.report(true);
    let rows = report["rows"].as_array().unwrap();
    let gpt4o = rows.iter().find(|r| r["model"] == "gpt-4o").unwrap();
    assert_eq!(
        (gpt4o["calls"].as_u64(), gpt4o["estimated_calls"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            gpt4o["input_tokens"].as_u64(),
            gpt4o["output_tokens"].as_u64()
        ),
        (Some(2), Some(10))
    );
    let gpt5 = rows.iter().find(|r| r["model"] == "gpt-5").unwrap();
    assert_eq!(gpt5["estimated_calls"], 0);
    assert_eq!(report["totals"]["estimated_calls"], 1);
    let table = String::from_utf8(f.run(&["report", "--no-scan", "--tz", "UTC"]).stdout).unwrap();
    assert!(table.contains("1 (~1)"), "{table}");
    assert!(table.contains("1 of 2 calls are estimated"), "{table}");
    let sources: serde_json::Value =
        serde_json::from_slice(&f.run(&["sources", "--json", "--no-scan"]).stdout).unwrap();
    let copilot = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["tool"] == "copilot")
        .unwrap()
        .clone();
    assert_eq!(copilot["calls_by_provenance"]["estimated"], 1, "{copilot}");
}
