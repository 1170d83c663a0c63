//! Upload size and time for a year of daily buckets: 365 days x 15 tools x
//! 30 models, every bucket holding calls. Builds the ledger, then measures
//! computing the next upload (what `preview` does), its payloads and bytes,
//! and sending them all to the reference server (SQLite) on loopback.
//!
//!     tokentally-upload-bench [--days 365] [--tools 15] [--models 30]

use std::time::{Duration, Instant};

use anyhow::Context;
use jiff::tz::TimeZone;
use tokentally_event::{Key, Model, Provenance, Tokens, Tool, UsageEvent};
use tokentally_policy::{Granularity, ModelNames, UploadMode};
use tokentally_server::{BlockingAdmin, RunningServer, ServerConfig};
use tokentally_store::{ConsentChange, Store};
use tokentally_upload::{Http, MemoryVault, Plan, UploadConfig, enroll, pending, upload_cycle};

const DAY: i64 = 86_400_000;

fn arg(name: &str, default: i64) -> i64 {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .find(|w| w[0] == name)
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let (days, tools, models) = (arg("--days", 365), arg("--tools", 15), arg("--models", 30));
    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("ledger.db"))?;
    let now = jiff::Timestamp::now().as_millisecond();
    let started = Instant::now();
    let mut n = 0u64;
    for day in 0..days {
        let mut events = Vec::new();
        for t in 0..tools {
            for m in 0..models {
                n += 1;
                let tokens = Tokens {
                    input: 1_000 + n % 977,
                    cache_read: 20_000 + n % 7919,
                    cache_write: 500,
                    output: 800 + n % 131,
                    reasoning: n % 50,
                };
                events.push(
                    UsageEvent::logged(
                        Tool::ALL[t as usize % Tool::ALL.len()],
                        now - day * DAY - 3_600_000,
                        Key::of(&[b"bench"]),
                        Key::of(&[&n.to_le_bytes()]),
                        Model::new(&format!("model-{m}-v{t}")),
                        tokens,
                    )
                    .with_provenance(Provenance::Log),
                );
            }
        }
        store.commit_live(events, None)?;
    }
    println!(
        "ledger: {n} calls in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.record_consent(&ConsentChange {
        at_ms: now,
        enabled: true,
        from_ms: None,
    })?;
    let db = dir.path().join("server.db").display().to_string();
    let server = RunningServer::start(ServerConfig::loopback(db.clone()))?;
    let admin = BlockingAdmin::open(&db)?;
    let config = UploadConfig {
        mode: UploadMode::OptIn,
        server_url: Some(server.url()),
        otlp_url: None,
        plan: Plan::new(
            Granularity::Day,
            Granularity::Day,
            TimeZone::UTC,
            ModelNames::Full,
        )?,
        retention_days: 400,
        interval: Duration::from_secs(3600),
        enrollment_code: None,
    };
    let (vault, http) = (MemoryVault::default(), Http::new()?);
    let code = admin.issue_code(Duration::from_secs(60))?;
    enroll(&mut store, &vault, &http, &server.url(), &code, now)?;

    let t = Instant::now();
    let payloads = pending(&store, &config, now)?;
    let compute = t.elapsed();
    let buckets: usize = payloads.iter().map(|(_, p)| p.rows.len()).sum();
    let bytes: usize = payloads.iter().map(|(_, p)| p.bytes.len()).sum();
    println!(
        "next upload: {buckets} buckets in {} payloads, {bytes} bytes ({:.0} bytes/bucket), computed in {:.0} ms",
        payloads.len(),
        bytes as f64 / buckets.max(1) as f64,
        compute.as_secs_f64() * 1e3
    );
    let t = Instant::now();
    let report = upload_cycle(&mut store, &config, &vault, &http, now)?;
    let send = t.elapsed();
    anyhow::ensure!(report.retry.is_none(), "upload failed: {:?}", report.retry);
    println!(
        "sent: {} payloads, {} buckets in {:.2} s (compute + send + server upsert)",
        report.sent,
        report.buckets,
        send.as_secs_f64()
    );
    let t = Instant::now();
    let again = pending(&store, &config, now)?;
    println!(
        "next hour with nothing new: {} payloads, computed in {:.0} ms",
        again.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let stored = admin.buckets().context("server buckets")?.len();
    anyhow::ensure!(stored == buckets, "server holds {stored} of {buckets}");
    Ok(())
}
