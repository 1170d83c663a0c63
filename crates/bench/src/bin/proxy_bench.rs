//! The proxy's cost, measured on loopback: nginx serves canned provider
//! replies; wrk drives them directly, through nginx as a plain reverse
//! proxy (the floor), and through `tokentally proxy`, with 1 and 64
//! connections; then time to first byte of a stream, the proxy's peak RSS,
//! and the calls it counted against the requests wrk completed.
//!
//! Needs `nginx` and `wrk` (Debian packages `nginx-light`, `wrk`).

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};

/// A non-streaming OpenAI chat reply with usage.
const CHAT: &str = r#"{"id":"chatcmpl-B1","object":"chat.completion","created":1764582000,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"Fine, thanks."},"finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":30,"total_tokens":1230,"prompt_tokens_details":{"cached_tokens":1000}}}"#;

fn anthropic_stream() -> String {
    let mut s = String::new();
    s += "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_B1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"usage\":{\"input_tokens\":12,\"cache_read_input_tokens\":20000,\"cache_creation_input_tokens\":300,\"output_tokens\":1}}}\n\n";
    s += "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    for i in 0..20 {
        s += &format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"word {i} \"}}}}\n\n"
        );
    }
    s += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
    s += "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":60}}\n\n";
    s += "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    s
}

const PORT_NGINX: u16 = 47391;
const PORT_NGINX_PROXY: u16 = 47392;
const PORT_TOKENTALLY: u16 = 47393;

struct Args {
    tokentally: PathBuf,
    seconds: u64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        tokentally: std::env::current_exe()?
            .parent()
            .map(|d| d.join("tokentally"))
            .unwrap_or_default(),
        seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--tokentally" => args.tokentally = it.next().context("--tokentally PATH")?.into(),
            "--seconds" => args.seconds = it.next().context("--seconds N")?.parse()?,
            other => bail!("unknown argument {other} (--tokentally PATH, --seconds N)"),
        }
    }
    Ok(args)
}

/// A child killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let dir = tempdir()?;
    let _nginx = start_nginx(&dir)?;
    let mut proxy = start_tokentally(&args, &dir)?;
    wait_for_port(PORT_NGINX)?;
    wait_for_port(PORT_NGINX_PROXY)?;
    wait_for_port(PORT_TOKENTALLY)?;
    let chat_lua = lua(
        &dir,
        "chat",
        r#"{"model":"gpt-4.1","messages":[{"role":"user","content":"How are you?"}]}"#,
    )?;
    let msg_lua = lua(
        &dir,
        "messages",
        r#"{"model":"claude-sonnet-4-5","stream":true,"max_tokens":64,"messages":[{"role":"user","content":"How are you?"}]}"#,
    )?;
    println!(
        "wrk {}s per run; latency p50 / p99, requests/s",
        args.seconds
    );
    println!(
        "{:<22} {:>5} {:>24} {:>24} {:>24}",
        "case", "conns", "direct (nginx)", "nginx as proxy", "tokentally proxy"
    );
    let mut through_tokentally = 0u64;
    for (case, path, tt_path, script) in [
        (
            "openai chat (json)",
            "/v1/chat/completions",
            "/bench/v1/chat/completions",
            &chat_lua,
        ),
        (
            "anthropic stream (sse)",
            "/v1/messages",
            "/bench-a/v1/messages",
            &msg_lua,
        ),
    ] {
        for conns in [1u32, 64] {
            let direct = wrk(PORT_NGINX, path, script, conns, args.seconds)?;
            let floor = wrk(PORT_NGINX_PROXY, path, script, conns, args.seconds)?;
            let ours = wrk(PORT_TOKENTALLY, tt_path, script, conns, args.seconds)?;
            through_tokentally += ours.requests;
            println!(
                "{case:<22} {conns:>5} {:>24} {:>24} {:>24}",
                direct.show(),
                floor.show(),
                ours.show()
            );
            println!(
                "{:<28} added p50: nginx {:+.0} us, tokentally {:+.0} us; added p99: nginx {:+.0} us, tokentally {:+.0} us",
                "",
                floor.p50_us - direct.p50_us,
                ours.p50_us - direct.p50_us,
                floor.p99_us - direct.p99_us,
                ours.p99_us - direct.p99_us
            );
        }
    }
    let direct = ttfb(PORT_NGINX, "/v1/messages", 2000)?;
    let ours = ttfb(PORT_TOKENTALLY, "/bench-a/v1/messages", 2000)?;
    println!(
        "time to first byte of a stream, p50 / p99: direct {:.0} / {:.0} us, through tokentally {:.0} / {:.0} us",
        direct.0, direct.1, ours.0, ours.1
    );
    through_tokentally += 2000;
    let pid = proxy.0.id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
            .unwrap_or_default()
    };
    println!(
        "tokentally proxy memory: peak RSS {} kB, RSS now {} kB",
        field("VmHWM:"),
        field("VmRSS:")
    );
    stop(&mut proxy)?;
    let counted = counted_calls(&args, &dir)?;
    println!(
        "requests completed through tokentally: {through_tokentally}; calls in its ledger: {counted}"
    );
    Ok(())
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tokentally-proxy-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("home"))?;
    Ok(dir)
}

