//! `tokentally-agent-bench [--tokentally BIN] [--gen BIN] [--idle-seconds N]
//! [--load-seconds N] [--backfill-mb N] [--keep]`
//!
//! Runs the real `tokentally agent` over a generated workload in a
//! temporary home and data dir, and measures from `/proc/PID`:
//! - with `--backfill-mb N`: the first scan of a `tokentally-gen` corpus
//!   (wall time until the CPU use stops, CPU, peak RSS);
//! - idle, after the first scan: CPU % of one core and RSS;
//! - under a steady 10 calls per second (5 Claude Code log lines, 3 Codex
//!   steps, 2 calls through the proxy to a tiny upstream on loopback): CPU,
//!   RSS, disk bytes written per 1,000 calls (`write_bytes`, and `wchar`
//!   for comparison), the latency from a line written (or a proxied reply
//!   received) to the agent's stdout line for that call (printed once the
//!   call is in the ledger), and the ledger's count against the calls made.

use std::{
    collections::HashMap,
    fmt::Write as _,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, ChildStdout, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, bail};

/// Clock ticks per second of `/proc/PID/stat` (USER_HZ on Linux).
const USER_HZ: f64 = 100.0;
/// How often the CPU is polled to see a scan end.
const POLL: Duration = Duration::from_millis(200);
/// A scan is over once this long passes with less than one tick used.
const QUIET: Duration = Duration::from_secs(2);
/// The budget published in the README.
const IDLE_CPU_BUDGET_PCT: f64 = 0.5;
const RSS_BUDGET_KB: u64 = 20 * 1024;

/// Each call's total tokens is unique and names its kind: `BASE + n`.
const CLAUDE_BASE: u64 = 1_000_000;
const CODEX_BASE: u64 = 3_000_000;
const PROXY_BASE: u64 = 5_000_000;
/// Input tokens of every generated call; the output makes the rest.
const INPUT: u64 = 1_000;

/// One second of load: 5 Claude Code, 3 Codex, 2 proxied, 100 ms apart.
const PATTERN: [Kind; 10] = [
    Kind::Claude,
    Kind::Codex,
    Kind::Proxy,
    Kind::Claude,
    Kind::Codex,
    Kind::Claude,
    Kind::Proxy,
    Kind::Claude,
    Kind::Codex,
    Kind::Claude,
];

const USAGE: &str = "usage: tokentally-agent-bench [--tokentally BIN] [--gen BIN] \
[--idle-seconds N] [--load-seconds N] [--backfill-mb N] [--keep]";

struct Args {
    tokentally: PathBuf,
    generator: PathBuf,
    idle_seconds: u64,
    load_seconds: u64,
    backfill_mb: u64,
    keep: bool,
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let dir = Workdir::create(args.keep)?;
    println!("work dir: {}", dir.root.display());
    if args.backfill_mb > 0 {
        generate(&args, &dir.home)?;
    }
    let mut logs = LiveLogs::create(&dir.home)?;
    let upstream = start_upstream()?;
    let port = free_port()?;
    let mut agent = Agent::start(&args, &dir, port, upstream)?;
    let first = first_scan(&agent)?;
    agent.wait_for_line("TokenTally agent running", Duration::from_secs(10))?;
    println!(
        "first scan over after {:.1} s; idle for {} s",
        first.seconds, args.idle_seconds
    );
    let idle = idle_window(&agent, args.idle_seconds)?;
    let before = ledger_calls(&args, &dir)?;
    println!(
        "ledger before the load: {before} calls; load for {} s",
        args.load_seconds
    );
    let load = load_window(&agent, &mut logs, port, args.load_seconds)?;
    let stop_seconds = agent.stop()?;
    let after = ledger_calls(&args, &dir)?;
    let ledger = LedgerCheck {
        before,
        made: load.written.len() as u64,
        after,
        stop_seconds,
    };
    print_table(&args, &first, &idle, &load, &ledger);
    Ok(())
}

