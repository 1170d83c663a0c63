//! `tokentally proxy`: calls through the real binary's proxy reach a fake
//! provider unchanged, land in the ledger, count once with the Claude Code
//! log of the same call, and leave no text anywhere; telemetry counters
//! count once across restarts.

use std::{
    io::{BufRead, BufReader},
    process::Stdio,
    sync::mpsc,
    time::Duration,
};

use serde_json::Value;

use crate::{
    loopback::{Canned, FakeProvider, is_loopback, listening, post, send},
    support::{Fixture, Running, contains, files_under},
    watch::{call_line, wait_for},
};

const CANARY: &str = "CANARY-e2e-proxy-5b1d";

/// A running `tokentally proxy` and its stdout lines.
struct ProxyRun {
    child: Running,
    lines: mpsc::Receiver<String>,
    port: u16,
    otlp_port: u16,
}

fn start(f: &Fixture, extra: &[&str]) -> ProxyRun {
    let mut args = vec![
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--otlp-listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    let mut cmd = f.command(&args);
    cmd.env("TOKENTALLY_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = Running(cmd.spawn().unwrap());
    let (tx, lines) = mpsc::channel();
    let stdout = child.0.stdout.take().unwrap();
    let stderr = child.0.stderr.take().unwrap();
    let err_tx = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if err_tx.send(format!("stderr: {line}")).is_err() {
                break;
            }
        }
    });
    let ready = wait_for(
        &lines,
        |l| l.starts_with("Proxy listening on"),
        Duration::from_secs(20),
    )
    .expect("the proxy started");
    let port_after = |marker: &str| -> u16 {
        let at = ready.find(marker).unwrap() + marker.len();
        ready[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    let port = port_after("http://127.0.0.1:");
    let otlp_port = port_after("telemetry receiver on http://127.0.0.1:");
    ProxyRun {
        child,
        lines,
        port,
        otlp_port,
    }
}

impl ProxyRun {
    /// SIGTERM, then the exit status and every line it printed.
    fn stop(mut self) -> Vec<String> {
        let pid = self.child.0.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.0.wait().unwrap();
        assert!(
            status.success(),
            "the proxy exits cleanly on SIGTERM: {status}"
        );
        std::thread::sleep(Duration::from_millis(100));
        self.lines.try_iter().collect()
    }
}

fn anthropic_reply() -> Vec<u8> {
    format!("{{\"id\":\"msg_E2E1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[{{\"type\":\"text\",\"text\":\"{CANARY} reply\"}}],\"stop_reason\":\"end_turn\",\"usage\":{{\"input_tokens\":7,\"cache_read_input_tokens\":100,\"cache_creation_input_tokens\":10,\"output_tokens\":4242}}}}").into_bytes()
}

fn openai_reply() -> Vec<u8> {
    format!("{{\"id\":\"chatcmpl-E2E\",\"object\":\"chat.completion\",\"model\":\"gpt-4.1-2025-04-14\",\"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":\"{CANARY}\"}}}}],\"usage\":{{\"prompt_tokens\":300,\"completion_tokens\":20,\"total_tokens\":320,\"prompt_tokens_details\":{{\"cached_tokens\":100}}}}}}").into_bytes()
}

fn rows_of<'a>(report: &'a Value, tool: &str) -> Vec<&'a Value> {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tool"] == tool)
        .collect()
}

fn sum(rows: &[&Value], field: &str) -> u64 {
    rows.iter().map(|r| r[field].as_u64().unwrap()).sum()
}

fn assert_no_canary(f: &Fixture, printed: &[String], canary: &str) {
    for (path, bytes) in files_under(&f.data()) {
        assert!(
            !contains(&bytes, canary.as_bytes()),
            "canary in {}",
            path.display()
        );
    }
    for line in printed {
        assert!(!line.contains(canary), "canary printed: {line}");
    }
}

