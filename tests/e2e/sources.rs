use crate::support::Fixture;

fn sources(f: &Fixture) -> Vec<serde_json::Value> {
    let out = f.run(&["sources", "--json"]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn sources_lists_every_tool_with_where_and_what_was_counted() {
    let f = Fixture::generated(71, 1);
    // A Cline install with a task but no usage record yet.
    let task = f
        .home()
        .join(".config/Code/User/globalStorage/saoudrizwan.claude-dev/tasks/1");
    std::fs::create_dir_all(&task).unwrap();
    std::fs::write(
        task.join("ui_messages.json"),
        r#"[{"ts":1,"type":"say","say":"text","text":"TTCANARY-src"}]"#,
    )
    .unwrap();
    let list = sources(&f);
    let tools: Vec<&str> = list.iter().map(|s| s["tool"].as_str().unwrap()).collect();
    for id in [
        "claude-code",
        "codex",
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
    ] {
        assert!(tools.contains(&id), "{id} missing from {tools:?}");
    }
    let by = |id: &str| list.iter().find(|s| s["tool"] == id).unwrap().clone();
    let claude_calls: u64 = f
        .truth
        .0
        .iter()
        .filter(|((_, t, _), _)| t == "claude-code")
        .map(|(_, c)| c.calls)
        .sum();
    let claude = by("claude-code");
    assert_eq!(claude["found"], true);
    assert_eq!(claude["calls"], claude_calls);
    assert_eq!(claude["calls_by_provenance"]["log"], claude_calls);
    assert!(
        claude["roots_found"][0]
            .as_str()
            .unwrap()
            .ends_with(".claude/projects")
    );
    let gemini = by("gemini-cli");
    assert_eq!(gemini["found"], false);
    assert!(
        gemini["roots_missing"][0]
            .as_str()
            .unwrap()
            .ends_with(".gemini/tmp")
    );
    let cline = by("cline");
    assert_eq!(
        (
            cline["found"].as_bool(),
            cline["files"].as_u64(),
            cline["calls"].as_u64()
        ),
        (Some(true), Some(1), Some(0))
    );
    assert!(
        cline["note"].as_str().unwrap().contains("no usage records"),
        "{cline}"
    );
}

#[test]
fn sources_as_text_names_each_tool_and_report_takes_every_id() {
    let f = Fixture::generated(72, 1);
    let text = String::from_utf8(f.run(&["sources"]).stdout).unwrap();
    assert!(
        text.contains("claude-code") && text.contains("found") && text.contains("not found"),
        "{text}"
    );
    for id in [
        "gemini-cli",
        "qwen-code",
        "opencode",
        "kilo-cli",
        "cline",
        "roo-code",
        "kilo-code",
    ] {
        let out = f.run(&["report", "--json", "--tool", id, "--no-scan"]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["totals"]["calls"], 0, "{id}");
    }
}