fn parse_args() -> anyhow::Result<Args> {
    let here = std::env::current_exe()?;
    let mut args = Args {
        tokentally: here.with_file_name("tokentally"),
        generator: here.with_file_name("tokentally-gen"),
        idle_seconds: 120,
        load_seconds: 60,
        backfill_mb: 0,
        keep: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--keep" {
            args.keep = true;
            continue;
        }
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--tokentally" => args.tokentally = value.into(),
            "--gen" => args.generator = value.into(),
            "--idle-seconds" => args.idle_seconds = value.parse()?,
            "--load-seconds" => args.load_seconds = value.parse()?,
            "--backfill-mb" => args.backfill_mb = value.parse()?,
            other => bail!("unknown flag {other}\n{USAGE}"),
        }
    }
    if args.load_seconds == 0 {
        bail!("--load-seconds must be at least 1");
    }
    Ok(args)
}

/// The temporary home and data dir, removed on drop unless kept.
struct Workdir {
    root: PathBuf,
    home: PathBuf,
    data: PathBuf,
    keep: bool,
}

impl Workdir {
    fn create(keep: bool) -> anyhow::Result<Workdir> {
        let root =
            std::env::temp_dir().join(format!("tokentally-agent-bench-{}", std::process::id()));
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        let (home, data) = (root.join("home"), root.join("data"));
        std::fs::create_dir_all(&home)?;
        std::fs::create_dir_all(&data)?;
        Ok(Workdir {
            root,
            home,
            data,
            keep,
        })
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

fn generate(args: &Args, home: &Path) -> anyhow::Result<()> {
    println!("generating a {} MB corpus…", args.backfill_mb);
    let status = Command::new(&args.generator)
        .args(["--seed", "42", "--target-mb", &args.backfill_mb.to_string()])
        .arg("--out")
        .arg(home)
        .status()
        .with_context(|| format!("cannot run {}", args.generator.display()))?;
    if !status.success() {
        bail!("tokentally-gen failed: {status}");
    }
    Ok(())
}

// ---------------------------------------------------------------- the logs

/// The kinds of call the load makes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Claude,
    Codex,
    Proxy,
}

impl Kind {
    fn of_total(total: u64) -> Option<Kind> {
        match total {
            t if t >= PROXY_BASE => Some(Kind::Proxy),
            t if t >= CODEX_BASE => Some(Kind::Codex),
            t if t >= CLAUDE_BASE => Some(Kind::Claude),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Claude => "claude-code log",
            Kind::Codex => "codex log",
            Kind::Proxy => "proxy",
        }
    }
}

/// The Claude Code and Codex session files the load appends to.
struct LiveLogs {
    claude: std::fs::File,
    codex: std::fs::File,
    claude_calls: u64,
    codex_calls: u64,
    /// Codex's running `total_token_usage`: input, output.
    codex_total: (u64, u64),
}

impl LiveLogs {
    fn create(home: &Path) -> anyhow::Result<LiveLogs> {
        let now = now_ms();
        let claude_dir = home.join(".claude/projects/-home-dev-tokentally-agent-bench");
        let (y, m, d) = civil_from_days(now.div_euclid(86_400_000));
        let codex_dir = home.join(format!(".codex/sessions/{y:04}/{m:02}/{d:02}"));
        std::fs::create_dir_all(&claude_dir)?;
        std::fs::create_dir_all(&codex_dir)?;
        let mut claude = append(&claude_dir.join("0196cccc-0000-7000-8000-00000000be01.jsonl"))?;
        let stamp = iso(now);
        writeln!(
            claude,
            r#"{{"type":"user","sessionId":"bench-s1","cwd":"/home/dev/app","timestamp":"{stamp}","uuid":"bench-u0","message":{{"role":"user","content":"hello"}}}}"#
        )?;
        let name = format!(
            "rollout-{}-0196bbbb-0000-7000-8000-00000000be01.jsonl",
            stamp[..19].replace(':', "-")
        );
        let mut codex = append(&codex_dir.join(name))?;
        writeln!(
            codex,
            r#"{{"timestamp":"{stamp}","type":"session_meta","payload":{{"id":"0196bbbb-0000-7000-8000-00000000be01","timestamp":"{stamp}","cwd":"/home/dev/app","originator":"codex_cli_rs","cli_version":"0.50.0","source":"cli","model_provider":"openai"}}}}
{{"timestamp":"{stamp}","type":"turn_context","payload":{{"model":"gpt-5.2-codex","cwd":"/home/dev/app"}}}}"#
        )?;
        Ok(LiveLogs {
            claude,
            codex,
            claude_calls: 0,
            codex_calls: 0,
            codex_total: (0, 0),
        })
    }

