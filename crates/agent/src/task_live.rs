//! The live task: the API proxy and the telemetry receiver on loopback,
//! writing the calls they see into the ledger through one writer thread.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokentally_event::UsageEvent;
use tokentally_otlp::{ExportSink, ReceiverState};
use tokentally_policy::{Resolved, settings::UpstreamApi};
use tokentally_proxy::{Api, Proxy, ProxyConfig, Upstream};
use tokentally_store::{
    Store,
    live::{LiveSink, LiveWriter},
};

use crate::{Shared, choice, status::TaskState, supervise::Exit};

/// The name the receiver's state is saved under in the ledger.
pub const RECEIVER_STATE: &str = "otlp-receiver";

/// How long open requests may finish when the agent stops.
const DRAIN: Duration = Duration::from_secs(3);

pub(crate) fn run(shared: &Arc<Shared>) -> Result<Exit, String> {
    let (version, policy) = shared.policy();
    let (proxy_config, otlp_addr) = listen_config(shared, &policy.resolved)?;
    let store = crate::open_store(shared, 2048)?;
    let receiver_state = saved_receiver_state(&store);
    let accepting = shared.clone();
    let committed = shared.clone();
    let writer = LiveWriter::spawn(
        store,
        Box::new(move |e: &UsageEvent| choice::accepts(&accepting.policy().1.resolved, e)),
        Box::new(move |summary| {
            committed.board.counted(&summary.new_calls);
            if summary.improved > 0 {
                committed.board.improved();
            }
        }),
    )
    .map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let served = runtime.block_on(serve(
        shared,
        proxy_config,
        otlp_addr,
        &writer,
        receiver_state,
        version,
    ));
    // Connections still open after the drain are dropped here: a body cut
    // off this way is recorded as a cut-off call before the writer closes.
    runtime.shutdown_timeout(Duration::from_secs(1));
    writer.close();
    served
}

/// The addresses and upstreams, from the agent's overrides or the policy.
fn listen_config(shared: &Shared, policy: &Resolved) -> Result<(ProxyConfig, SocketAddr), String> {
    let mut config = ProxyConfig::loopback(policy.proxy_port);
    if let Some(listen) = &shared.config.proxy_listen {
        config.listen = listen.clone();
    }
    for u in &policy.upstreams {
        let api = match u.api {
            UpstreamApi::Openai => Api::OpenAi,
            UpstreamApi::Anthropic => Api::Anthropic,
            UpstreamApi::Gemini => Api::Gemini,
        };
        config
            .extra_upstreams
            .push(Upstream::new(&u.name, &u.url, api).map_err(|e| e.to_string())?);
    }
    config
        .extra_upstreams
        .extend(shared.config.extra_upstreams.iter().cloned());
    let otlp = shared
        .config
        .otlp_listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], policy.receiver_port)));
    if !otlp.ip().is_loopback() {
        return Err(format!("{otlp} is not a loopback address"));
    }
    Ok((config, otlp))
}

async fn serve(
    shared: &Arc<Shared>,
    config: ProxyConfig,
    otlp_addr: SocketAddr,
    writer: &LiveWriter,
    receiver_state: ReceiverState,
    version: u64,
) -> Result<Exit, String> {
    let proxy = Proxy::bind(config, writer.event_sink())
        .await
        .map_err(|e| e.to_string())?;
    let otlp = tokio::net::TcpListener::bind(otlp_addr).await.map_err(|e| {
        format!("cannot listen on {otlp_addr} for telemetry: {e} (is another program using port {}?)", otlp_addr.port())
    })?;
    *shared
        .live_addrs
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) =
        (proxy.local_addrs(), otlp.local_addr().ok());
    shared.board.task("live", TaskState::Running);
    let mut exit = Exit::Stopped;
    let stopped = async {
        exit = tokio::select! {
            _ = shared.stop.stopped() => Exit::Stopped,
            _ = listen_settings_changed(shared, version) => Exit::Restart,
        };
    };
    serve_until(proxy, otlp, writer.sink(), receiver_state, DRAIN, stopped).await;
    Ok(exit)
}

/// Runs the proxy and the receiver until `stopped` completes, then lets
/// open requests finish for up to `drain` and waits for both.
pub async fn serve_until(
    proxy: Proxy,
    otlp: tokio::net::TcpListener,
    sink: LiveSink,
    receiver_state: ReceiverState,
    drain: Duration,
    stopped: impl std::future::Future<Output = ()>,
) {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sink: Arc<dyn ExportSink> = Arc::new(ReceiverSink(sink));
    let mut stop = stop_rx.clone();
    let receiver = tokio::spawn(tokentally_otlp::serve_exports(
        otlp,
        sink,
        receiver_state,
        async move {
            let _ = stop.wait_for(|s| *s).await;
        },
    ));
    let mut stop = stop_rx;
    let proxied = tokio::spawn(proxy.run(
        async move {
            let _ = stop.wait_for(|s| *s).await;
        },
        drain,
    ));
    stopped.await;
    let _ = stop_tx.send(true);
    let _ = proxied.await;
    if let Ok(Err(e)) = receiver.await {
        tracing::warn!(error = %e, "The telemetry receiver stopped with an error.");
    }
}

/// Completes when a new policy moves the ports or the upstreams: those
/// need new listeners. Other changes apply to the running ones.
async fn listen_settings_changed(shared: &Shared, version: u64) {
    let listen_of = |p: &Resolved| (p.proxy_port, p.receiver_port, p.upstreams.clone());
    let (_, started) = shared.policy();
    let started = listen_of(&started.resolved);
    let mut seen = version;
    loop {
        shared.policy_changed.notified().await;
        let (now, policy) = shared.policy();
        if now != seen && listen_of(&policy.resolved) != started {
            return;
        }
        seen = now;
    }
}

/// Hands the receiver's calls and its state after them to the writer as
/// one message, committed in one transaction: a restart continues every
/// counter series without counting any call twice.
pub struct ReceiverSink(pub LiveSink);

impl ExportSink for ReceiverSink {
    fn record_export(&self, events: Vec<UsageEvent>, state: &ReceiverState) {
        match serde_json::to_vec(state) {
            Ok(value) => self.0.record_export(events, RECEIVER_STATE, value),
            Err(e) => {
                // Without its state the calls would be counted again after
                // a restart; keep neither rather than risk that.
                tracing::warn!(error = %e, "Cannot save the receiver's state; export dropped.");
            }
        }
    }
}

/// The receiver's state as last committed, or a fresh one.
pub fn saved_receiver_state(store: &Store) -> ReceiverState {
    match store.live_state(RECEIVER_STATE) {
        Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "The saved receiver state is unreadable; starting afresh.");
            ReceiverState::default()
        }),
        Ok(None) => ReceiverState::default(),
        Err(e) => {
            tracing::warn!(error = %e, "Cannot read the saved receiver state.");
            ReceiverState::default()
        }
    }
}
