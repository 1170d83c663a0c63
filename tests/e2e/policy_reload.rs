//! A running `watch` follows its policy file: a tool sanctioned while it
//! runs starts being counted, and a broken policy keeps the last good one.

use std::{
    io::{BufRead, BufReader, Read},
    path::Path,
    sync::mpsc,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    support::{Fixture, Running},
    watch::call_line,
};

/// Every line of a child's output, sent as it comes.
fn lines_of(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line `want` accepts within `limit`; the others are kept in
/// `seen`.
fn wait_for(
    rx: &mpsc::Receiver<String>,
    seen: &mut Vec<String>,
    want: impl Fn(&str) -> bool,
    limit: Duration,
) -> Option<String> {
    let deadline = Instant::now() + limit;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let line = rx.recv_timeout(left).ok()?;
        seen.push(line.clone());
        if want(&line) {
            return Some(line);
        }
    }
    None
}

/// Total tokens per tool in the ledger, read (not scanned) with the same
/// policy file, so this reader records no change of its own.
fn ledger_totals(f: &Fixture, policy: &Path) -> Value {
    let out = f
        .command(&["report", "--json", "--tz", "UTC", "--no-scan"])
        .env("TOKENTALLY_POLICY", policy)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut totals = serde_json::Map::new();
    for row in report["rows"].as_array().unwrap() {
        let tool = row["tool"].as_str().unwrap().to_owned();
        let sum = totals.get(&tool).and_then(Value::as_u64).unwrap_or(0);
        totals.insert(tool, (sum + row["total_tokens"].as_u64().unwrap()).into());
    }
    Value::Object(totals)
}

fn truth_total(f: &Fixture, tool: &str) -> u64 {
    f.truth
        .rows()
        .iter()
        .filter(|r| r["tool"] == tool)
        .map(|r| r["total_tokens"].as_u64().unwrap())
        .sum()
}

fn changes_logged(f: &Fixture) -> Vec<Value> {
    std::fs::read_to_string(f.data().join("policy-changes.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_running_watch_follows_its_policy_and_keeps_the_last_good_one() {
    let f = Fixture::generated(91, 1);
    let (claude, codex) = (truth_total(&f, "claude-code"), truth_total(&f, "codex"));
    assert!(claude > 0 && codex > 0, "the corpus holds both tools");
    let policy = f.dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"sanctioned_tools": ["codex"]}"#).unwrap();
    let mut child = Running(
        f.command(&["watch", "--policy", policy.to_str().unwrap()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let out = lines_of(child.0.stdout.take().unwrap());
    let err = lines_of(child.0.stderr.take().unwrap());
    let (mut said, mut warned) = (Vec::new(), Vec::new());
    let ready = wait_for(
        &out,
        &mut said,
        |l| l.starts_with("Watching"),
        Duration::from_secs(20),
    );
    assert!(ready.is_some(), "watch did not start: {said:?}");
    assert_eq!(
        ledger_totals(&f, &policy),
        serde_json::json!({ "codex": codex }),
        "only codex is counted"
    );

    // Sanctioning Claude Code while it runs: its calls are read at once.
    std::fs::write(&policy, r#"{"sanctioned_tools": ["codex", "claude-code"]}"#).unwrap();
    let changed = wait_for(
        &out,
        &mut said,
        |l| l.starts_with("Policy changed"),
        Duration::from_secs(10),
    )
    .unwrap_or_else(|| panic!("no change announced: {said:?}"));
    assert!(
        changed.contains("codex") && changed.contains("claude-code"),
        "{changed}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut totals = ledger_totals(&f, &policy);
    while totals["claude-code"] != claude && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        totals = ledger_totals(&f, &policy);
    }
    assert_eq!(
        totals,
        serde_json::json!({ "codex": codex, "claude-code": claude })
    );
    let logged = changes_logged(&f);
    assert_eq!(logged.len(), 2, "{logged:?}");
    let change = &logged[1]["changes"][0];
    assert_eq!(change["key"], "sanctioned_tools");
    assert_eq!(change["from"], serde_json::json!(["codex"]));
    assert_eq!(change["to"], serde_json::json!(["codex", "claude-code"]));
    // The employee's view: since when each key holds its value.
    let shown = f
        .command(&["policy", "show", "--json"])
        .env("TOKENTALLY_POLICY", &policy)
        .output()
        .unwrap();
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["since_ms"]["sanctioned_tools"], logged[1]["at_ms"]);
    assert_eq!(shown["since_ms"]["upload"], logged[0]["at_ms"]);

    // A broken policy that would narrow collection is not used: the last
    // good one stays, Claude Code is still read, and stderr says so once.
    std::fs::write(
        &policy,
        r#"{"sanctioned_tools": ["codex"], "upload": "always"}"#,
    )
    .unwrap();
    let told = wait_for(
        &err,
        &mut warned,
        |l| l.contains("problem"),
        Duration::from_secs(10),
    );
    let told = told.unwrap_or_else(|| panic!("no problem told on stderr: {warned:?}"));
    assert!(
        told.contains("last good") && told.contains("upload"),
        "{told}"
    );
    let log = f.home().join(".claude/projects/reloaded/s.jsonl");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(&log, call_line("msg_after_broken", "still counted")).unwrap();
    let counted = wait_for(
        &out,
        &mut said,
        |l| l.contains("claude-code") && l.contains("output 4242"),
        Duration::from_secs(10),
    );
    assert!(counted.is_some(), "claude-code no longer counted: {said:?}");
    assert_eq!(changes_logged(&f).len(), 2, "a broken policy is no change");
    // Several more ticks: the problem is not told again.
    std::thread::sleep(Duration::from_secs(1));
    drop(child);
    while let Ok(line) = err.recv_timeout(Duration::from_secs(2)) {
        warned.push(line);
    }
    let tellings = warned.iter().filter(|l| l.contains("problem")).count();
    assert_eq!(tellings, 1, "{warned:?}");
    assert!(
        !said.iter().any(|l| l.contains("still counted")),
        "no text on stdout"
    );
}
