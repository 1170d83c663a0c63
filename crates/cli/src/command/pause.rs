//! `tokentally pause` and `tokentally resume`: written to the ledger, so a
//! running agent (or any later scan) honours them.

use jiff::{Timestamp, Zoned, tz::TimeZone};
use tokentally_policy::Effective;
use tokentally_store::Store;

use crate::{args::PauseArgs, output};

pub fn pause(store: &mut Store, args: &PauseArgs, policy: &Effective) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let zone = policy
        .resolved
        .timezone
        .as_deref()
        .and_then(|z| TimeZone::get(z).ok())
        .unwrap_or_else(TimeZone::system);
    let until = if let Some(d) = args.duration {
        Some(now.checked_add(d)?)
    } else if args.until_tomorrow {
        Some(
            Zoned::new(now, zone.clone())
                .date()
                .tomorrow()?
                .to_zoned(zone.clone())?
                .timestamp(),
        )
    } else {
        None
    };
    store.pause(now.as_millisecond(), until.map(|t| t.as_millisecond()))?;
    let when = match until {
        Some(t) => format!(
            "until {}",
            Zoned::new(t, zone).strftime("%Y-%m-%d %H:%M %Z")
        ),
        None => "until you resume".into(),
    };
    Ok(output::line(&format!(
        "Counting paused {when}: calls made meanwhile are not counted, from any source. `tokentally resume` counts again."
    ))?)
}

pub fn resume(store: &mut Store) -> anyhow::Result<()> {
    store.resume(Timestamp::now().as_millisecond())?;
    Ok(output::line("Counting again.")?)
}
