//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use tokentally_event::Tool;
use tokentally_report::Period;

/// Counts the AI tokens used on this machine from the tools' own logs,
/// privately: counts only, never text.
#[derive(Debug, Parser)]
#[command(name = "tokentally", version, about)]
pub struct Cli {
    /// Where TokenTally keeps its ledger (default: the platform data dir).
    #[arg(long, global = true, env = "TOKENTALLY_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// A managed policy file, used before the OS's managed sources.
    #[arg(long, global = true, env = "TOKENTALLY_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read what is new in the AI tools' logs into the ledger.
    Scan,
    /// Print usage per period, tool and model (scans first).
    Report(ReportArgs),
    /// Watch the logs and print each new call's counts as it is made.
    Watch,
    /// List every known tool: found here or not, where, what was counted.
    Sources {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Do not read new log lines first (the logs are still looked for).
        #[arg(long)]
        no_scan: bool,
    },
    /// The policy in force: what IT set, what you set, and what it means.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the loopback API proxy and telemetry receiver in the foreground
    /// (`proxy env` prints the lines that point tools at it).
    Proxy(ProxyArgs),
    /// Run everything in the foreground, as the tray app does: the log
    /// collectors, the proxy and the receiver, the policy reloader and the
    /// watchdog; diagnostics go to a rotating file beside the ledger.
    Agent(AgentArgs),
    /// Pause counting: calls made until the pause ends are not counted,
    /// from any source, even when their log lines are read later.
    Pause(PauseArgs),
    /// Count again after `pause`.
    Resume,
    /// The loopback OpenTelemetry receiver.
    #[command(subcommand)]
    Otel(OtelCommand),
    /// Enroll this device at the company's server with a one-time code
    /// (from the policy, or as IT gave it to you).
    Enroll {
        /// The enrollment code (default: the policy's `enrollment_code`).
        #[arg(long)]
        code: Option<String>,
    },
    /// Uploads of aggregated counts: off until you turn them on.
    #[command(subcommand)]
    Upload(UploadCommand),
    /// The exact bytes of the next upload, made by the function the
    /// uploader sends with.
    Preview {
        /// Only the payloads, one per line, byte for byte as they will be sent.
        #[arg(long)]
        json: bool,
    },
    /// Every upload attempt: when, where, the SHA-256 of the bytes sent,
    /// and what the server answered (`uploads show ID` prints the bytes).
    Uploads {
        /// `show ID`: print one upload's bytes.
        #[command(subcommand)]
        command: Option<UploadsCommand>,
        /// Print JSON instead of text.
        #[arg(long, global = true)]
        json: bool,
    },
    /// Export everything TokenTally holds about your usage.
    Export {
        /// `json` (everything) or `csv` (one row per call).
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
    },
    /// Your data.
    #[command(subcommand)]
    Data(DataCommand),
}

/// `tokentally upload ...`.
#[derive(Debug, Subcommand)]
pub enum UploadCommand {
    /// Turn uploads on. By default only calls from now on are uploaded.
    Enable {
        /// Also upload what was counted before now.
        #[arg(long, conflicts_with = "since")]
        include_past: bool,
        /// Also upload what was counted from this day (YYYY-MM-DD) on.
        #[arg(long, value_name = "DATE")]
        since: Option<jiff::civil::Date>,
    },
    /// Turn uploads off. Nothing more leaves this machine.
    Disable,
    /// Upload what is pending now (retrying a few times).
    Now,
    /// Whether uploads are on, where to, what is pending, the last receipt.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// `tokentally uploads ...`.
#[derive(Debug, Subcommand)]
pub enum UploadsCommand {
    /// Print the exact bytes of one upload.
    Show {
        /// The upload's id (from `tokentally uploads`).
        id: i64,
    },
    /// Who at the company read this device's data (the server's access log).
    Readers,
}

/// `tokentally data ...`.
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Delete your usage data here and ask the server to delete what it
    /// holds for this device. Uploads are turned off.
    Delete {
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Only here: do not ask the server.
        #[arg(long)]
        local_only: bool,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    /// Everything, as one JSON document.
    Json,
    /// One row per counted call.
    Csv,
}

/// Options of `proxy`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProxyArgs {
    /// `env`: print the lines that point tools at the proxy.
    #[command(subcommand)]
    pub command: Option<ProxyCommand>,
    /// Where the proxy and the receiver listen, and extra upstreams.
    #[command(flatten)]
    pub live: LiveArgs,
}

