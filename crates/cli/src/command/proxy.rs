//! `tokentally proxy`: the loopback API proxy and telemetry receiver in
//! the foreground; `proxy env` and `otel env`: how to point tools at them.

use std::{net::SocketAddr, sync::mpsc, thread::JoinHandle, time::Duration};

use anyhow::{Context, bail};
use tokentally_agent::{saved_receiver_state, serve_until};
use tokentally_event::UsageEvent;
use tokentally_otlp::ReceiverState;
use tokentally_policy::{
    Effective, Resolved,
    settings::{self, UpstreamApi},
};
use tokentally_proxy::{Api, Proxy, ProxyConfig, Upstream};
use tokentally_store::{Store, live::LiveWriter};

use super::{follow, live::LivePolicy};
use crate::{args::ProxyArgs, output, summary};

pub fn run(store: Store, args: &ProxyArgs, policy: &Effective) -> anyhow::Result<()> {
    let upstreams = upstreams(policy, &args.live.upstream)?;
    let mut config = ProxyConfig::loopback(policy.resolved.proxy_port);
    if !args.live.listen.is_empty() {
        config.listen = args.live.listen.clone();
    }
    config.extra_upstreams = upstreams;
    let otlp_addr = args
        .live
        .otlp_listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], policy.resolved.receiver_port)));
    if !otlp_addr.ip().is_loopback() {
        bail!(
            "{otlp_addr} is not a loopback address; the receiver listens on 127.0.0.1 or ::1 only"
        );
    }
    let receiver_state = saved_receiver_state(&store);
    store.limit_cache(2048)?;
    let live = LivePolicy::new(policy.resolved.clone());
    let following = PolicyThread::start(
        FollowedPolicy {
            follower: follow::PolicyFollower::new(store.path(), policy),
            live: live.clone(),
            bound: Bound::of(&policy.resolved, args),
            unapplied: Vec::new(),
        },
        POLICY_LOOK,
    )?;
    let writer = LiveWriter::spawn(
        store,
        Box::new(move |e: &UsageEvent| live.accepts(e)),
        Box::new(|s| {
            for call in &s.new_calls {
                let _ = output::line(&summary::call_line(call));
            }
        }),
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the proxy's runtime")?;
    let served = runtime.block_on(serve(config, otlp_addr, &writer, receiver_state));
    following.stop();
    // Whatever was counted before a failure is committed before exiting.
    writer.close();
    served
}

/// How often the policy's files are looked at. A change is applied at the
/// second look after it, once the files held still (not half-written).
const POLICY_LOOK: Duration = Duration::from_millis(500);

/// The policy in force in a running proxy, and what it was started with.
struct FollowedPolicy {
    follower: follow::PolicyFollower,
    /// What the writer decides with.
    live: LivePolicy,
    /// The keys that took effect when the sockets were bound.
    bound: Bound,
    /// The keys last told to need a restart, so each change is told once.
    unapplied: Vec<String>,
}

impl FollowedPolicy {
    /// Called at each look: when the policy's files changed, loads it again
    /// (change log, last good), puts it in force and says what changed.
    fn poll(&mut self) {
        let Some((effective, change)) = self.follower.reload() else {
            return;
        };
        let resolved = effective.resolved;
        // A closed stdout must not stop the counting.
        if let Some(change) = change {
            let _ = output::line(&format!(
                "{}{}",
                follow::changed_line(&change, &resolved.sanctioned_tools),
                super::live::live_sources(&resolved)
            ));
        }
        let unapplied = self.bound.unapplied(&resolved);
        if !unapplied.is_empty() && unapplied != self.unapplied {
            let _ = output::line(&format!(
                "restart tokentally proxy to apply: {}",
                unapplied.join(", ")
            ));
        }
        self.unapplied = unapplied;
        self.live.replace(resolved);
    }
}

/// The policy's keys a running proxy cannot change: its sockets and routes
/// are made at the start. `None` where the command line overrides the key.
#[derive(Debug, Clone, PartialEq)]
struct Bound {
    proxy_port: Option<u16>,
    receiver_port: Option<u16>,
    upstreams: Vec<settings::Upstream>,
}

impl Bound {
    fn of(policy: &Resolved, args: &ProxyArgs) -> Self {
        Bound {
            proxy_port: args.live.listen.is_empty().then_some(policy.proxy_port),
            receiver_port: args
                .live
                .otlp_listen
                .is_none()
                .then_some(policy.receiver_port),
            upstreams: policy.upstreams.clone(),
        }
    }

    /// The keys of `now` that differ from what is bound, as told.
    fn unapplied(&self, now: &Resolved) -> Vec<String> {
        let mut out = Vec::new();
        let port = |key: &str, bound: Option<u16>, now: u16| {
            bound
                .filter(|b| *b != now)
                .map(|b| format!("{key} {b} → {now}"))
        };
        out.extend(port("proxy_port", self.proxy_port, now.proxy_port));
        out.extend(port("receiver_port", self.receiver_port, now.receiver_port));
        if self.upstreams != now.upstreams {
            let names: Vec<&str> = now.upstreams.iter().map(|u| u.name.as_str()).collect();
            let names = if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            };
            out.push(format!("upstreams ({names})"));
        }
        out
    }
}

