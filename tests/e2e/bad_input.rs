use std::io::Write;

use crate::support::{Fixture, assert_report_is, files_under};

#[test]
fn a_machine_without_logs_says_where_it_looked_and_how_to_point_elsewhere() {
    let f = Fixture::empty();
    let out = f.run(&["report"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("No AI tool logs found"), "{text}");
    assert!(
        text.contains(".claude/projects") && text.contains(".codex/sessions"),
        "{text}"
    );
    assert!(
        text.contains("CLAUDE_CONFIG_DIR") && text.contains("CODEX_HOME"),
        "{text}"
    );
}

#[test]
fn a_home_that_does_not_exist_is_no_error_and_gets_the_same_hint() {
    let f = Fixture::empty();
    let missing = f.dir.path().join("no/such/home");
    for args in [&["scan"][..], &["report"]] {
        let out = crate::support::command(&missing, &f.data(), args)
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{args:?}: {stderr}");
        let all = format!("{stdout}{stderr}");
        assert!(all.contains("No AI tool logs found"), "{args:?}: {all}");
        assert!(
            all.contains("CLAUDE_CONFIG_DIR") && all.contains("CODEX_HOME"),
            "{args:?}: {all}"
        );
        assert!(!all.contains("panicked"), "{args:?}: {all}");
    }
    // Pointing the tools' own variables at missing folders is no error either.
    let out = f
        .command(&["scan"])
        .env("CLAUDE_CONFIG_DIR", &missing)
        .env("CODEX_HOME", &missing)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("No AI tool logs found"));
}

/// `report --json` keeps its stdout to the JSON (no rows), and still tells
/// a person at the terminal why, on stderr.
#[test]
fn a_json_report_without_logs_is_empty_and_says_why_on_stderr() {
    let f = Fixture::empty();
    let missing = f.dir.path().join("no/such/home");
    let out = crate::support::command(&missing, &f.data(), &["report", "--json", "--tz", "UTC"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["rows"], serde_json::json!([]));
    assert_eq!(report["totals"]["calls"], 0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("No AI tool logs found")
            && err.contains("CLAUDE_CONFIG_DIR")
            && err.contains("CODEX_HOME"),
        "stderr: {err}"
    );
}

#[test]
fn the_tools_own_variables_move_the_log_roots() {
    let f = Fixture::generated(61, 1);
    let elsewhere = f.dir.path().join("elsewhere");
    std::fs::rename(f.home(), &elsewhere).unwrap();
    std::fs::create_dir_all(f.home()).unwrap();
    let out = f
        .command(&["report", "--json", "--tz", "UTC"])
        .env("CLAUDE_CONFIG_DIR", elsewhere.join(".claude"))
        .env("CODEX_HOME", elsewhere.join(".codex"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // ~/.config/claude is not under CLAUDE_CONFIG_DIR: those sessions are not seen.
    let calls = report["totals"]["calls"].as_u64().unwrap();
    assert!(calls > 0 && calls <= f.truth.totals().calls);
}

#[test]
fn a_corrupt_ledger_is_reported_and_left_untouched() {
    let f = Fixture::generated(62, 1);
    std::fs::create_dir_all(f.data()).unwrap();
    let db = f.data().join("tokentally.db");
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    std::fs::write(&db, &garbage).unwrap();
    for args in [&["scan"][..], &["report"]] {
        let out = f.command(args).output().unwrap();
        assert!(!out.status.success(), "{args:?} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("database") && err.contains("left untouched"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), garbage);
}

#[test]
fn huge_invalid_and_garbage_lines_are_skipped_and_counted_never_fatal() {
    let f = Fixture::generated(63, 1);
    f.run(&["scan"]);
    let claude = files_under(&f.home())
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| {
            p.to_string_lossy().contains(".claude/projects")
                && p.extension().is_some_and(|e| e == "jsonl")
        })
        .unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&claude)
        .unwrap();
    let mut huge = b"{\"type\":\"user\",\"message\":{\"content\":\"".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 20 << 20));
    huge.extend_from_slice(b"\"}}\n");
    file.write_all(&huge).unwrap();
    file.write_all(b"{\"type\":\"assistant\",\"message\":{\"id\":\"\xff\xfe\",\"usage\":{}}}\n")
        .unwrap();
    file.write_all(b"\x00\x01 binary garbage\n").unwrap();
    // A call after them all is read.
    file.write_all(crate::watch::call_line("msg_after_huge", "after").as_bytes())
        .unwrap();
    let mut truth = f.truth.clone();
    let call = tokentally_tests::corpus::Call {
        at_ms: "2026-10-01T10:00:00Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond(),
        input: 7,
        cache_read: 100,
        cache_write: 10,
        output: 4242,
        reasoning: 0,
    };
    truth.count("claude-code", "claude-sonnet-4-5-20250929", call);
    let out = f.run(&["scan"]);
    let summary = String::from_utf8(out.stdout).unwrap();
    // The huge line may be parsed (a user line, no call) or skipped.
    assert!(
        summary.contains("2 lines skipped") || summary.contains("3 lines skipped"),
        "{summary}"
    );
    assert!(summary.contains(" 1 new calls"), "{summary}");
    assert_report_is(&f.report(false), &truth);
}

#[test]
fn an_unreadable_log_directory_is_reported_and_the_rest_is_counted() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::generated(64, 1);
    let locked = f.home().join(".claude/projects/locked");
    std::fs::create_dir_all(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_ok() {
        // Running as root: permissions do not stop reads, nothing to test.
        eprintln!("skipped: permissions do not apply to this user");
        return;
    }
    let out = f.run(&["scan"]);
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(
        summary.contains("could not be read") && summary.contains("locked"),
        "{summary}"
    );
    assert_report_is(&f.report(false), &f.truth);
}

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    let f = Fixture::generated(65, 1);
    f.run(&["scan"]);
    // As `tokentally report | head -0`: the pipe is closed before any write.
    let mut child = f
        .command(&["report", "--no-scan", "--tz", "UTC"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
