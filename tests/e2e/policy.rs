use serde_json::Value;

use crate::support::Fixture;

/// A policy that sanctions Codex only: Claude Code's logs are never walked
/// or read, and Codex is counted in full.
#[test]
fn an_unsanctioned_tool_is_never_read() {
    let f = Fixture::generated(91, 2);
    let policy = f.dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"sanctioned_tools": ["codex"]}"#).unwrap();
    let out = f
        .command(&["sources", "--json"])
        .env("TOKENTALLY_POLICY", &policy)
        .output()
        .unwrap();
    assert!(out.status.success());
    let sources: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let claude = sources.iter().find(|s| s["tool"] == "claude-code").unwrap();
    assert_eq!(claude["sanctioned"], false);
    // Not even looked for: its collector was not started.
    assert_eq!(claude["roots_found"], serde_json::json!([]));
    assert_eq!(claude["roots_missing"], serde_json::json!([]));
    assert_eq!(claude["calls"], 0);
    let codex = sources.iter().find(|s| s["tool"] == "codex").unwrap();
    assert_eq!(codex["sanctioned"], true);
    assert!(codex["calls"].as_u64().unwrap() > 0);

    let report: Value = serde_json::from_slice(
        &f.command(&[
            "report",
            "--json",
            "--by",
            "day",
            "--tz",
            "UTC",
            "--no-scan",
        ])
        .output()
        .unwrap()
        .stdout,
    )
    .unwrap();
    let rows = report["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["tool"] == "codex"), "{rows:?}");
    let want: u64 = f
        .truth
        .rows()
        .iter()
        .filter(|r| r["tool"] == "codex")
        .map(|r| r["total_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(report["totals"]["total_tokens"], want);
}

#[test]
fn policy_show_names_the_source_and_locks_and_check_lists_every_problem() {
    let f = Fixture::empty();
    let policy = f.dir.path().join("policy.json");
    std::fs::write(
        &policy,
        r#"{"upload": "opt-in", "server_url": "https://t.example.com"}"#,
    )
    .unwrap();
    let out = f
        .command(&["policy", "show", "--json"])
        .env("TOKENTALLY_POLICY", &policy)
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys = shown["effective"]["keys"].as_array().unwrap();
    let upload = keys.iter().find(|k| k["key"] == "upload").unwrap();
    assert_eq!(upload["value"], "opt-in");
    assert_eq!(upload["locked"], true);
    assert_eq!(upload["origin"]["kind"], "managed");
    let autostart = keys.iter().find(|k| k["key"] == "autostart").unwrap();
    assert_eq!(autostart["origin"]["kind"], "default");
    assert_eq!(shown["changes"].as_array().unwrap().len(), 1);

    let bad = f.dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"upload": "always", "retention_days": -1, "prompts": true}"#,
    )
    .unwrap();
    let out = f
        .command(&["policy", "check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    for key in ["upload", "retention_days", "prompts"] {
        assert!(text.contains(&format!(": {key}: ")), "{text}");
    }
    let out = f
        .command(&["policy", "check", "../installers/policy/policy.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
