//! The agent over a real temp home, ledger and loopback ports: it counts,
//! reports, survives a failing task, pauses and stops within its deadline.
#![allow(clippy::unwrap_used)]

use std::{
    io::Write,
    path::{Path, PathBuf},
    sync::mpsc,
    time::{Duration, Instant},
};

use tokentally_agent::{
    Agent, AgentConfig, AgentHandle,
    status::{AgentEvent, TaskState},
};
use tokentally_collect::{Env, watch::WatchTiming};
use tokentally_policy::Inputs;

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        let home = Home {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(home.logs()).unwrap();
        home
    }

    fn logs(&self) -> PathBuf {
        self.dir.path().join("home/.claude/projects/p")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn config(&self, policy: Option<&Path>) -> AgentConfig {
        let data = self.data();
        let inputs = Inputs {
            explicit: policy.map(Path::to_owned),
            // No OS sources: a test must not read this machine's /etc.
            managed: Vec::new(),
            employee: data.join("settings.json"),
            state_dir: data.clone(),
        };
        let home = self.dir.path().join("home");
        let env = Env::from_pairs([("HOME", home.to_str().unwrap())]);
        let mut config = AgentConfig::new(data.join("tokentally.db"), inputs, env);
        config.timing = WatchTiming {
            debounce: Duration::from_millis(50),
            max_delay: Duration::from_millis(200),
            rescan: Duration::from_secs(2),
            after_create: Duration::from_millis(300),
        };
        config.proxy_listen = Some(vec!["127.0.0.1:0".parse().unwrap()]);
        config.otlp_listen = Some("127.0.0.1:0".parse().unwrap());
        config
    }

    /// Appends one Claude Code call made now, with output `output`.
    fn call(&self, id: &str, output: u64) {
        let now = jiff::Timestamp::now();
        let line = format!(
            "{{\"type\":\"assistant\",\"sessionId\":\"s\",\"timestamp\":\"{now}\",\"requestId\":\"req_{id}\",\"message\":{{\"id\":\"{id}\",\"model\":\"claude-sonnet-4-5-20250929\",\"usage\":{{\"input_tokens\":10,\"cache_read_input_tokens\":0,\"cache_creation_input_tokens\":0,\"output_tokens\":{output}}}}}}}\n"
        );
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs().join("s.jsonl"))
            .unwrap();
        f.write_all(line.as_bytes()).unwrap();
    }
}

fn wait_for(
    events: &mpsc::Receiver<AgentEvent>,
    want: impl Fn(&AgentEvent) -> bool,
    limit: Duration,
) -> Option<AgentEvent> {
    let until = Instant::now() + limit;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        match events.recv_timeout(left) {
            Ok(e) if want(&e) => return Some(e),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    done()
}

fn task_state(agent: &AgentHandle, name: &str) -> Option<TaskState> {
    agent
        .status()
        .tasks
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| t.state)
}

fn counted(id_output: u64) -> impl Fn(&AgentEvent) -> bool {
    move |e| matches!(e, AgentEvent::CallCounted { tool: "claude-code", total_tokens, .. } if *total_tokens == 10 + id_output)
}

#[test]
fn counts_a_new_call_and_reports_it_in_events_status_and_today() {
    let home = Home::new();
    home.call("msg_old", 1);
    let agent = Agent::start(home.config(None)).unwrap();
    let events = agent.subscribe();
    assert!(wait_until(Duration::from_secs(10), || task_state(
        &agent,
        "collectors"
    ) == Some(
        TaskState::Running
    )));
    assert!(wait_until(Duration::from_secs(10), || task_state(
        &agent, "live"
    ) == Some(
        TaskState::Running
    )));
    home.call("msg_new", 500);
    assert!(wait_for(&events, counted(500), Duration::from_secs(10)).is_some());
    let status = agent.status();
    let claude = status
        .sources
        .iter()
        .find(|s| s.tool == "claude-code")
        .unwrap();
    assert!(
        claude.found && claude.sanctioned && claude.files == 1,
        "{claude:?}"
    );
    assert_eq!(claude.via, "logs");
    assert_eq!(status.today.calls, 2);
    assert_eq!(status.today.output, 501);
    assert_eq!(status.today.by_tool.get("claude-code"), Some(&(20 + 501)));
    let (proxy, otlp) = agent.live_addrs();
    assert!(!proxy.is_empty() && otlp.is_some());
    let report = agent.shutdown(Duration::from_secs(10));
    assert!(report.unfinished.is_empty(), "{report:?}");
    assert_eq!(
        report.stopped.len(),
        5,
        "collectors, policy, watchdog, upload, live"
    );
}

