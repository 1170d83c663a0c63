//! `tokentally-server-bench`: a bounded load generator on loopback. Starts
//! the `tokentally-server` binary beside it on a database, enrolls N devices,
//! has each upload one day of buckets (hourly and daily, three tools), then
//! replays every upload (all unchanged), then reads one team report; prints
//! requests/s, latency percentiles and CPU for each phase.
//!
//!     cargo build --release -p tokentally-server
//!     /var/tmp/tokentally-target/release/tokentally-server-bench --db sqlite:///tmp/bench.db

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokentally_event::Tool;
use tokentally_server::BlockingAdmin;
use tokentally_wire::{Bucket, EnrollReply, ModelLabel, Period, ToolLabel, UsageBatch};

#[derive(Parser)]
#[command(about = "Load benchmark of tokentally-server on loopback")]
struct Args {
    /// A fresh database: sqlite:///path or postgres://...
    #[arg(long)]
    db: String,
    /// Simulated devices.
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The server binary (default: tokentally-server beside this one).
    #[arg(long)]
    server_bin: Option<std::path::PathBuf>,
    /// Devices per team (people are one device each).
    #[arg(long, default_value_t = 50)]
    team_size: usize,
}

/// 2026-11-30T00:00:00Z: the simulated day.
const DAY: i64 = 1_795_996_800;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

struct Phase {
    name: &'static str,
    requests: usize,
    wall: Duration,
    latencies: Vec<Duration>,
    server_cpu: f64,
    client_cpu: f64,
    machine_busy: f64,
}

impl Phase {
    fn print(&self) {
        let mut l = self.latencies.clone();
        l.sort();
        let pct = |p: f64| {
            l.get(((l.len() as f64 * p).ceil() as usize).saturating_sub(1))
                .copied()
                .unwrap_or_default()
        };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {:<8} | {:>6} | {:>8.1} | {:>7.1} | {:>7.2} | {:>7.2} | {:>7.2} | {:>6.1} | {:>6.1} | {:>5.0}% |",
            self.name,
            self.requests,
            self.wall.as_secs_f64(),
            self.requests as f64 / self.wall.as_secs_f64(),
            ms(pct(0.50)),
            ms(pct(0.99)),
            ms(pct(1.0)),
            self.server_cpu,
            self.client_cpu,
            self.machine_busy * 100.0,
        );
    }
}

fn main() -> Result<()> {
    let args = Args::parse();
    let server_bin = match &args.server_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("tokentally-server"),
    };
    let admin = BlockingAdmin::open(&args.db).context("opening the database")?;
    if !admin.devices()?.is_empty() {
        bail!("the database already has devices: give a fresh one");
    }
    let codes = admin.issue_codes(args.devices, Duration::from_secs(3600))?;
    let admin_token = admin.issue_admin_token("bench")?;

    let mut server = ServerProcess::start(&server_bin, &args.db)?;
    let base = server.base.clone();
    eprintln!("server pid {} at {base}", server.child.id());
    // One client thread: the load generator cannot take both cores.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.concurrency)
        .build(HttpConnector::new());

    let mut phases = Vec::new();
    let enroll_bodies: Vec<Vec<u8>> = codes
        .iter()
        .map(|c| serde_json::to_vec(&serde_json::json!({ "code": c })))
        .collect::<Result<_, _>>()?;
    let (phase, replies) = runtime.block_on(run_phase(
        "enroll",
        &client,
        &server,
        args.concurrency,
        enroll_bodies
            .into_iter()
            .map(|b| ("/v1/enroll".to_owned(), None, b))
            .collect(),
    ))?;
    phases.push(phase);
    let devices: Vec<EnrollReply> = replies
        .iter()
        .map(|r| serde_json::from_slice(r))
        .collect::<Result<_, _>>()?;
    for (i, d) in devices.iter().enumerate() {
        admin.assign(
            &d.device_id,
            &format!("p{i}"),
            &format!("team{}", i / args.team_size),
        )?;
    }

    let uploads: Vec<(String, Option<String>, Vec<u8>)> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                "/v1/usage".to_owned(),
                Some(d.token.clone()),
                day_of_buckets(i).to_bytes(),
            )
        })
        .collect();
    let buckets_per_upload = day_of_buckets(0).buckets.len();
    let (phase, _) = runtime.block_on(run_phase(
        "upload",
        &client,
        &server,
        args.concurrency,
        uploads.clone(),
    ))?;
    phases.push(phase);
    let (phase, replies) = runtime.block_on(run_phase(
        "replay",
        &client,
        &server,
        args.concurrency,
        uploads,
    ))?;
    phases.push(phase);
    for r in &replies {
        let ack: tokentally_wire::UsageAck = serde_json::from_slice(r)?;
        if ack.stored != 0 {
            bail!("a replay stored {} buckets", ack.stored);
        }
    }
    let report = format!("/v1/reports?by=team&from={DAY}&to={}", DAY + 86_400);
    let (phase, replies) = runtime.block_on(run_phase(
        "report",
        &client,
        &server,
        1,
        vec![(report, Some(admin_token), Vec::new())],
    ))?;
    phases.push(phase);
    let report: tokentally_server::Report = serde_json::from_slice(&replies[0])?;

    println!(
        "\n{} devices x {} buckets per upload, concurrency {}, db {}\n",
        args.devices,
        buckets_per_upload,
        args.concurrency,
        if args.db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!(
        "| phase    | reqs   | wall s   | req/s   | p50 ms  | p99 ms  | max ms  | srv cpu s | cli cpu s | machine |"
    );
    println!(
        "|----------|--------|----------|---------|---------|---------|---------|--------|--------|--------|"
    );
    for p in &phases {
        p.print();
    }
    let stored = admin.buckets()?.len();
    println!(
        "\nbuckets stored: {stored}; team report: {} teams shown, {} suppressed",
        report.groups.len(),
        report.suppressed
    );
    server.stop();
    Ok(())
}