    /// Appends one assistant message; returns its total tokens.
    fn claude_call(&mut self) -> anyhow::Result<u64> {
        let n = self.claude_calls;
        self.claude_calls += 1;
        let total = CLAUDE_BASE + n;
        let line = format!(
            r#"{{"type":"assistant","sessionId":"bench-s1","isSidechain":false,"version":"2.1.40","cwd":"/home/dev/app","timestamp":"{}","uuid":"bench-e{n}","requestId":"req_bench_{n}","message":{{"id":"msg_bench_{n}","model":"claude-sonnet-4-5-20250929","role":"assistant","content":[{{"type":"text","text":"done"}}],"usage":{{"input_tokens":{INPUT},"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}},"output_tokens":{}}}}}}}
"#,
            iso(now_ms()),
            total - INPUT
        );
        self.claude
            .write_all(line.as_bytes())
            .context("appending to the Claude Code log")?;
        Ok(total)
    }

    /// Appends one `token_count` step of the running total; returns the
    /// step's total tokens.
    fn codex_call(&mut self) -> anyhow::Result<u64> {
        let total = CODEX_BASE + self.codex_calls;
        self.codex_calls += 1;
        let output = total - INPUT;
        self.codex_total.0 += INPUT;
        self.codex_total.1 += output;
        let (ti, to) = self.codex_total;
        let line = format!(
            r#"{{"timestamp":"{}","type":"event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{ti},"cached_input_tokens":0,"output_tokens":{to},"reasoning_output_tokens":0,"total_tokens":{}}},"last_token_usage":{{"input_tokens":{INPUT},"cached_input_tokens":0,"output_tokens":{output},"reasoning_output_tokens":0,"total_tokens":{total}}},"model_context_window":272000}},"rate_limits":null}}}}
"#,
            iso(now_ms()),
            ti + to
        );
        self.codex
            .write_all(line.as_bytes())
            .context("appending to the Codex log")?;
        Ok(total)
    }
}

fn append(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// `2026-04-10T08:00:00.123Z`.
fn iso(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(86_400_000));
    let in_day = ms.rem_euclid(86_400_000);
    let (h, min, s, milli) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

// -------------------------------------------------- the proxy and upstream

/// Starts a loopback HTTP/1.1 server answering every request with an
/// OpenAI chat reply whose usage totals `PROXY_BASE + x-bench-id`.
fn start_upstream() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::Builder::new()
        .name("upstream".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = std::thread::Builder::new()
                    .name("upstream-conn".into())
                    .spawn(move || serve_connection(stream));
            }
        })?;
    Ok(port)
}

/// Answers requests on one kept-alive connection until it closes.
fn serve_connection(stream: TcpStream) -> anyhow::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let (length, id) = match read_head(&mut reader)? {
            Some(head) => head,
            None => return Ok(()),
        };
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let output = PROXY_BASE + id - INPUT;
        let reply = format!(
            r#"{{"id":"chatcmpl-bench{id}","object":"chat.completion","created":1764582000,"model":"gpt-4.1-2025-04-14","choices":[{{"index":0,"message":{{"role":"assistant","content":"Fine."}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":{INPUT},"completion_tokens":{output},"total_tokens":{}}}}}"#,
            PROXY_BASE + id
        );
        write!(
            writer,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
            reply.len()
        )?;
    }
}

