//! Loading the effective policy: the first managed source that holds a
//! policy, the employee's settings, and the last good managed policy for
//! when the current one is broken.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    layers::{KeyState, Resolved, combine, locked_down},
    parse::{Problem, parse},
    settings::Settings,
    source::{ManagedSource, PolicyFile},
};

/// Where the policy is read from.
pub struct Inputs {
    /// `--policy FILE` or `TOKENTALLY_POLICY`: before the OS's sources.
    pub explicit: Option<PathBuf>,
    /// The OS's managed sources, in order.
    pub managed: Vec<Box<dyn ManagedSource>>,
    /// The employee's settings file.
    pub employee: PathBuf,
    /// Where the last good managed policy and the change log are kept.
    pub state_dir: PathBuf,
}

impl Inputs {
    /// The inputs of the agent whose ledger is `ledger`: `explicit`, the
    /// OS's managed sources, and the employee's `settings.json` and the
    /// policy state beside the ledger.
    pub fn beside(ledger: &std::path::Path, explicit: Option<PathBuf>) -> Inputs {
        let dir = ledger.parent().map(|d| d.to_owned()).unwrap_or_default();
        Inputs {
            explicit,
            managed: crate::source::os_sources(),
            employee: dir.join("settings.json"),
            state_dir: dir,
        }
    }

    /// Every file (or folder) whose change may change the policy.
    pub fn watched(&self) -> Vec<PathBuf> {
        let explicit = self.explicit.iter().cloned();
        let managed = self.managed.iter().flat_map(|s| s.watched());
        explicit
            .chain(managed)
            .chain([self.employee.clone()])
            .collect()
    }
}

/// Why the managed policy in force is not the one delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// The delivered policy has problems: the last good one applies.
    LastGood,
    /// The delivered policy has problems and none was ever good: nothing
    /// is read or sent until it is fixed.
    LockedDown,
}

/// The policy in force and how it came to be.
#[derive(Debug, Clone, Serialize)]
pub struct Effective {
    /// Every key decided.
    pub resolved: Resolved,
    /// Every key with its value, origin and lock.
    pub keys: Vec<KeyState>,
    /// The managed source that applied, if any.
    pub managed_source: Option<String>,
    /// Set when the delivered managed policy could not be used.
    pub fallback: Option<Fallback>,
    /// Every problem found in every document read.
    pub problems: Vec<Problem>,
    /// The explicit file it was read with, so that a running process
    /// reloads from the same place.
    #[serde(skip)]
    pub explicit: Option<PathBuf>,
}

#[derive(Serialize, Deserialize)]
struct LastGood {
    source: String,
    doc: Value,
}

const LAST_GOOD: &str = "policy-last-good.json";

/// Reads every layer and combines them.
pub fn load(inputs: &Inputs) -> Effective {
    let mut problems = Vec::new();
    let explicit = inputs.explicit.clone().map(PolicyFile);
    let sources = explicit
        .iter()
        .map(|s| s as &dyn ManagedSource)
        .chain(inputs.managed.iter().map(|s| s.as_ref()));
    let mut managed: Option<(Settings, String)> = None;
    let mut fallback = None;
    for source in sources {
        let name = source.name();
        let parsed = match source.read() {
            Ok(None) => continue,
            Ok(Some(doc)) => {
                let (settings, found) = parse(&doc, &name);
                let good = found.is_empty();
                problems.extend(found);
                good.then_some((settings, doc))
            }
            Err(message) => {
                problems.push(Problem {
                    source: name.clone(),
                    key: String::new(),
                    message,
                });
                None
            }
        };
        managed = Some(match parsed {
            Some((settings, doc)) => {
                save_last_good(&inputs.state_dir, &name, doc);
                (settings, name)
            }
            None => match read_last_good(&inputs.state_dir) {
                Some(last) => {
                    fallback = Some(Fallback::LastGood);
                    (
                        parse(&last.doc, &last.source).0,
                        format!("{} (last good)", last.source),
                    )
                }
                None => {
                    fallback = Some(Fallback::LockedDown);
                    (
                        locked_down(),
                        format!("{name} (unusable: nothing is collected)"),
                    )
                }
            },
        });
        break;
    }
    let employee_name = inputs.employee.display().to_string();
    let employee = read_employee(&inputs.employee, &mut problems);
    let (resolved, keys) = combine(
        managed.as_ref().map(|(s, n)| (s, n.as_str())),
        employee.as_ref().map(|s| (s, employee_name.as_str())),
        &mut problems,
    );
    Effective {
        resolved,
        keys,
        managed_source: managed.map(|(_, n)| n),
        fallback,
        problems,
        explicit: inputs.explicit.clone(),
    }
}

/// The employee's own settings: keys with problems are ignored, the rest
/// apply (they can never widen what managed policy locks).
fn read_employee(path: &Path, problems: &mut Vec<Problem>) -> Option<Settings> {
    let bytes = std::fs::read(path).ok()?;
    let name = path.display().to_string();
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(doc) => {
            let (settings, found) = parse(&doc, &name);
            problems.extend(found);
            Some(settings)
        }
        Err(e) => {
            problems.push(Problem {
                source: name,
                key: String::new(),
                message: format!("not JSON: {e}"),
            });
            None
        }
    }
}

fn save_last_good(dir: &Path, source: &str, doc: Value) {
    let last = LastGood {
        source: source.to_owned(),
        doc,
    };
    let Ok(bytes) = serde_json::to_vec_pretty(&last) else {
        return;
    };
    let path = dir.join(LAST_GOOD);
    if std::fs::read(&path).ok().as_deref() == Some(&bytes) {
        return;
    }
    // Written whole then renamed: a crash never leaves half a policy.
    let tmp = dir.join(format!("{LAST_GOOD}.tmp"));
    if std::fs::create_dir_all(dir).is_ok() && std::fs::write(&tmp, &bytes).is_ok() {
        let _ = std::fs::rename(&tmp, &path);
    }
}

fn read_last_good(dir: &Path) -> Option<LastGood> {
    let bytes = std::fs::read(dir.join(LAST_GOOD)).ok()?;
    serde_json::from_slice(&bytes).ok()
}