#[test]
fn proxied_calls_reach_the_provider_unchanged_count_once_with_the_log_and_keep_no_text() {
    let f = Fixture::empty();
    let provider = FakeProvider::start(vec![
        Canned {
            path: "/v1/messages",
            headers: vec![
                ("Content-Type", "application/json".into()),
                ("request-id", "req_msg_E2E1".into()),
            ],
            body: anthropic_reply(),
        },
        Canned {
            path: "/v1/chat/completions",
            headers: vec![("Content-Type", "application/json".into())],
            body: openai_reply(),
        },
    ]);
    let anthropic = format!("t-anthropic:anthropic=http://127.0.0.1:{}", provider.port);
    let openai = format!("t-openai=http://127.0.0.1:{}", provider.port);
    let run = start(&f, &["--upstream", &anthropic, "--upstream", &openai]);

    // Only loopback sockets.
    let addrs = listening(run.child.0.id());
    assert!(addrs.len() >= 2, "proxy and receiver listen: {addrs:?}");
    assert!(addrs.iter().all(|a| is_loopback(a)), "{addrs:?}");

    let prompt = format!(
        "{{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":[{{\"role\":\"user\",\"content\":\"{CANARY} prompt\"}}]}}"
    );
    let request = post(
        "/t-anthropic/v1/messages",
        &[
            ("user-agent", "claude-cli/2.0.14 (external, cli)"),
            ("anthropic-version", "2023-06-01"),
            ("x-api-key", "sk-test"),
        ],
        &prompt,
    );
    let (status, body) = send(run.port, &request);
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, anthropic_reply(), "the reply's bytes pass unchanged");
    let got = provider.received.lock().unwrap()[0].clone();
    assert!(
        got.ends_with(prompt.as_bytes()),
        "the request body passes unchanged"
    );
    assert!(
        contains(&got, b"anthropic-version: 2023-06-01") && contains(&got, b"x-api-key: sk-test")
    );

    let chat = format!(
        "{{\"model\":\"gpt-4.1\",\"messages\":[{{\"role\":\"user\",\"content\":\"{CANARY}\"}}]}}"
    );
    let (_, body) = send(
        run.port,
        &post(
            "/t-openai/v1/chat/completions",
            &[("user-agent", "OpenAI/Python 1.99")],
            &chat,
        ),
    );
    assert_eq!(body, openai_reply());

    let printed_call =
        |tool: &'static str| move |l: &str| l.contains(tool) && l.contains("[reported]");
    assert!(
        wait_for(
            &run.lines,
            printed_call("claude-code"),
            Duration::from_secs(10)
        )
        .is_some()
    );
    assert!(
        wait_for(
            &run.lines,
            printed_call("api-other"),
            Duration::from_secs(10)
        )
        .is_some()
    );
    let printed = run.stop();

    // The same call, as Claude Code logs it: still one call.
    let log = f.home().join(".claude/projects/p/s.jsonl");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::fs::write(&log, call_line("msg_E2E1", CANARY)).unwrap();
    let report = f.report(true);
    let claude = rows_of(&report, "claude-code");
    assert_eq!(sum(&claude, "calls"), 1, "{report}");
    assert_eq!(
        (
            sum(&claude, "input_tokens"),
            sum(&claude, "output_tokens"),
            sum(&claude, "cache_read_tokens"),
            sum(&claude, "cache_write_tokens")
        ),
        (7, 4242, 100, 10)
    );
    let other = rows_of(&report, "api-other");
    assert_eq!(
        (
            sum(&other, "calls"),
            sum(&other, "input_tokens"),
            sum(&other, "cache_read_tokens"),
            sum(&other, "output_tokens")
        ),
        (1, 200, 100, 20)
    );
    let sources: Value =
        serde_json::from_slice(&f.run(&["sources", "--json", "--no-scan"]).stdout).unwrap();
    let api_other = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["tool"] == "api-other")
        .unwrap();
    assert_eq!(api_other["counted_by"]["proxy"], 1, "{api_other}");
    assert_no_canary(&f, &printed, CANARY);
}

/// One OTLP/JSON export of Claude Code's cumulative token counter.
fn export(input: u64, output: u64, minute: u64, canary: &str) -> String {
    let start = 1_764_576_000_000_000_000u64;
    let time = start + minute * 60_000_000_000;
    let point = |kind: &str, value: u64| {
        format!(
            "{{\"attributes\":[{{\"key\":\"type\",\"value\":{{\"stringValue\":\"{kind}\"}}}},{{\"key\":\"model\",\"value\":{{\"stringValue\":\"claude-sonnet-4-5-20250929\"}}}},{{\"key\":\"user.email\",\"value\":{{\"stringValue\":\"{canary}@example.com\"}}}},{{\"key\":\"session.id\",\"value\":{{\"stringValue\":\"sess-1\"}}}}],\"startTimeUnixNano\":\"{start}\",\"timeUnixNano\":\"{time}\",\"asDouble\":{value}}}"
        )
    };
    format!(
        "{{\"resourceMetrics\":[{{\"resource\":{{\"attributes\":[{{\"key\":\"service.name\",\"value\":{{\"stringValue\":\"claude-code\"}}}}]}},\"scopeMetrics\":[{{\"scope\":{{\"name\":\"com.anthropic.claude_code\"}},\"metrics\":[{{\"name\":\"claude_code.token.usage\",\"unit\":\"tokens\",\"sum\":{{\"aggregationTemporality\":2,\"isMonotonic\":true,\"dataPoints\":[{},{}]}}}}]}}]}}]}}",
        point("input", input),
        point("output", output)
    )
}

#[test]
fn telemetry_counters_count_once_across_duplicates_and_restarts() {
    let f = Fixture::empty();
    let policy = f.dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"sources":{"claude-code":"telemetry"}}"#).unwrap();
    let policy = policy.to_string_lossy().into_owned();
    let canary = "CANARY-otel-9e2";
    let metrics = |run: &ProxyRun, body: String| {
        let (status, _) = send(run.otlp_port, &post("/v1/metrics", &[], &body));
        assert!(status.contains("200"), "{status}");
    };
    let run = start(&f, &["--policy", &policy]);
    metrics(&run, export(100, 10, 1, canary));
    metrics(&run, export(100, 10, 1, canary)); // the same export again
    metrics(&run, export(250, 30, 2, canary));
    std::thread::sleep(Duration::from_millis(300));
    let mut printed = run.stop();
    let totals = |f: &Fixture| {
        let report = f.report(false);
        let rows = rows_of(&report, "claude-code");
        (sum(&rows, "input_tokens"), sum(&rows, "output_tokens"))
    };
    assert_eq!(totals(&f), (250, 30));
    // A restart continues the series from the saved state: only the rise
    // counts, and a late re-send of an old export adds nothing.
    let run = start(&f, &["--policy", &policy]);
    metrics(&run, export(400, 50, 3, canary));
    metrics(&run, export(250, 30, 2, canary));
    std::thread::sleep(Duration::from_millis(300));
    printed.extend(run.stop());
    assert_eq!(totals(&f), (400, 50));
    assert_no_canary(&f, &printed, canary);
}

