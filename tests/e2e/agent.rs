//! `tokentally agent`, `pause` and `resume` through the real binary: the
//! agent counts logged and proxied calls, keeps its diagnostics in a log
//! file without text, stops cleanly on SIGTERM; a pause keeps calls out.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    sync::mpsc,
    time::Duration,
};

use crate::{
    loopback::{Canned, FakeProvider, post, send},
    support::{Fixture, Running, contains, files_under},
    watch::wait_for,
};

const CANARY: &str = "CANARY-agent-e2e-31c";

/// A Claude Code call made now, whose reply text is the canary.
fn call_now(id: &str, output: u64) -> String {
    let now = jiff::Timestamp::now();
    format!(
        "{{\"type\":\"assistant\",\"sessionId\":\"a\",\"timestamp\":\"{now}\",\"requestId\":\"req_{id}\",\"message\":{{\"id\":\"{id}\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{{\"type\":\"text\",\"text\":\"{CANARY}\"}}],\"usage\":{{\"input_tokens\":3,\"output_tokens\":{output}}}}}}}\n"
    )
}

fn append(f: &Fixture, line: &str) {
    use std::io::Write;
    let dir = f.home().join(".claude/projects/agent");
    std::fs::create_dir_all(&dir).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("s.jsonl"))
        .unwrap();
    file.write_all(line.as_bytes()).unwrap();
}

/// `tokentally agent` with loopback ports of its own choosing and `extra`
/// arguments: the running child, its stdout lines, and the proxy's port.
pub fn start(f: &Fixture, extra: &[&str]) -> (Running, mpsc::Receiver<String>, u16) {
    let mut args = vec![
        "agent",
        "--listen",
        "127.0.0.1:0",
        "--otlp-listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let mut child = Running(
        f.command(&args)
            .env("TOKENTALLY_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (tx, lines) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ready = wait_for(
        &lines,
        |l| l.starts_with("TokenTally agent running"),
        Duration::from_secs(20),
    )
    .expect("the agent started");
    let marker = "proxy on http://127.0.0.1:";
    let at = ready.find(marker).expect("the proxy runs") + marker.len();
    let port = ready[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    (child, lines, port)
}

fn calls_of(f: &Fixture, tool: &str) -> u64 {
    f.report(false)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tool"] == tool)
        .map(|r| r["calls"].as_u64().unwrap())
        .sum()
}

#[test]
fn the_agent_counts_logged_and_proxied_calls_and_stops_cleanly() {
    let f = Fixture::empty();
    let reply = format!(
        "{{\"id\":\"chatcmpl-A\",\"model\":\"gpt-4.1\",\"choices\":[{{\"message\":{{\"content\":\"{CANARY}\"}}}}],\"usage\":{{\"prompt_tokens\":40,\"completion_tokens\":2,\"total_tokens\":42}}}}"
    );
    let provider = FakeProvider::start(vec![Canned {
        path: "/v1/chat/completions",
        headers: vec![("Content-Type", "application/json".into())],
        body: reply.into_bytes(),
    }]);
    let upstream = format!("t-openai=http://127.0.0.1:{}", provider.port);
    // Claude Code is installed: its folder exists (a folder made later is
    // found by the next safety rescan).
    append(&f, &call_now("msg_agent_0", 10));
    let (mut child, lines, port) = start(&f, &["--upstream", &upstream]);

    append(&f, &call_now("msg_agent_1", 70));
    assert!(
        wait_for(
            &lines,
            |l| l.contains("claude-code") && l.contains("73 tokens"),
            Duration::from_secs(10)
        )
        .is_some()
    );
    let body = format!(
        "{{\"model\":\"gpt-4.1\",\"messages\":[{{\"role\":\"user\",\"content\":\"{CANARY}\"}}]}}"
    );
    let (status, _) = send(port, &post("/t-openai/v1/chat/completions", &[], &body));
    assert!(status.contains("200"), "{status}");
    assert!(
        wait_for(
            &lines,
            |l| l.contains("api-other") && l.contains("42 tokens"),
            Duration::from_secs(10)
        )
        .is_some()
    );

    let pid = child.0.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let started = std::time::Instant::now();
    let status = child.0.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(started.elapsed() < Duration::from_secs(12));

    assert_eq!(calls_of(&f, "claude-code"), 2);
    assert_eq!(calls_of(&f, "api-other"), 1);
    let logs: Vec<_> = files_under(&f.data().join("logs"));
    assert!(!logs.is_empty(), "the agent keeps a log file");
    assert!(
        logs.iter()
            .any(|(_, bytes)| contains(bytes, b"Proxied call counted")),
        "debug lines reach the file"
    );
    for (path, bytes) in files_under(&f.data()) {
        assert!(
            !contains(&bytes, CANARY.as_bytes()),
            "canary in {}",
            path.display()
        );
    }
}

#[test]
fn a_pause_keeps_the_calls_made_during_it_out_of_the_ledger() {
    let f = Fixture::empty();
    append(&f, &call_now("msg_before", 1));
    let out = f.run(&["pause", "--for", "1h"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Counting paused until"));
    append(&f, &call_now("msg_paused", 2));
    f.run(&["scan"]);
    // The call before the pause counts; the one during it does not.
    assert_eq!(calls_of(&f, "claude-code"), 1);
    f.run(&["resume"]);
    std::thread::sleep(Duration::from_millis(20));
    append(&f, &call_now("msg_after", 3));
    assert_eq!(
        f.report(true)["totals"]["output_tokens"].as_u64(),
        Some(1 + 3),
        "the paused call stays out, also when its file is read again"
    );
    let bad = f.command(&["pause", "--for", "soon"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a duration"));
}