/// Options of `agent`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Where the proxy and the receiver listen, and extra upstreams.
    #[command(flatten)]
    pub live: LiveArgs,
    /// Do not run the proxy and the receiver (logs only).
    #[arg(long)]
    pub no_live: bool,
    /// Seconds between scheduled uploads instead of the policy's (tests).
    #[arg(long, hide = true, value_name = "SECONDS")]
    pub upload_every: Option<u64>,
}

/// Options of `pause`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    /// For this long: `30m`, `1h`, `2h30m` (default: until `resume`).
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration, conflicts_with = "until_tomorrow")]
    pub duration: Option<std::time::Duration>,
    /// Until midnight, in the time zone of day buckets.
    #[arg(long)]
    pub until_tomorrow: bool,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let span: jiff::Span = s
        .parse()
        .map_err(|e| format!("`{s}` is not a duration like 30m, 1h or 2h30m: {e}"))?;
    let signed = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|e| e.to_string())?;
    std::time::Duration::try_from(signed)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{s}` is not a positive duration"))
}

/// Where the live sources listen.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Loopback address to listen on (default: 127.0.0.1 and ::1 on the
    /// policy's `proxy_port`); repeatable.
    #[arg(long, value_name = "ADDR")]
    pub listen: Vec<std::net::SocketAddr>,
    /// Loopback address of the telemetry receiver (default: 127.0.0.1 on
    /// the policy's `receiver_port`).
    #[arg(long, value_name = "ADDR")]
    pub otlp_listen: Option<std::net::SocketAddr>,
    /// An extra upstream, `NAME[:API]=URL` (API: openai, anthropic or
    /// gemini; default openai); plain http only to loopback.
    #[arg(long, value_name = "NAME[:API]=URL")]
    pub upstream: Vec<String>,
}

/// The subcommands of `proxy`.
#[derive(Debug, Subcommand)]
pub enum ProxyCommand {
    /// Print the environment lines that send tools' API calls through the
    /// proxy.
    Env,
}

/// The subcommands of `otel`.
#[derive(Debug, Subcommand)]
pub enum OtelCommand {
    /// Print the environment lines that send tools' OpenTelemetry counters
    /// to the receiver.
    Env,
}

/// The subcommands of `policy`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Every key with its value, who set it, and whether it is locked.
    Show {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check a policy file (JSON, or a macOS .plist); exit 1 listing every
    /// problem.
    Check {
        /// The file.
        file: PathBuf,
    },
    /// Print the JSON Schema of policy documents.
    Schema,
}

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Period length: day, week or month.
    #[arg(long, default_value = "day", value_parser = parse_period)]
    pub by: Period,
    /// Time zone of the periods: an IANA name or UTC (default: local).
    #[arg(long, value_name = "IANA|UTC")]
    pub tz: Option<String>,
    /// First day included, in the report's time zone.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<jiff::civil::Date>,
    /// Last day included, in the report's time zone.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<jiff::civil::Date>,
    /// Only this tool.
    #[arg(long, value_name = "ID")]
    pub tool: Option<Tool>,
    /// Report the ledger as it is, without scanning first.
    #[arg(long)]
    pub no_scan: bool,
}

fn parse_period(s: &str) -> Result<Period, String> {
    s.parse()
        .map_err(|e: tokentally_report::PeriodError| e.to_string())
}