/// Three tools' hourly buckets over 24 hours and their day totals.
fn day_of_buckets(device: usize) -> UsageBatch {
    let tools = [
        (Tool::ClaudeCode, "claude-sonnet-4-5"),
        (Tool::Codex, "gpt-5-codex"),
        (Tool::Cursor, "auto"),
    ];
    let mut buckets = Vec::new();
    for (t, (tool, model)) in tools.into_iter().enumerate() {
        let mut day = bucket(DAY, Period::Day, tool, model, 0);
        for hour in 0..24 {
            let scale = ((device * 7 + t * 13 + hour) % 17 + 1) as u64;
            let b = bucket(DAY + hour as i64 * 3600, Period::Hour, tool, model, scale);
            day.input += b.input;
            day.cache_read += b.cache_read;
            day.output += b.output;
            day.reasoning += b.reasoning;
            day.calls_exact += b.calls_exact;
            buckets.push(b);
        }
        buckets.push(day);
    }
    UsageBatch::new(buckets)
}

fn bucket(start: i64, period: Period, tool: Tool, model: &str, scale: u64) -> Bucket {
    Bucket {
        start,
        period,
        tool: ToolLabel(tool),
        model: ModelLabel::new(model)
            .unwrap_or_else(|| unreachable!("fixed model names are valid")),
        revision: 1,
        input: 1000 * scale,
        cache_read: 20_000 * scale,
        cache_write: 0,
        output: 300 * scale,
        reasoning: 100 * scale,
        calls_exact: scale,
        calls_reported: 0,
        calls_estimated: 0,
    }
}

async fn run_phase(
    name: &'static str,
    client: &HttpClient,
    server: &ServerProcess,
    concurrency: usize,
    requests: Vec<(String, Option<String>, Vec<u8>)>,
) -> Result<(Phase, Vec<Bytes>)> {
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let cpu0 = (server.cpu_seconds(), self_cpu_seconds(), machine_cpu());
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let requests = Arc::clone(&requests);
        let next = Arc::clone(&next);
        let client = client.clone();
        let base = server.base.clone();
        workers.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, token, body)) = requests.get(i) else {
                    return Ok::<_, anyhow::Error>(out);
                };
                let mut req = hyper::Request::builder()
                    .uri(format!("{base}{path}"))
                    .method(if body.is_empty() { "GET" } else { "POST" })
                    .header("content-type", "application/json");
                if let Some(t) = token {
                    req = req.header("authorization", format!("Bearer {t}"));
                }
                let req = req.body(Full::new(Bytes::from(body.clone())))?;
                let t0 = Instant::now();
                let response = client.request(req).await?;
                let status = response.status();
                let bytes = response.into_body().collect().await?.to_bytes();
                let took = t0.elapsed();
                if !status.is_success() {
                    bail!("{path}: {status} {}", String::from_utf8_lossy(&bytes));
                }
                out.push((i, took, bytes));
            }
        }));
    }
    let mut all = Vec::with_capacity(requests.len());
    for w in workers {
        all.extend(w.await??);
    }
    let wall = started.elapsed();
    let cpu1 = (server.cpu_seconds(), self_cpu_seconds(), machine_cpu());
    all.sort_by_key(|(i, _, _)| *i);
    let latencies = all.iter().map(|(_, d, _)| *d).collect();
    let bodies = all.into_iter().map(|(_, _, b)| b).collect();
    let (busy0, total0) = cpu0.2;
    let (busy1, total1) = cpu1.2;
    Ok((
        Phase {
            name,
            requests: requests.len(),
            wall,
            latencies,
            server_cpu: cpu1.0 - cpu0.0,
            client_cpu: cpu1.1 - cpu0.1,
            machine_busy: (busy1 - busy0) as f64 / ((total1 - total0).max(1)) as f64,
        },
        bodies,
    ))
}

struct ServerProcess {
    child: Child,
    base: String,
}

impl ServerProcess {
    fn start(bin: &std::path::Path, db: &str) -> Result<ServerProcess> {
        let mut child = Command::new(bin)
            .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
            // The bench is one client sending each device's requests in a
            // burst; the per-device limit is not what is measured.
            .args(["--rate-per-minute", "100000", "--pool", "16"])
            .env("TOKENTALLY_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stderr = child.stderr.take().context("server stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let base = loop {
            let Some(line) = lines.next() else {
                bail!("the server exited before listening");
            };
            let line = line?;
            if let Some(at) = line.find("listening on ") {
                break line[at + "listening on ".len()..].trim().to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(ServerProcess { child, base })
    }

    fn cpu_seconds(&self) -> f64 {
        proc_cpu_seconds(&format!("/proc/{}/stat", self.child.id()))
    }

    fn stop(&mut self) {
        // SIGTERM through kill(1): the server drains and exits.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// utime + stime of a process, seconds (Linux; 0 elsewhere).
fn proc_cpu_seconds(path: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(path) else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn self_cpu_seconds() -> f64 {
    proc_cpu_seconds("/proc/self/stat")
}

/// (busy, total) jiffies of all CPUs, from /proc/stat.
fn machine_cpu() -> (u64, u64) {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return (0, 0);
    };
    let Some(line) = stat.lines().next() else {
        return (0, 0);
    };
    let n: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: u64 = n.iter().take(8).sum();
    let idle = n.get(3).copied().unwrap_or(0) + n.get(4).copied().unwrap_or(0);
    (total - idle, total)
}
