//! `tokentally-bench --corpus HOME [--tokentally BIN] [--runs N]`
//!
//! Measures, on a corpus laid out as a home directory (see
//! `tokentally-gen`), with the page cache warm:
//! - the first scan, in process, in GB/s (best and median of N runs, each
//!   into a fresh ledger);
//! - a repeated `tokentally report` with nothing new, as a user runs it
//!   (process start included), in ms;
//! - the first scan of each tool alone, in MB/s over that tool's files;
//! - the peak RSS of `tokentally scan` on the corpus;
//! - the same for `ccusage daily --offline` when `ccusage` is on PATH.

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use tokentally_collect::{Env, ScanOptions, all_collectors, discover, scan};
use tokentally_event::Tool;
use tokentally_store::Store;

struct Args {
    corpus: PathBuf,
    tokentally: PathBuf,
    runs: usize,
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let bytes = warm(&args.corpus)?;
    println!(
        "corpus: {} ({:.1} MB in log files)",
        args.corpus.display(),
        mb(bytes)
    );
    first_scan(&args, bytes)?;
    println!("first scan per tool (best of {} runs):", args.runs);
    per_tool(&args)?;
    repeated_report(&args)?;
    peak_rss(&args)?;
    ccusage(&args, bytes);
    Ok(())
}

fn parse_args() -> anyhow::Result<Args> {
    let mut corpus = None;
    let mut tokentally = None;
    let mut runs = 5;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--corpus" => corpus = Some(PathBuf::from(value)),
            "--tokentally" => tokentally = Some(PathBuf::from(value)),
            "--runs" => runs = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    let corpus =
        corpus.context("usage: tokentally-bench --corpus HOME [--tokentally BIN] [--runs N]")?;
    let tokentally = match tokentally {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("tokentally"),
    };
    Ok(Args {
        corpus,
        tokentally,
        runs,
    })
}

/// Reads every file once so the page cache is warm; returns the bytes.
fn warm(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "jsonl") {
                total += std::fs::read(&path)?.len() as u64;
            }
        }
    }
    Ok(total)
}

fn env_for(corpus: &Path) -> Env {
    Env::from_pairs([("HOME", corpus.to_str().unwrap_or_default())])
}

fn first_scan(args: &Args, bytes: u64) -> anyhow::Result<()> {
    let mut times = Vec::new();
    for _ in 0..args.runs {
        let dir = scratch_dir("scan")?;
        let mut store = Store::open(&dir.join("tokentally.db"))?;
        let start = Instant::now();
        let summary = scan(
            &mut store,
            &all_collectors(),
            &env_for(&args.corpus),
            &ScanOptions::default(),
            &mut |_| {},
        )?;
        times.push(start.elapsed());
        drop(store);
        std::fs::remove_dir_all(&dir)?;
        if summary.calls_new == 0 {
            bail!("the corpus holds no calls");
        }
    }
    times.sort();
    let gbps = |t: Duration| bytes as f64 / t.as_secs_f64() / 1e9;
    println!(
        "first scan: best {:.0} ms ({:.2} GB/s), median {:.0} ms ({:.2} GB/s) over {} runs",
        ms(times[0]),
        gbps(times[0]),
        ms(times[times.len() / 2]),
        gbps(times[times.len() / 2]),
        times.len()
    );
    Ok(())
}

/// Each tool scanned alone into a fresh ledger: its files' bytes (with a
/// database's `-wal`) over the time.
fn per_tool(args: &Args) -> anyhow::Result<()> {
    let env = env_for(&args.corpus);
    for tool in Tool::ALL {
        let collectors: Vec<_> = all_collectors()
            .into_iter()
            .filter(|c| c.tool() == *tool)
            .collect();
        let mut bytes = 0;
        let mut files = 0;
        for c in &collectors {
            for file in discover::find(c.as_ref(), &env).files {
                files += 1;
                for path in [
                    file.clone(),
                    PathBuf::from(format!("{}-wal", file.display())),
                ] {
                    bytes += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                }
            }
        }
        if files == 0 {
            continue;
        }
        let mut best = Duration::MAX;
        let mut calls = 0;
        for _ in 0..args.runs {
            let dir = scratch_dir("tool")?;
            let mut store = Store::open(&dir.join("tokentally.db"))?;
            let start = Instant::now();
            let summary = scan(
                &mut store,
                &collectors,
                &env,
                &ScanOptions::default(),
                &mut |_| {},
            )?;
            best = best.min(start.elapsed());
            calls = summary.calls_new;
            drop(store);
            std::fs::remove_dir_all(&dir)?;
        }
        println!(
            "  {:<12} {files:>6} files {:>8.1} MB {calls:>8} calls {:>8.1} ms {:>8.1} MB/s",
            tool.as_str(),
            mb(bytes),
            ms(best),
            mb(bytes) / best.as_secs_f64()
        );
    }
    Ok(())
}

fn repeated_report(args: &Args) -> anyhow::Result<()> {
    let dir = scratch_dir("report")?;
    run_tokentally(args, &dir, &["scan"])?;
    let mut times = Vec::new();
    for _ in 0..20 {
        let start = Instant::now();
        run_tokentally(args, &dir, &["report", "--tz", "UTC"])?;
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "repeated report, nothing new (process start included): median {:.1} ms, max {:.1} ms",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1])
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn peak_rss(args: &Args) -> anyhow::Result<()> {
    let dir = scratch_dir("rss")?;
    let mut child = tokentally_command(args, &dir, &["scan"]).spawn()?;
    let mut peak_kb = 0;
    while child.try_wait()?.is_none() {
        peak_kb = peak_kb.max(vm_hwm_kb(child.id()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "peak RSS of `tokentally scan` (first scan): {:.1} MiB",
        peak_kb as f64 / 1024.0
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn ccusage(args: &Args, bytes: u64) {
    let Ok(start) = Command::new("ccusage")
        .arg("--version")
        .output()
        .map(|_| Instant::now())
    else {
        println!("ccusage: not on PATH (npm install -g ccusage@20.0.24 to compare)");
        return;
    };
    let status = Command::new("ccusage")
        .args(["daily", "--offline", "--json"])
        .env("HOME", &args.corpus)
        .env("CLAUDE_CONFIG_DIR", args.corpus.join(".claude"))
        .stdout(Stdio::null())
        .status();
    let elapsed = start.elapsed();
    match status {
        Ok(s) if s.success() => println!(
            "ccusage daily --offline: {:.0} ms ({:.2} GB/s over the same files)",
            ms(elapsed),
            bytes as f64 / elapsed.as_secs_f64() / 1e9
        ),
        other => println!("ccusage failed: {other:?}"),
    }
}

fn tokentally_command(args: &Args, data: &Path, argv: &[&str]) -> Command {
    let mut cmd = Command::new(&args.tokentally);
    cmd.args(argv)
        .env("HOME", &args.corpus)
        .env("TOKENTALLY_DATA_DIR", data)
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .stdout(Stdio::null());
    cmd
}

fn run_tokentally(args: &Args, data: &Path, argv: &[&str]) -> anyhow::Result<()> {
    let status = tokentally_command(args, data, argv)
        .status()
        .with_context(|| format!("cannot run {}", args.tokentally.display()))?;
    if !status.success() {
        bail!("tokentally {argv:?} failed: {status}");
    }
    Ok(())
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn scratch_dir(name: &str) -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("tokentally-bench-{name}-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}
