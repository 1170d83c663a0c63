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
    let out = f.run(&["scan"]);
    let summary = String::from_utf8(out.stdout).unwrap();
    assert!(summary.contains("2 lines skipped"), "{summary}");
    assert_report_is(&f.report(false), &f.truth);
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