fn start_nginx(dir: &Path) -> anyhow::Result<Running> {
    let conf = format!(
        "worker_processes 1;\ndaemon off;\nerror_log {dir}/nginx-error.log;\npid {dir}/nginx.pid;\nevents {{ worker_connections 4096; }}\nhttp {{\n access_log off;\n keepalive_requests 100000000;\n client_body_temp_path {dir}/body;\n proxy_temp_path {dir}/proxy;\n fastcgi_temp_path {dir}/fastcgi;\n uwsgi_temp_path {dir}/uwsgi;\n scgi_temp_path {dir}/scgi;\n upstream canned {{ server 127.0.0.1:{PORT_NGINX}; keepalive 128; }}\n server {{\n  listen 127.0.0.1:{PORT_NGINX};\n  location /v1/chat/completions {{ default_type application/json; return 200 '{CHAT}'; }}\n  location /v1/messages {{ default_type text/event-stream; return 200 '{}'; }}\n }}\n server {{\n  listen 127.0.0.1:{PORT_NGINX_PROXY};\n  location / {{ proxy_pass http://canned; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering off; }}\n }}\n}}\n",
        anthropic_stream(),
        dir = dir.display()
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf)?;
    let child = Command::new("nginx")
        .arg("-c")
        .arg(&path)
        .arg("-p")
        .arg(dir)
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start nginx (apt-get install nginx-light)")?;
    Ok(Running(child))
}

fn start_tokentally(args: &Args, dir: &Path) -> anyhow::Result<Running> {
    let child = Command::new(&args.tokentally)
        .args([
            "proxy",
            "--listen",
            &format!("127.0.0.1:{PORT_TOKENTALLY}"),
            "--otlp-listen",
            "127.0.0.1:0",
            "--upstream",
            &format!("bench=http://127.0.0.1:{PORT_NGINX}"),
            "--upstream",
            &format!("bench-a:anthropic=http://127.0.0.1:{PORT_NGINX}"),
        ])
        .env("HOME", dir.join("home"))
        .env("TOKENTALLY_DATA_DIR", dir.join("data"))
        .env_remove("TOKENTALLY_POLICY")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {}", args.tokentally.display()))?;
    Ok(Running(child))
}

fn stop(proxy: &mut Running) -> anyhow::Result<()> {
    Command::new("kill")
        .args(["-TERM", &proxy.0.id().to_string()])
        .status()?;
    proxy.0.wait()?;
    Ok(())
}

fn counted_calls(args: &Args, dir: &Path) -> anyhow::Result<u64> {
    let out = Command::new(&args.tokentally)
        .args(["report", "--json", "--no-scan", "--tz", "UTC"])
        .env("HOME", dir.join("home"))
        .env("TOKENTALLY_DATA_DIR", dir.join("data"))
        .output()?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok(json["totals"]["calls"].as_u64().unwrap_or(0))
}

fn wait_for_port(port: u16) -> anyhow::Result<()> {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listens on port {port}")
}

fn lua(dir: &Path, name: &str, body: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(
        &path,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        ),
    )?;
    Ok(path)
}

/// One wrk run's numbers.
struct Run {
    p50_us: f64,
    p99_us: f64,
    rps: f64,
    requests: u64,
}

impl Run {
    fn show(&self) -> String {
        format!(
            "{:.0} / {:.0} us, {:.0}/s",
            self.p50_us, self.p99_us, self.rps
        )
    }
}

fn wrk(port: u16, path: &str, script: &Path, conns: u32, seconds: u64) -> anyhow::Result<Run> {
    let threads = conns.min(2);
    let out = Command::new("wrk")
        .args([
            "--latency",
            &format!("-t{threads}"),
            &format!("-c{conns}"),
            &format!("-d{seconds}s"),
            "-s",
        ])
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .context("cannot run wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let percentile = |p: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(p))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(micros)
    };
    let rps = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok());
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok());
    if text.contains("Non-2xx") {
        bail!("wrk saw errors against port {port}{path}:\n{text}");
    }
    match (percentile("50%"), percentile("99%"), rps, requests) {
        (Some(p50_us), Some(p99_us), Some(rps), Some(requests)) => Ok(Run {
            p50_us,
            p99_us,
            rps,
            requests,
        }),
        _ => bail!("cannot read wrk's output:\n{text}"),
    }
}

/// `35.12us`, `1.20ms`, `2.00s` in microseconds.
fn micros(v: &str) -> Option<f64> {
    let (number, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1_000.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1_000_000.0)
    } else {
        return None;
    };
    number.parse::<f64>().ok().map(|n| n * scale)
}

/// p50 and p99 microseconds from sending a request to its first body byte,
/// over one kept-alive connection.
fn ttfb(port: u16, path: &str, samples: usize) -> anyhow::Result<(f64, f64)> {
    let body = r#"{"model":"claude-sonnet-4-5","stream":true,"messages":[]}"#;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    let mut times = Vec::with_capacity(samples);
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..samples {
        let started = Instant::now();
        stream.write_all(request.as_bytes())?;
        let mut got = Vec::new();
        let mut first = None;
        // Read until the whole reply is in (its last event), noting when
        // the first byte after the headers came.
        while !got.ends_with(b"{\"type\":\"message_stop\"}\n\n") && !got.ends_with(b"\r\n0\r\n\r\n")
        {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                bail!("connection closed");
            }
            got.extend_from_slice(&buf[..n]);
            if first.is_none() && got.windows(4).any(|w| w == b"\r\n\r\n") {
                let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
                if got.len() > head_end {
                    first = Some(started.elapsed());
                }
            }
        }
        times.push(first.unwrap_or_else(|| started.elapsed()).as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[samples / 2], times[samples * 99 / 100]))
}
