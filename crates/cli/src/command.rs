//! The subcommands.

mod report;
mod scan;
mod sources;
mod watch;

use anyhow::Context;
use tokentally_store::Store;

use crate::{Cli, args::Command, data_dir};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let path = data_dir::ledger_path(cli.data_dir.as_deref())?;
    let mut store = Store::open(&path).with_context(|| "cannot open the ledger")?;
    match cli.command {
        Command::Scan => scan::run(&mut store),
        Command::Report(args) => report::run(&mut store, &args),
        Command::Watch => watch::run(&mut store),
        Command::Sources { json, no_scan } => sources::run(&mut store, json, no_scan),
    }
}
