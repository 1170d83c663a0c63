//! The subcommands.

mod agent;
mod data;
mod enroll;
mod follow;
mod live;
mod pause;
mod policy;
mod proxy;
mod report;
mod scan;
mod signal;
mod sources;
mod upload;
mod uploads;
mod watch;

use anyhow::Context;
use tokentally_store::Store;

use crate::{
    Cli,
    args::{Command, DataCommand, OtelCommand, PolicyCommand, ProxyCommand, UploadsCommand},
    data_dir,
};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    // Checking a file or printing the schema needs no ledger.
    match &cli.command {
        Command::Policy(PolicyCommand::Check { file }) => return policy::check(file),
        Command::Policy(PolicyCommand::Schema) => return policy::schema(),
        _ => {}
    }
    let path = data_dir::ledger_path(cli.data_dir.as_deref())?;
    let policy = policy::effective(&path, cli.policy.clone())?;
    let mut store = Store::open(&path).with_context(|| "cannot open the ledger")?;
    let retention_ms = i64::from(policy.resolved.retention_days) * 86_400_000;
    store.keep_from(jiff::Timestamp::now().as_millisecond() - retention_ms);
    match cli.command {
        Command::Scan => scan::run(&mut store, &policy),
        Command::Report(args) => report::run(&mut store, &args, &policy),
        Command::Watch => watch::run(&mut store, &policy),
        Command::Sources { json, no_scan } => sources::run(&mut store, json, no_scan, &policy),
        Command::Policy(PolicyCommand::Show { json }) => policy::show(&path, &policy, json),
        Command::Policy(_) => Ok(()),
        Command::Proxy(args) => match args.command {
            Some(ProxyCommand::Env) => proxy::env(&policy),
            None => proxy::run(store, &args, &policy),
        },
        Command::Otel(OtelCommand::Env) => proxy::otel_env(&policy),
        Command::Agent(args) => {
            // The agent opens its own connections to the ledger.
            drop(store);
            agent::run(&path, cli.policy.clone(), &args)
        }
        Command::Pause(args) => pause::pause(&mut store, &args, &policy),
        Command::Resume => pause::resume(&mut store),
        Command::Enroll { code } => enroll::run(&mut store, code, &policy),
        Command::Upload(command) => upload::run(&mut store, command, &policy),
        Command::Preview { json } => upload::preview(&store, json, &policy),
        Command::Uploads {
            command: Some(UploadsCommand::Readers),
            json,
        } => uploads::readers(&store, &policy, json),
        Command::Uploads { command, json } => uploads::run(&store, command, json),
        Command::Export { format } => data::export(&store, format),
        Command::Data(DataCommand::Delete { yes, local_only }) => {
            data::delete(&mut store, yes, local_only, &policy)
        }
    }
}
