use std::{io::Read, time::Duration};

use crate::support::{Fixture, contains, files_under};

const CANARY: &[u8] = b"TTCANARY";

#[test]
fn no_canary_in_the_ledger_its_wal_any_output_or_log() {
    let f = Fixture::generated(31, 3);
    assert!(
        files_under(&f.home())
            .iter()
            .any(|(_, b)| contains(b, CANARY))
    );
    let mut outputs = Vec::new();
    for args in [
        &["scan"][..],
        &["report", "--tz", "UTC"],
        &["report", "--json", "--by", "week"],
    ] {
        let out = f
            .command(args)
            .env("TOKENTALLY_LOG", "trace")
            .output()
            .unwrap();
        assert!(out.status.success());
        outputs.push(out.stdout);
        outputs.push(out.stderr);
    }
    // watch, with a new call appended while it runs.
    let mut child = f
        .command(&["watch"])
        .env("TOKENTALLY_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let log = f.home().join(".claude/projects/canary/s.jsonl");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(
        &log,
        crate::watch::call_line("msg_canary", "TTCANARY-watch-text"),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let _ = child.kill();
    child.wait().unwrap();
    let mut watch_out = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut watch_out)
        .unwrap();
    let mut watch_err = Vec::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut watch_err)
        .unwrap();
    assert!(
        contains(&outputs[0], b"new calls"),
        "the scan printed its summary"
    );
    assert!(
        contains(&watch_out, b"output 4242"),
        "watch printed the call: {}",
        String::from_utf8_lossy(&watch_out)
    );
    outputs.push(watch_out);
    outputs.push(watch_err);
    for (i, out) in outputs.iter().enumerate() {
        assert!(
            !contains(out, CANARY),
            "canary in output {i}: {}",
            String::from_utf8_lossy(out)
        );
    }
    let files = files_under(&f.data());
    assert!(
        files
            .iter()
            .any(|(p, _)| p.to_string_lossy().ends_with("tokentally.db-wal"))
    );
    for (path, bytes) in files {
        assert!(!contains(&bytes, CANARY), "canary in {}", path.display());
    }
}
