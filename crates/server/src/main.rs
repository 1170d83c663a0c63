//! `tokentally-server serve` and `tokentally-server admin ...`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use tokentally_server::{BlockingAdmin, ServerConfig, TlsFiles};

#[derive(Parser)]
#[command(
    name = "tokentally-server",
    version,
    about = "TokenTally's reference ingest server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API until interrupted (SIGINT or SIGTERM).
    Serve(ServeArgs),
    /// Administer the database: codes, admins, devices, export.
    Admin {
        /// sqlite:///path/server.db, a plain path, or postgres://user:pass@host/db
        #[arg(long, env = "TOKENTALLY_SERVER_DB")]
        db: String,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Parser)]
struct ServeArgs {
    /// sqlite:///path/server.db, a plain path, or postgres://user:pass@host/db
    #[arg(long, env = "TOKENTALLY_SERVER_DB")]
    db: String,
    /// Address to listen on. Plain HTTP only on loopback.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// PEM certificate chain: serve HTTPS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of the certificate.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A TLS-terminating reverse proxy forwards to this address: allow plain
    /// HTTP on a non-loopback address.
    #[arg(long)]
    behind_proxy: bool,
    /// Teams with fewer people are left out of team reports.
    #[arg(long, default_value_t = 5)]
    k: usize,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Requests a device may make per minute.
    #[arg(long, default_value_t = 120)]
    rate_per_minute: u32,
    /// PostgreSQL connections kept open.
    #[arg(long, default_value_t = 16)]
    pool: usize,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Print new enrollment codes, one a line (single use, or one fleet code).
    IssueCode {
        /// How long the codes stay valid: 30m, 12h, 7d, 3600s.
        #[arg(long, default_value = "7d", value_parser = parse_ttl)]
        ttl: Duration,
        /// How many codes.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// One fleet code instead, usable by this many devices (for the
        /// `enrollment_code` of an MDM policy).
        #[arg(long, value_name = "DEVICES", conflicts_with = "count")]
        fleet: Option<u32>,
    },
    /// Print a new admin token for the read API (shown once).
    AddAdmin {
        /// The name devices will see in their access log.
        name: String,
    },
    /// List the enrolled devices.
    Devices {
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Map a device to a person and team.
    Assign {
        device: String,
        #[arg(long)]
        person: String,
        #[arg(long)]
        team: String,
    },
    /// Refuse a device's token from now on.
    Revoke { device: String },
    /// Print the sums per person, team, period, tool and model (logged as a
    /// read of every device's data).
    Export {
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        /// The name recorded in the devices' access logs.
        #[arg(long, default_value = "admin-cli")]
        who: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Csv,
}

fn parse_ttl(raw: &str) -> Result<Duration, String> {
    let (digits, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{raw:?}: expected a number and s, m, h or d"))?;
    let secs = match unit {
        "s" | "" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{raw:?}: unit must be s, m, h or d")),
    };
    if n == 0 {
        return Err("the ttl must be more than zero".to_owned());
    }
    Ok(Duration::from_secs(n.saturating_mul(secs)))
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TOKENTALLY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::Admin { db, command } => admin(&db, command),
    }
}

fn serve(args: ServeArgs) -> Result<()> {
    let mut config = ServerConfig::loopback(args.db);
    config.listen = args.listen;
    config.tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    config.behind_proxy = args.behind_proxy;
    config.k_anonymity = args.k;
    config.max_body_bytes = args.max_body_bytes;
    config.device_requests_per_minute = args.rate_per_minute;
    config.postgres_pool_size = args.pool;
    config.check()?;
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(tokentally_server::serve_until(
        config,
        |addr| tracing::info!("listening on {scheme}://{addr}"),
        shutdown_signal(),
    ))?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn admin(db: &str, command: AdminCommand) -> Result<()> {
    let admin = BlockingAdmin::open(db).with_context(|| "opening the database")?;
    match command {
        AdminCommand::IssueCode {
            ttl,
            fleet: Some(devices),
            ..
        } => {
            if devices == 0 {
                bail!("--fleet must be at least 1");
            }
            println!("{}", admin.issue_fleet_code(devices, ttl)?);
        }
        AdminCommand::IssueCode { ttl, count, .. } => {
            if count == 0 {
                bail!("--count must be at least 1");
            }
            for code in admin.issue_codes(count, ttl)? {
                println!("{code}");
            }
        }
        AdminCommand::AddAdmin { name } => println!("{}", admin.issue_admin_token(&name)?),
        AdminCommand::Devices { json } => {
            let devices = admin.devices()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else {
                println!(
                    "{:<36} {:<14} {:<9} {:<24} {:<16} buckets",
                    "device", "enrolled_ms", "revoked", "person", "team"
                );
                for d in devices {
                    println!(
                        "{:<36} {:<14} {:<9} {:<24} {:<16} {}",
                        d.id,
                        d.enrolled_ms,
                        if d.revoked_ms.is_some() { "yes" } else { "no" },
                        d.person.as_deref().unwrap_or("-"),
                        d.team.as_deref().unwrap_or("-"),
                        d.buckets
                    );
                }
            }
        }
        AdminCommand::Assign {
            device,
            person,
            team,
        } => admin.assign(&device, &person, &team)?,
        AdminCommand::Revoke { device } => admin.revoke(&device)?,
        AdminCommand::Export { format, who } => {
            let rows = admin.export(&who)?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                Format::Csv => {
                    println!(
                        "person,team,start,period,tool,model,devices,input,cache_read,cache_write,output,reasoning,calls"
                    );
                    // Every field is a checked label or a number: no quoting needed.
                    for r in rows {
                        let t = r.totals;
                        println!(
                            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                            r.person,
                            r.team,
                            r.start,
                            r.period,
                            r.tool,
                            r.model,
                            r.devices,
                            t.input,
                            t.cache_read,
                            t.cache_write,
                            t.output,
                            t.reasoning,
                            t.calls
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls() {
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert!(parse_ttl("0d").is_err());
        assert!(parse_ttl("7w").is_err());
        assert!(parse_ttl("d").is_err());
    }
}
