//! `tokentally agent`: everything, in the foreground, until SIGTERM or
//! Ctrl-C; one line per counted call on stdout, diagnostics in a rotating
//! file beside the ledger.

use std::{path::Path, time::Duration};

use tokentally_agent::{Agent, AgentConfig, AgentHandle, status::AgentEvent};
use tokentally_collect::Env;

use crate::{args::AgentArgs, output};

/// How long open streams and the tasks get to finish on shutdown.
const SHUTDOWN: Duration = Duration::from_secs(10);

pub fn run(
    ledger: &Path,
    explicit_policy: Option<std::path::PathBuf>,
    args: &AgentArgs,
) -> anyhow::Result<()> {
    let inputs = super::policy::inputs(ledger, explicit_policy);
    let mut config = AgentConfig::new(ledger.to_owned(), inputs, Env::from_process());
    config.live = !args.no_live;
    config.upload_interval = args.upload_every.map(std::time::Duration::from_secs);
    if !args.live.listen.is_empty() {
        config.proxy_listen = Some(args.live.listen.clone());
    }
    config.otlp_listen = args.live.otlp_listen;
    for spec in &args.live.upstream {
        config
            .extra_upstreams
            .push(super::proxy::parse_upstream(spec)?);
    }
    let agent = Agent::start(config)?;
    let events = agent.subscribe();
    std::thread::Builder::new()
        .name("tokentally-print".into())
        .spawn(move || {
            for event in events {
                if let Some(line) = line_of(&event)
                    && output::line(&line).is_err()
                {
                    break;
                }
            }
        })?;
    announce(&agent, ledger, config_live(args))?;
    wait_for_signal()?;
    let report = agent.shutdown(SHUTDOWN);
    if !report.unfinished.is_empty() {
        eprintln!(
            "tokentally: stopped; still finishing at the deadline: {}",
            report.unfinished.join(", ")
        );
    }
    Ok(())
}

fn config_live(args: &AgentArgs) -> bool {
    !args.no_live
}

/// One line saying what runs where, once the live sources are bound.
fn announce(agent: &AgentHandle, ledger: &Path, live: bool) -> anyhow::Result<()> {
    let mut where_ = String::new();
    if live {
        for _ in 0..40 {
            if agent.live_addrs().1.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let (proxy, otlp) = agent.live_addrs();
        let proxy: Vec<String> = proxy.iter().map(|a| format!("http://{a}")).collect();
        match otlp {
            Some(otlp) => {
                where_ = format!(
                    "; proxy on {}, telemetry receiver on http://{otlp}",
                    proxy.join(" and ")
                )
            }
            None => where_ = "; the proxy is not running yet (see the log)".into(),
        }
    }
    let logs = ledger.parent().unwrap_or(Path::new(".")).join("logs");
    Ok(output::line(&format!(
        "TokenTally agent running{where_}; log in {}. Ctrl-C to stop.",
        logs.display()
    ))?)
}

/// What the terminal is told of an event.
fn line_of(event: &AgentEvent) -> Option<String> {
    match event {
        AgentEvent::CallCounted {
            tool,
            model,
            total_tokens,
            provenance,
            via,
            ..
        } => Some(format!(
            "{tool:<12} {model:<28} {total_tokens} tokens [{provenance}, {via}]"
        )),
        AgentEvent::SourceAppeared { tool } => Some(format!("found {tool}'s logs")),
        AgentEvent::TaskFailed { task, error } => {
            Some(format!("problem: {task}: {error} (retrying)"))
        }
        AgentEvent::TaskRecovered { task } => Some(format!("{task} works again")),
        AgentEvent::PolicyChanged { sanctioned } => Some(format!(
            "Policy changed: now counting {}",
            sanctioned.join(", ")
        )),
        AgentEvent::PauseChanged { .. } => None,
        AgentEvent::Throttled { reason: Some(r) } => Some(format!("slowed down: {r}")),
        AgentEvent::Throttled { reason: None } => Some("back to normal speed".into()),
    }
}

/// Blocks until SIGTERM or Ctrl-C.
fn wait_for_signal() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(super::signal::terminated());
    Ok(())
}
