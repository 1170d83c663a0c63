//! `tokentally policy show | check | schema`.

use std::path::{Path, PathBuf};

use anyhow::bail;
use tokentally_policy::{
    Effective, Fallback, Inputs, Origin, changes,
    source::{ManagedPreferences, ManagedSource},
};

use crate::output;

/// The employee's settings and the policy state live beside the ledger.
fn state_dir(ledger: &Path) -> PathBuf {
    ledger.parent().map(Path::to_owned).unwrap_or_default()
}

/// Where the policy of the ledger at `ledger` is read from.
pub fn inputs(ledger: &Path, explicit: Option<PathBuf>) -> Inputs {
    Inputs::beside(ledger, explicit)
}

/// Loads the policy in force and records a change in the local log; the
/// change, if there was one.
pub fn load_recorded(inputs: &Inputs) -> (Effective, Option<changes::Change>) {
    let effective = tokentally_policy::load(inputs);
    let now = jiff::Timestamp::now().as_millisecond();
    let change = changes::record(&inputs.state_dir, &effective, now).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "Cannot record the policy change log.");
        None
    });
    (effective, change)
}

/// Loads the policy in force, records a change in the local log, and warns
/// on stderr when a document had problems.
pub fn effective(ledger: &Path, explicit: Option<PathBuf>) -> anyhow::Result<Effective> {
    let (effective, _) = load_recorded(&inputs(ledger, explicit));
    if !effective.problems.is_empty() {
        eprintln!(
            "tokentally: the policy has {} problem(s); see `tokentally policy show`",
            effective.problems.len()
        );
    }
    Ok(effective)
}

pub fn show(ledger: &Path, policy: &Effective, json: bool) -> anyhow::Result<()> {
    if json {
        let doc = tokentally_desk::about(policy, &state_dir(ledger));
        return Ok(output::line(&serde_json::to_string(&doc)?)?);
    }
    let history = changes::history(&state_dir(ledger));
    Ok(output::line(&render(policy, &history))?)
}

/// A moment of the change log as the employee reads it: local date and
/// minute.
fn local_time(at_ms: i64) -> String {
    jiff::Timestamp::from_millisecond(at_ms)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn render(p: &Effective, history: &[changes::Change]) -> String {
    let r = &p.resolved;
    let mut out = String::from("What TokenTally collects on this laptop\n");
    let tools: Vec<&str> = r.sanctioned_tools.iter().map(|t| t.as_str()).collect();
    out += &format!(
        "  Counted: token counts of {} (never prompts or replies)\n",
        if tools.is_empty() {
            "no tool".to_owned()
        } else {
            tools.join(", ")
        }
    );
    out += &match (r.upload, &r.server_url) {
        (tokentally_policy::settings::UploadMode::OptIn, Some(url)) => format!(
            "  Uploaded: only if you opt in: sums per {} per tool and model to {url}\n",
            format!("{:?}", r.granularity).to_lowercase()
        ),
        _ => "  Uploaded: nothing (uploads are disabled)\n".into(),
    };
    out += &format!(
        "  Set by: {}\n",
        p.managed_source
            .as_deref()
            .unwrap_or("nobody (built-in defaults and your settings)")
    );
    match p.fallback {
        Some(Fallback::LastGood) => {
            out += "  The delivered policy has problems: the last good one applies.\n"
        }
        Some(Fallback::LockedDown) => {
            out += "  The delivered policy has problems and none was good before: nothing is collected.\n"
        }
        None => {}
    }
    if let Some(contact) = &r.contact {
        out += &format!("  Questions: {contact}\n");
    }
    if let Some(url) = &r.help_url {
        out += &format!("  More: {url}\n");
    }
    out += "\nKey                 Value                                     Set by                 Since\n";
    for k in &p.keys {
        let who = match &k.origin {
            Origin::Default => "default".to_owned(),
            Origin::Employee(_) => "you".to_owned(),
            Origin::Managed(_) => "organisation (locked)".to_owned(),
        };
        let mut value = k.value.to_string();
        if k.key == "enrollment_code" && !k.value.is_null() {
            value = "\"(set)\"".into();
        }
        if value.len() > 40 {
            value = format!("{}…", value.chars().take(39).collect::<String>());
        }
        let since = changes::held_since(history, &k.key)
            .map(local_time)
            .unwrap_or_default();
        let line = format!("{:<19} {value:<41} {who:<22} {since}", k.key);
        out += line.trim_end();
        out += "\n";
    }
    out += &format!(
        "\n{} change(s) of the policy recorded on this laptop.\n",
        history.len()
    );
    for problem in &p.problems {
        out += &format!("problem: {problem}\n");
    }
    out.trim_end().to_owned()
}

pub fn check(file: &Path) -> anyhow::Result<()> {
    let name = file.display().to_string();
    let doc = if file.extension().is_some_and(|e| e == "plist") {
        ManagedPreferences::new(vec![file.to_owned()]).read()
    } else {
        tokentally_policy::source::PolicyFile(file.to_owned()).read()
    };
    let doc = match doc {
        Ok(Some(doc)) => doc,
        Ok(None) => bail!("{name}: no such file"),
        Err(e) => bail!("{name}: {e}"),
    };
    let (_, problems) = tokentally_policy::parse(&doc, &name);
    if problems.is_empty() {
        return Ok(output::line(&format!("{name}: no problems"))?);
    }
    for problem in &problems {
        output::line(&problem.to_string())?;
    }
    bail!("{} problem(s) in {name}", problems.len())
}

pub fn schema() -> anyhow::Result<()> {
    Ok(output::line(tokentally_policy::schema().trim_end())?)
}
