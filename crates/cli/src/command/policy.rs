//! `tokentally policy show | check | schema`.

use std::path::{Path, PathBuf};

use anyhow::bail;
use tokentally_policy::{
    Effective, Fallback, Inputs, Origin, changes,
    source::{ManagedPreferences, ManagedSource, os_sources},
};

use crate::output;

/// The employee's settings and the policy state live beside the ledger.
fn state_dir(ledger: &Path) -> PathBuf {
    ledger.parent().map(Path::to_owned).unwrap_or_default()
}

/// Loads the policy in force, records a change in the local log, and warns
/// on stderr when a document had problems.
pub fn effective(ledger: &Path, explicit: Option<PathBuf>) -> anyhow::Result<Effective> {
    let dir = state_dir(ledger);
    let effective = tokentally_policy::load(&Inputs {
        explicit,
        managed: os_sources(),
        employee: dir.join("settings.json"),
        state_dir: dir.clone(),
    });
    let now = jiff::Timestamp::now().as_millisecond();
    if let Err(e) = changes::record(&dir, &effective, now) {
        tracing::warn!(error = %e, "Cannot record the policy change log.");
    }
    if !effective.problems.is_empty() {
        eprintln!(
            "tokentally: the policy has {} problem(s); see `tokentally policy show`",
            effective.problems.len()
        );
    }
    Ok(effective)
}

pub fn show(ledger: &Path, policy: &Effective, json: bool) -> anyhow::Result<()> {
    let history = changes::history(&state_dir(ledger));
    if json {
        let doc = serde_json::json!({ "effective": policy, "changes": history });
        return Ok(output::line(&serde_json::to_string(&doc)?)?);
    }
    Ok(output::line(&render(policy, history.len()))?)
}

fn render(p: &Effective, changes: usize) -> String {
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
    out += "\nKey                 Value                                     Set by\n";
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
        out += &format!("{:<19} {value:<41} {who}\n", k.key);
    }
    out += &format!("\n{changes} change(s) of the policy recorded on this laptop.\n");
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