/// The thread that looks at the policy's files while the proxy runs.
struct PolicyThread {
    /// Dropped to stop it: its wait ends at once.
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl PolicyThread {
    fn start(mut policy: FollowedPolicy, every: Duration) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tokentally-policy".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    policy.poll();
                }
            })?;
        Ok(PolicyThread { stop, thread })
    }

    fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

async fn serve(
    config: ProxyConfig,
    otlp_addr: SocketAddr,
    writer: &LiveWriter,
    receiver_state: ReceiverState,
) -> anyhow::Result<()> {
    let proxy = Proxy::bind(config, writer.event_sink()).await?;
    let otlp = tokio::net::TcpListener::bind(otlp_addr)
        .await
        .with_context(|| format!("cannot listen on {otlp_addr} for telemetry (is another program using port {}? set `receiver_port` in the policy or pass --otlp-listen)", otlp_addr.port()))?;
    let proxy_addrs: Vec<String> = proxy
        .local_addrs()
        .iter()
        .map(|a| format!("http://{a}"))
        .collect();
    output::line(&format!(
        "Proxy listening on {} (routes: {}); telemetry receiver on http://{}. Ctrl-C to stop.",
        proxy_addrs.join(" and "),
        proxy.routes().join(", "),
        otlp.local_addr().unwrap_or(otlp_addr)
    ))?;
    serve_until(
        proxy,
        otlp,
        writer.sink(),
        receiver_state,
        Duration::from_secs(5),
        super::signal::terminated(),
    )
    .await;
    Ok(())
}

/// The policy's upstreams, then those of the command line.
fn upstreams(policy: &Effective, extra: &[String]) -> anyhow::Result<Vec<Upstream>> {
    let mut out = Vec::new();
    for u in &policy.resolved.upstreams {
        out.push(Upstream::new(&u.name, &u.url, api_of(u.api))?);
    }
    for spec in extra {
        out.push(parse_upstream(spec)?);
    }
    Ok(out)
}

fn api_of(api: UpstreamApi) -> Api {
    match api {
        UpstreamApi::Openai => Api::OpenAi,
        UpstreamApi::Anthropic => Api::Anthropic,
        UpstreamApi::Gemini => Api::Gemini,
    }
}

/// `NAME[:API]=URL`.
pub fn parse_upstream(spec: &str) -> anyhow::Result<Upstream> {
    let Some((head, url)) = spec.split_once('=') else {
        bail!("--upstream `{spec}`: expected NAME[:API]=URL");
    };
    let (name, api) = match head.split_once(':') {
        Some((name, "openai")) => (name, Api::OpenAi),
        Some((name, "anthropic")) => (name, Api::Anthropic),
        Some((name, "gemini")) => (name, Api::Gemini),
        Some((_, other)) => {
            bail!("--upstream `{spec}`: unknown API `{other}` (openai, anthropic or gemini)")
        }
        None => (head, Api::OpenAi),
    };
    Ok(Upstream::new(name, url, api)?)
}

/// `tokentally proxy env`.
pub fn env(policy: &Effective) -> anyhow::Result<()> {
    Ok(output::line(
        &tokentally_desk::proxy_lines(&policy.resolved).join("\n"),
    )?)
}

/// `tokentally otel env`.
pub fn otel_env(policy: &Effective) -> anyhow::Result<()> {
    Ok(output::line(
        &tokentally_desk::otel_lines(&policy.resolved).join("\n"),
    )?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn upstream_specs() {
        let u = parse_upstream("corp:anthropic=https://gw.example.com/llm").unwrap();
        assert_eq!((u.name.as_str(), u.api), ("corp", Api::Anthropic));
        assert_eq!(
            parse_upstream("azure=https://x.example.com").unwrap().api,
            Api::OpenAi
        );
        assert!(parse_upstream("nourl").is_err());
        assert!(parse_upstream("x:cohere=https://x.example.com").is_err());
        assert!(parse_upstream("x=http://192.0.2.1").is_err());
    }

    fn resolved(doc: serde_json::Value) -> Resolved {
        let (settings, problems) = tokentally_policy::parse(&doc, "test");
        assert!(problems.is_empty(), "{problems:?}");
        tokentally_policy::layers::combine(Some((&settings, "test")), None, &mut Vec::new()).0
    }

    #[test]
    fn ports_and_upstreams_changed_while_running_need_a_restart() {
        let start = resolved(serde_json::json!({"proxy_port": 8100, "receiver_port": 8101}));
        let bound = Bound {
            proxy_port: Some(8100),
            receiver_port: Some(8101),
            upstreams: Vec::new(),
        };
        assert!(bound.unapplied(&start).is_empty());
        let moved = resolved(serde_json::json!({
            "proxy_port": 8200,
            "receiver_port": 8101,
            "upstreams": [{"name": "corp", "url": "https://gw.example.com", "api": "openai"}],
        }));
        assert_eq!(
            bound.unapplied(&moved),
            ["proxy_port 8100 → 8200", "upstreams (corp)"]
        );
        // A port given on the command line is not the policy's to change.
        let listen_given = Bound {
            proxy_port: None,
            ..bound
        };
        assert_eq!(listen_given.unapplied(&moved), ["upstreams (corp)"]);
    }
}
