use std::{
    io::{BufRead, BufReader, Write},
    sync::mpsc,
    time::{Duration, Instant},
};

use crate::support::{Fixture, Running};

/// A Claude Code assistant line for one new call with output 4242, whose
/// text is `text`.
pub fn call_line(message_id: &str, text: &str) -> String {
    format!(
        "{{\"type\":\"assistant\",\"sessionId\":\"w\",\"timestamp\":\"2026-10-01T10:00:00.000Z\",\"requestId\":\"req_{message_id}\",\"message\":{{\"id\":\"{message_id}\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{{\"type\":\"text\",\"text\":\"{text}\"}}],\"usage\":{{\"input_tokens\":7,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":10,\"output_tokens\":4242}}}}}}\n"
    )
}

#[test]
fn watch_prints_a_call_appended_to_a_log_within_a_second_or_so() {
    let f = Fixture::generated(41, 1);
    let mut child = Running(
        f.command(&["watch"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let ready = wait_for(&rx, |l| l.starts_with("Watching"), Duration::from_secs(20));
    assert!(ready.is_some(), "watch did not start");
    let log = f.home().join(".claude/projects/watched/s.jsonl");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let mut file = std::fs::File::create(&log).unwrap();
    // A first line in a new file, then an appended one.
    file.write_all(call_line("msg_w1", "first").as_bytes())
        .unwrap();
    assert!(wait_for(&rx, |l| l.contains("output 4242"), Duration::from_secs(10)).is_some());
    let appended = Instant::now();
    file.write_all(call_line("msg_w2", "second").as_bytes())
        .unwrap();
    let printed = wait_for(&rx, |l| l.contains("output 4242"), Duration::from_secs(10));
    let latency = appended.elapsed();
    drop(child);
    let line = printed.expect("the appended call was printed");
    assert!(
        line.contains("claude-code") && line.contains("input 7") && line.contains("[log]"),
        "{line}"
    );
    // The target is 1 s; the bound leaves room for a loaded CI machine.
    assert!(latency < Duration::from_secs(3), "took {latency:?}");
    eprintln!("watch latency: {latency:?}");
}

pub fn wait_for(
    rx: &mpsc::Receiver<String>,
    want: impl Fn(&str) -> bool,
    limit: Duration,
) -> Option<String> {
    let deadline = Instant::now() + limit;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) if want(&line) => return Some(line),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
    None
}