#[test]
fn a_failing_task_shows_in_the_status_while_the_others_keep_counting_then_recovers() {
    let home = Home::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut config = home.config(None);
    config.proxy_listen = Some(vec![format!("127.0.0.1:{port}").parse().unwrap()]);
    let agent = Agent::start(config).unwrap();
    let events = agent.subscribe();
    let failed = wait_for(
        &events,
        |e| matches!(e, AgentEvent::TaskFailed { task: "live", .. }),
        Duration::from_secs(10),
    );
    let Some(AgentEvent::TaskFailed { error, .. }) = failed else {
        panic!("the live task did not fail: {:?}", agent.status().tasks);
    };
    assert!(error.contains(&port.to_string()), "{error}");
    assert!(matches!(
        task_state(&agent, "live"),
        Some(TaskState::Failed { .. })
    ));
    // The collectors go on.
    home.call("msg_during_failure", 77);
    assert!(wait_for(&events, counted(77), Duration::from_secs(10)).is_some());
    assert_eq!(task_state(&agent, "collectors"), Some(TaskState::Running));
    // The port is freed: the live task comes back by itself.
    drop(taken);
    assert!(
        wait_for(
            &events,
            |e| matches!(e, AgentEvent::TaskRecovered { task: "live" }),
            Duration::from_secs(15)
        )
        .is_some()
    );
    let restarts = agent
        .status()
        .tasks
        .iter()
        .find(|t| t.name == "live")
        .unwrap()
        .restarts;
    assert!(restarts >= 1);
    assert!(
        agent
            .shutdown(Duration::from_secs(10))
            .unfinished
            .is_empty()
    );
}

#[test]
fn a_removed_log_folder_is_not_a_failure_and_a_new_one_is_found_again() {
    let home = Home::new();
    home.call("msg_1", 1);
    let agent = Agent::start(home.config(None)).unwrap();
    let events = agent.subscribe();
    assert!(wait_until(Duration::from_secs(10), || agent
        .status()
        .today
        .calls
        == 1));
    std::fs::remove_dir_all(home.dir.path().join("home/.claude")).unwrap();
    assert!(wait_until(Duration::from_secs(10), || {
        !agent
            .status()
            .sources
            .iter()
            .any(|s| s.tool == "claude-code" && s.found)
    }));
    assert_eq!(task_state(&agent, "collectors"), Some(TaskState::Running));
    std::fs::create_dir_all(home.logs()).unwrap();
    home.call("msg_2", 2);
    assert!(wait_for(&events, counted(2), Duration::from_secs(10)).is_some());
    // The removed call stays counted: the ledger keeps every call.
    assert_eq!(agent.today().calls, 2);
    agent.shutdown(Duration::from_secs(10));
}

#[test]
fn calls_made_while_paused_are_not_counted_even_when_read_later() {
    let home = Home::new();
    let mut config = home.config(None);
    config.live = false;
    let agent = Agent::start(config).unwrap();
    let events = agent.subscribe();
    agent.pause(None).unwrap();
    assert_eq!(agent.paused_until(), Some(i64::MAX));
    assert!(agent.status().paused_until_ms.is_some());
    home.call("msg_paused", 300);
    std::thread::sleep(Duration::from_millis(1500));
    agent.resume().unwrap();
    assert_eq!(agent.paused_until(), None);
    std::thread::sleep(Duration::from_millis(20));
    home.call("msg_after", 400);
    assert!(wait_for(&events, counted(400), Duration::from_secs(10)).is_some());
    let today = agent.today();
    assert_eq!((today.calls, today.output), (1, 400));
    // Nothing else arrives: the paused call stays uncounted.
    let later = wait_for(
        &events,
        |e| matches!(e, AgentEvent::CallCounted { .. }),
        Duration::from_millis(500),
    );
    assert!(later.is_none(), "{later:?}");
    agent.shutdown(Duration::from_secs(10));
}

#[test]
fn a_policy_change_is_followed_without_a_restart() {
    let home = Home::new();
    let policy = home.dir.path().join("policy.json");
    std::fs::write(&policy, r#"{"sanctioned_tools":["codex"]}"#).unwrap();
    home.call("msg_before", 5);
    let mut config = home.config(Some(&policy));
    config.live = false;
    let agent = Agent::start(config).unwrap();
    let events = agent.subscribe();
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(agent.today().calls, 0, "claude-code is not sanctioned");
    std::fs::write(&policy, r#"{"sanctioned_tools":["codex","claude-code"]}"#).unwrap();
    assert!(wait_for(&events, |e| matches!(e, AgentEvent::PolicyChanged { sanctioned } if sanctioned.contains(&"claude-code")), Duration::from_secs(10)).is_some());
    assert!(wait_for(&events, counted(5), Duration::from_secs(10)).is_some());
    agent.shutdown(Duration::from_secs(10));
}
