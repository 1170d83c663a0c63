//! `tokentally`: count the AI tokens used on this machine, privately.
//!
//! The binary is a thin layer: it parses arguments, opens the ledger and
//! calls the collectors and the report builder.

mod args;
mod command;
mod data_dir;
mod logging;
mod output;
mod summary;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;

/// Runs the command line with the process arguments; the exit code is 0 on
/// success and 1 on any error, which is printed to stderr.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // Only the long-running agent keeps a log file.
    let log_dir = matches!(cli.command, args::Command::Agent(_))
        .then(|| data_dir::ledger_path(cli.data_dir.as_deref()).ok())
        .flatten()
        .and_then(|ledger| ledger.parent().map(|d| d.join("logs")));
    let _log_guard = logging::init(log_dir.as_deref());
    match command::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokentally: {e:#}");
            ExitCode::FAILURE
        }
    }
}
