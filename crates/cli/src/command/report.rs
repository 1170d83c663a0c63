//! `tokentally report`.

use anyhow::Context;
use jiff::tz::TimeZone;
use tokentally_report::ReportSpec;
use tokentally_store::Store;

use super::scan::scan_with_progress;
use crate::{args::ReportArgs, output, summary};

pub fn run(
    store: &mut Store,
    args: &ReportArgs,
    policy: &tokentally_policy::Effective,
) -> anyhow::Result<()> {
    let scanned = scan_with_progress(store, !args.no_scan, policy)?;
    let (tz, tz_name) = time_zone(args.tz.as_deref())?;
    let spec = ReportSpec {
        by: args.by,
        tz,
        tz_name,
        since: args.since,
        until: args.until,
        tool: args.tool,
    };
    let slots = store.slots(&spec.query()?)?;
    let report = tokentally_report::build(&spec, &slots);
    if args.json {
        // stdout stays pure JSON; the hint goes to stderr.
        if report.rows.is_empty()
            && let Some(hint) = summary::no_logs_hint(&scanned)
        {
            eprintln!("{hint}");
        }
        output::line(&serde_json::to_string(&report)?)?;
        return Ok(());
    }
    if report.rows.is_empty() {
        output::line("No usage recorded for this selection.")?;
        if let Some(hint) = summary::no_logs_hint(&scanned) {
            output::line(&hint)?;
        }
        return Ok(());
    }
    output::line(&tokentally_report::render_table(&report))?;
    Ok(())
}

fn time_zone(name: Option<&str>) -> anyhow::Result<(TimeZone, String)> {
    match name {
        None => {
            let tz = TimeZone::system();
            let name = tz.iana_name().unwrap_or("local").to_owned();
            Ok((tz, name))
        }
        Some("UTC" | "utc") => Ok((TimeZone::UTC, "UTC".to_owned())),
        Some(name) => {
            let tz = TimeZone::get(name).with_context(|| format!("unknown time zone `{name}`"))?;
            Ok((tz, name.to_owned()))
        }
    }
}
