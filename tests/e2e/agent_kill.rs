//! SIGKILL of `tokentally agent` at random moments while its logs grow and
//! its proxy serves, many times over: every complete logged call is counted
//! exactly once; proxied calls are never counted twice, and every one whose
//! reply ended well before the kill is counted.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokentally_tests::prng::Prng;

use crate::{
    agent::start,
    loopback::{Canned, FakeProvider, post, try_send},
    support::Fixture,
};

fn claude_line(n: u64) -> String {
    let now = jiff::Timestamp::now();
    format!(
        "{{\"type\":\"assistant\",\"sessionId\":\"k\",\"timestamp\":\"{now}\",\"requestId\":\"req_k{n}\",\"message\":{{\"id\":\"msg_k{n}\",\"model\":\"claude-sonnet-4-5-20250929\",\"usage\":{{\"input_tokens\":1,\"output_tokens\":{n}}}}}}}\n"
    )
}

#[test]
fn sigkill_of_the_agent_while_logs_grow_and_the_proxy_serves() {
    let f = Fixture::empty();
    let provider = FakeProvider::start(vec![Canned {
        path: "/v1/chat/completions",
        headers: vec![("Content-Type", "application/json".into())],
        body: br#"{"id":"chatcmpl-K","model":"gpt-4.1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#.to_vec(),
    }]);
    let upstream = format!("t-openai=http://127.0.0.1:{}", provider.port);
    let log = f.home().join(".claude/projects/kill/s.jsonl");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    let mut rng = Prng::new(99);
    let mut next = 1u64;
    let mut written_output = 0u64;
    // Replies completed, with when, and the kill time of each round.
    let mut completed_long_before_kill = 0u64;
    let mut completed = 0u64;
    let rounds = 8;
    for _ in 0..rounds {
        let (mut child, _, port) = start(&f, &["--upstream", &upstream]);
        let done = Arc::new(Mutex::new(Vec::<Instant>::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let client = {
            let done = done.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                let request = post(
                    "/t-openai/v1/chat/completions",
                    &[],
                    r#"{"model":"gpt-4.1","messages":[]}"#,
                );
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // A kill mid-request is a failed request: not completed.
                    if let Ok((status, _)) = try_send(port, &request)
                        && status.contains("200")
                    {
                        done.lock().unwrap().push(Instant::now());
                    }
                    std::thread::sleep(Duration::from_millis(15));
                }
            })
        };
        let until = Instant::now() + Duration::from_millis(rng.range(300, 1500));
        while Instant::now() < until {
            let line = claude_line(next);
            if rng.range(0, 10) == 0 {
                // Half a line now, the rest after the kill.
                let (a, b) = line.split_at(line.len() / 2);
                file.write_all(a.as_bytes()).unwrap();
                std::thread::sleep(Duration::from_millis(rng.range(0, 30)));
                file.write_all(b.as_bytes()).unwrap();
            } else {
                file.write_all(line.as_bytes()).unwrap();
            }
            written_output += next;
            next += 1;
            std::thread::sleep(Duration::from_millis(rng.range(1, 25)));
        }
        let _ = child.0.kill();
        let killed = Instant::now();
        let _ = child.0.wait();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = client.join();
        let times = done.lock().unwrap();
        completed += times.len() as u64;
        completed_long_before_kill += times
            .iter()
            .filter(|t| killed.duration_since(**t) > Duration::from_millis(500))
            .count() as u64;
    }
    // One last run reads what the killed ones had not.
    let (mut child, _, _) = start(&f, &["--upstream", &upstream]);
    std::thread::sleep(Duration::from_millis(1500));
    let pid = child.0.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(child.0.wait().unwrap().success());

    let report = f.report(true);
    let rows = report["rows"].as_array().unwrap();
    let sum = |tool: &str, field: &str| -> u64 {
        rows.iter()
            .filter(|r| r["tool"] == tool)
            .map(|r| r[field].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        sum("claude-code", "calls"),
        next - 1,
        "every complete logged call, once"
    );
    assert_eq!(sum("claude-code", "output_tokens"), written_output);
    let proxied = sum("api-other", "calls");
    assert!(
        proxied <= completed,
        "{proxied} counted for {completed} replies"
    );
    assert!(
        proxied >= completed_long_before_kill,
        "{proxied} counted, {completed_long_before_kill} replies ended 0.5 s before a kill"
    );
    eprintln!(
        "{rounds} kills: {} logged calls, {completed} proxied replies, {proxied} counted",
        next - 1
    );
}