#[test]
fn a_running_proxy_follows_its_policy() {
    let f = Fixture::empty();
    let provider = FakeProvider::start(vec![Canned {
        path: "/v1/chat/completions",
        headers: vec![("Content-Type", "application/json".into())],
        body: openai_reply(),
    }]);
    let policy = f.dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"sanctioned_tools": ["codex"]}"#).unwrap();
    let policy_arg = policy.to_string_lossy().into_owned();
    let openai = format!("t-openai=http://127.0.0.1:{}", provider.port);
    let run = start(&f, &["--policy", &policy_arg, "--upstream", &openai]);
    let chat = |run: &ProxyRun| {
        let (status, body) = send(
            run.port,
            &post(
                "/t-openai/v1/chat/completions",
                &[("user-agent", "OpenAI/Python 1.99")],
                r#"{"model":"gpt-4.1","messages":[]}"#,
            ),
        );
        assert!(status.contains("200"), "{status}");
        assert_eq!(body, openai_reply());
    };
    let printed_call = |l: &str| l.contains("api-other") && l.contains("[reported]");

    // Not sanctioned: passed through, not counted.
    chat(&run);
    assert!(wait_for(&run.lines, printed_call, Duration::from_secs(1)).is_none());

    // Sanctioned while it runs: the next call counts, no restart. A new
    // route cannot be added live, and it says so.
    std::fs::write(
        &policy,
        r#"{"sanctioned_tools": ["codex", "api-other"],
            "upstreams": [{"name": "corp", "url": "https://gw.example.com", "api": "openai"}]}"#,
    )
    .unwrap();
    let changed = wait_for(
        &run.lines,
        |l| l.starts_with("Policy changed"),
        Duration::from_secs(10),
    )
    .expect("the change is announced");
    assert!(changed.contains("api-other"), "{changed}");
    let restart = wait_for(
        &run.lines,
        |l| l.starts_with("restart tokentally proxy to apply:"),
        Duration::from_secs(5),
    )
    .expect("the new upstream needs a restart");
    assert!(restart.contains("upstreams (corp)"), "{restart}");

    // A broken policy keeps the last good one, and says so on stderr.
    std::fs::write(&policy, r#"{"sanctioned_tools": "#).unwrap();
    let kept = wait_for(
        &run.lines,
        |l| l.starts_with("stderr: tokentally: the policy changed and has"),
        Duration::from_secs(10),
    )
    .expect("the broken policy is told");
    assert!(
        kept.contains("the last good policy stays in force"),
        "{kept}"
    );
    chat(&run);
    assert!(wait_for(&run.lines, printed_call, Duration::from_secs(10)).is_some());
    run.stop();

    let report = f.report(true);
    let other = rows_of(&report, "api-other");
    assert_eq!(sum(&other, "calls"), 1, "{report}");
    assert_eq!(sum(&other, "output_tokens"), 20, "{report}");
}