/// A request's head: its Content-Length and `x-bench-id`; None at EOF.
fn read_head(reader: &mut impl BufRead) -> anyhow::Result<Option<(usize, u64)>> {
    let (mut length, mut id, mut first) = (0, 0, true);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end();
        if line.is_empty() && !first {
            return Ok(Some((length, id)));
        }
        first = false;
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse()?,
                "x-bench-id" => id = value.trim().parse()?,
                _ => {}
            }
        }
    }
}

/// One chat call through the agent's proxy; returns its total tokens once
/// the whole reply is in.
fn proxied_call(port: u16, id: u64) -> anyhow::Result<u64> {
    let body = r#"{"model":"gpt-4.1","messages":[{"role":"user","content":"How are you?"}]}"#;
    let request = format!(
        "POST /bench/v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nx-bench-id: {id}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).context("connecting to the proxy")?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(request.as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    let reply = String::from_utf8_lossy(&reply);
    if !reply.starts_with("HTTP/1.1 200") || !reply.contains("\"usage\"") {
        bail!(
            "the proxy answered:\n{}",
            reply.chars().take(500).collect::<String>()
        );
    }
    Ok(PROXY_BASE + id)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

// --------------------------------------------------------------- the agent

/// Lines the agent printed, each with the moment it was read.
type Printed = Arc<Mutex<Vec<(Instant, String)>>>;

/// The running `tokentally agent`, killed when dropped.
struct Agent {
    child: Child,
    pid: u32,
    printed: Printed,
    started: Instant,
}

impl Agent {
    fn start(args: &Args, dir: &Workdir, port: u16, upstream: u16) -> anyhow::Result<Agent> {
        let stderr = std::fs::File::create(dir.root.join("agent.stderr"))?;
        let started = Instant::now();
        let mut child = tokentally(args, dir)
            .args(["agent", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--otlp-listen", "127.0.0.1:0", "--upstream"])
            .arg(format!("bench=http://127.0.0.1:{upstream}"))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("cannot start {}", args.tokentally.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let printed = Printed::default();
        read_lines(stdout, printed.clone())?;
        Ok(Agent {
            pid: child.id(),
            child,
            printed,
            started,
        })
    }

    fn usage(&self) -> anyhow::Result<Usage> {
        usage(self.pid).context("the agent is gone (see agent.stderr in the work dir)")
    }

    fn wait_for_line(&self, prefix: &str, limit: Duration) -> anyhow::Result<()> {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if lock(&self.printed)
                .iter()
                .any(|(_, l)| l.starts_with(prefix))
            {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("the agent did not print {prefix:?} within {limit:?}")
    }

    /// SIGTERM, then waits; returns the seconds it took to exit.
    fn stop(&mut self) -> anyhow::Result<f64> {
        let asked = Instant::now();
        Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()?;
        let status = self.child.wait()?;
        if !status.success() {
            bail!("the agent exited with {status} on SIGTERM");
        }
        Ok(asked.elapsed().as_secs_f64())
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tokentally(args: &Args, dir: &Workdir) -> Command {
    let mut cmd = Command::new(&args.tokentally);
    cmd.env("HOME", &dir.home)
        .env("TOKENTALLY_DATA_DIR", &dir.data)
        .env_remove("TOKENTALLY_POLICY")
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env_remove("XDG_CONFIG_HOME");
    cmd
}

fn read_lines(stdout: ChildStdout, printed: Printed) -> anyhow::Result<()> {
    std::thread::Builder::new()
        .name("agent-stdout".into())
        .spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                let at = Instant::now();
                let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                lock(&printed).push((at, text));
                line.clear();
            }
        })?;
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `totals.calls` of `report --json --no-scan`.
fn ledger_calls(args: &Args, dir: &Workdir) -> anyhow::Result<u64> {
    let out = tokentally(args, dir)
        .args(["report", "--json", "--no-scan", "--tz", "UTC"])
        .output()
        .context("running tokentally report")?;
    if !out.status.success() {
        bail!(
            "tokentally report failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("reading report --json")?;
    json["totals"]["calls"]
        .as_u64()
        .context("no totals.calls in report --json")
}

// ------------------------------------------------------------ measurement

/// One reading of `/proc/PID/{stat,status,io}`.
#[derive(Clone, Copy)]
struct Usage {
    at: Instant,
    ticks: u64,
    rss_kb: u64,
    hwm_kb: u64,
    write_bytes: u64,
    wchar: u64,
}

fn usage(pid: u32) -> anyhow::Result<Usage> {
    let at = Instant::now();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').context("odd /proc/PID/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| -> anyhow::Result<u64> {
        Ok(fields.get(i).context("short /proc/PID/stat")?.parse()?)
    };
    let ticks = tick(11)? + tick(12)?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let io =
        std::fs::read_to_string(format!("/proc/{pid}/io")).context("cannot read /proc/PID/io")?;
    Ok(Usage {
        at,
        ticks,
        rss_kb: field(&status, "VmRSS:")?,
        hwm_kb: field(&status, "VmHWM:")?,
        write_bytes: field(&io, "write_bytes:")?,
        wchar: field(&io, "wchar:")?,
    })
}

fn field(text: &str, name: &str) -> anyhow::Result<u64> {
    let line = text
        .lines()
        .find(|l| l.starts_with(name))
        .with_context(|| format!("no {name} in /proc"))?;
    Ok(line.split_whitespace().nth(1).unwrap_or("").parse()?)
}

/// What a phase cost.
struct Window {
    seconds: f64,
    cpu_pct: f64,
    rss_max_kb: u64,
    rss_end_kb: u64,
    hwm_kb: u64,
    write_bytes: u64,
    wchar: u64,
}

impl Window {
    fn between(start: &Usage, end: &Usage, rss_max_kb: u64) -> Window {
        let seconds = end.at.duration_since(start.at).as_secs_f64();
        Window {
            seconds,
            cpu_pct: (end.ticks - start.ticks) as f64 / USER_HZ / seconds.max(1e-9) * 100.0,
            rss_max_kb: rss_max_kb.max(end.rss_kb),
            rss_end_kb: end.rss_kb,
            hwm_kb: end.hwm_kb,
            write_bytes: end.write_bytes - start.write_bytes,
            wchar: end.wchar - start.wchar,
        }
    }
}

/// From the start until the CPU use stops: `QUIET` of polls with less
/// than a tick. The window ends where the quiet stretch began.
fn first_scan(agent: &Agent) -> anyhow::Result<Window> {
    let zero = Usage {
        at: agent.started,
        ticks: 0,
        rss_kb: 0,
        hwm_kb: 0,
        write_bytes: 0,
        wchar: 0,
    };
    let mut previous = agent.usage()?;
    let mut quiet_since: Option<Usage> = None;
    let mut rss_max = previous.rss_kb;
    let limit = Instant::now() + Duration::from_secs(4 * 3600);
    while Instant::now() < limit {
        std::thread::sleep(POLL);
        let now = agent.usage()?;
        rss_max = rss_max.max(now.rss_kb);
        if now.ticks == previous.ticks {
            let since = *quiet_since.get_or_insert(previous);
            if now.at.duration_since(since.at) >= QUIET {
                return Ok(Window::between(&zero, &since, rss_max));
            }
        } else {
            quiet_since = None;
        }
        previous = now;
    }
    bail!("the agent never went quiet")
}

fn idle_window(agent: &Agent, seconds: u64) -> anyhow::Result<Window> {
    let start = agent.usage()?;
    let mut rss_max = start.rss_kb;
    for _ in 0..seconds {
        std::thread::sleep(Duration::from_secs(1));
        rss_max = rss_max.max(agent.usage()?.rss_kb);
    }
    Ok(Window::between(&start, &agent.usage()?, rss_max))
}

/// A call the load made: its kind, total and when it was written (or its
/// reply received).
struct Written {
    kind: Kind,
    total: u64,
    at: Instant,
}

struct Load {
    window: Window,
    written: Vec<Written>,
    /// Latency of each call found on the agent's stdout, by kind.
    latency: HashMap<&'static str, Vec<Duration>>,
    missing: usize,
}

fn load_window(
    agent: &Agent,
    logs: &mut LiveLogs,
    port: u16,
    seconds: u64,
) -> anyhow::Result<Load> {
    let start = agent.usage()?;
    let printed_from = lock(&agent.printed).len();
    let mut rss_max = start.rss_kb;
    let mut written = Vec::new();
    let slots = seconds * PATTERN.len() as u64;
    let slot = Duration::from_secs(1) / PATTERN.len() as u32;
    let mut proxied = 0;
    for n in 0..slots {
        sleep_until(start.at + slot * n as u32);
        let kind = PATTERN[n as usize % PATTERN.len()];
        let total = match kind {
            Kind::Claude => logs.claude_call()?,
            Kind::Codex => logs.codex_call()?,
            Kind::Proxy => {
                proxied += 1;
                proxied_call(port, proxied - 1)?
            }
        };
        written.push(Written {
            kind,
            total,
            at: Instant::now(),
        });
        if n % PATTERN.len() as u64 == 0 {
            rss_max = rss_max.max(agent.usage()?.rss_kb);
        }
    }
    let seen = wait_for_all(agent, printed_from, &written, Duration::from_secs(30));
    let window = Window::between(&start, &agent.usage()?, rss_max);
    let (latency, missing) = latencies(&written, &seen);
    Ok(Load {
        window,
        written,
        latency,
        missing,
    })
}

fn sleep_until(at: Instant) {
    let now = Instant::now();
    if at > now {
        std::thread::sleep(at - now);
    }
}

/// Waits until every call written shows on stdout (or the limit); returns
/// when each total was first printed.
fn wait_for_all(
    agent: &Agent,
    from: usize,
    written: &[Written],
    limit: Duration,
) -> HashMap<u64, Instant> {
    let until = Instant::now() + limit;
    loop {
        let seen = printed_totals(&lock(&agent.printed)[from..]);
        if written.iter().all(|w| seen.contains_key(&w.total)) || Instant::now() >= until {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `claude-code  <model>  <N> tokens [log, log]`: N and when it was read,
/// for the totals the load makes.
fn printed_totals(lines: &[(Instant, String)]) -> HashMap<u64, Instant> {
    let mut seen = HashMap::new();
    for (at, line) in lines {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(i) = words.iter().position(|w| *w == "tokens") else {
            continue;
        };
        let total = i.checked_sub(1).and_then(|j| words[j].parse::<u64>().ok());
        if let Some(total) = total.filter(|t| Kind::of_total(*t).is_some()) {
            seen.entry(total).or_insert(*at);
        }
    }
    seen
}

fn latencies(
    written: &[Written],
    seen: &HashMap<u64, Instant>,
) -> (HashMap<&'static str, Vec<Duration>>, usize) {
    let mut by_kind: HashMap<&'static str, Vec<Duration>> = HashMap::new();
    let mut missing = 0;
    for w in written {
        match seen.get(&w.total) {
            Some(at) => {
                let d = at.saturating_duration_since(w.at);
                by_kind.entry(w.kind.name()).or_default().push(d);
                if w.kind != Kind::Proxy {
                    by_kind.entry("all log lines").or_default().push(d);
                }
            }
            None => missing += 1,
        }
    }
    for v in by_kind.values_mut() {
        v.sort();
    }
    (by_kind, missing)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

// ------------------------------------------------------------------ output

struct LedgerCheck {
    before: u64,
    made: u64,
    after: u64,
    stop_seconds: f64,
}

fn print_table(args: &Args, first: &Window, idle: &Window, load: &Load, ledger: &LedgerCheck) {
    let mib = |kb: u64| kb as f64 / 1024.0;
    let row = |name: &str, w: &Window| {
        format!(
            "{name:<26} {:>8.1} {:>9.2} {:>9.1} {:>9.1} {:>9.1} {:>12} {:>12}",
            w.seconds,
            w.cpu_pct,
            mib(w.rss_max_kb),
            mib(w.rss_end_kb),
            mib(w.hwm_kb),
            w.write_bytes,
            w.wchar
        )
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<26} {:>8} {:>9} {:>9} {:>9} {:>9} {:>12} {:>12}",
        "phase", "wall s", "CPU %", "RSS max", "RSS end", "VmHWM", "write_bytes", "wchar"
    );
    let _ = writeln!(
        out,
        "{:<26} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "", "", "(1 core)", "MiB", "MiB", "MiB"
    );
    let first_name = if args.backfill_mb > 0 {
        format!("first scan ({} MB backfill)", args.backfill_mb)
    } else {
        "first scan (empty home)".to_owned()
    };
    let _ = writeln!(out, "{}", row(&first_name, first));
    let _ = writeln!(
        out,
        "{}",
        row(&format!("idle ({} s)", args.idle_seconds), idle)
    );
    let calls = load.written.len() as f64;
    let _ = writeln!(
        out,
        "{}",
        row(&format!("load 10/s ({} calls)", calls), &load.window)
    );
    let per_k = |bytes: u64| bytes as f64 / calls * 1000.0;
    let _ = writeln!(
        out,
        "\ndisk per 1,000 calls: write_bytes {:.0} KiB, wchar {:.0} KiB",
        per_k(load.window.write_bytes) / 1024.0,
        per_k(load.window.wchar) / 1024.0
    );
    let _ = writeln!(
        out,
        "latency, line written (or reply received) to the call printed (in the ledger):"
    );
    for name in ["claude-code log", "codex log", "all log lines", "proxy"] {
        let v = load.latency.get(name).map_or(&[][..], Vec::as_slice);
        let _ = writeln!(
            out,
            "  {name:<16} n={:<6} p50 {:>8.1} ms   p99 {:>8.1} ms   max {:>8.1} ms",
            v.len(),
            percentile(v, 0.5),
            percentile(v, 0.99),
            percentile(v, 1.0)
        );
    }
    let _ = writeln!(out, "  calls never printed: {}", load.missing);
    let counted = ledger.after.saturating_sub(ledger.before);
    let _ = writeln!(
        out,
        "ledger: {} calls before the load, {} after; counted {counted} for {} calls made: {}",
        ledger.before,
        ledger.after,
        ledger.made,
        if counted == ledger.made {
            "exact"
        } else {
            "MISMATCH"
        }
    );
    let _ = writeln!(
        out,
        "agent stopped {:.2} s after SIGTERM",
        ledger.stop_seconds
    );
    let verdict = |ok: bool| if ok { "ok" } else { "OVER BUDGET" };
    let _ = writeln!(
        out,
        "budget: idle CPU {:.2} % < {IDLE_CPU_BUDGET_PCT} %: {}; idle RSS {:.1} MiB <= 20: {}; load RSS max {:.1} MiB <= 20: {}",
        idle.cpu_pct,
        verdict(idle.cpu_pct < IDLE_CPU_BUDGET_PCT),
        mib(idle.rss_max_kb),
        verdict(idle.rss_max_kb <= RSS_BUDGET_KB),
        mib(load.window.rss_max_kb),
        verdict(load.window.rss_max_kb <= RSS_BUDGET_KB),
    );
    print!("{out}");
}
