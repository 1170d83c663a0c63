//! `tokentally pause` and `tokentally resume`: written to the ledger, so a
//! running agent (or any later scan) honours them.

use jiff::{Timestamp, Zoned};
use tokentally_policy::Effective;
use tokentally_store::Store;

use crate::{args::PauseArgs, output};

pub fn pause(store: &mut Store, args: &PauseArgs, policy: &Effective) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let zone = policy.resolved.zone();
    let until = match args.duration {
        Some(d) => Some(now.checked_add(d)?),
        // Until the next local midnight, or until resumed: as the app does.
        None => tokentally_desk::pause_end(now, None, args.until_tomorrow, &zone)?
            .map(Timestamp::from_millisecond)
            .transpose()?,
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
