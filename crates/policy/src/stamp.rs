//! Noticing, cheaply, that the policy's files changed: a stamp (length,
//! modification time, inode) per file, compared at each wake-up of a
//! running process. A few `stat` calls per wake-up cost nothing measurable,
//! and unlike change notifications they also see a file replaced by rename.

use std::{
    path::{Path, PathBuf},
    time::SystemTime,
};

/// What a file looks like from outside.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

/// Each watched path's stamp (`None` when absent), a folder's entries
/// included: editing a file inside a folder leaves the folder's own stamp
/// unchanged.
type Stamps = Vec<(PathBuf, Option<Stamp>)>;

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
        inode,
    })
}

fn stamps(paths: &[PathBuf]) -> Stamps {
    let mut out = Stamps::new();
    for path in paths {
        out.push((path.clone(), stamp(path)));
        if let Ok(entries) = std::fs::read_dir(path) {
            let mut inside: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            inside.sort();
            out.extend(inside.into_iter().map(|p| {
                let s = stamp(&p);
                (p, s)
            }));
        }
    }
    out
}

/// The files a policy was loaded from, and how they looked then.
#[derive(Debug)]
pub struct PolicyFiles {
    paths: Vec<PathBuf>,
    loaded: Stamps,
    seen: Stamps,
}

impl PolicyFiles {
    /// Takes the files' stamps now, as the ones the policy in force was
    /// loaded from.
    pub fn new(paths: Vec<PathBuf>) -> Self {
        let now = stamps(&paths);
        PolicyFiles {
            paths,
            loaded: now.clone(),
            seen: now,
        }
    }

    /// True once the files differ from when the policy was last loaded and
    /// have held still since the previous call, so that a file caught
    /// half-written is not loaded; the caller then loads the policy again.
    pub fn settled_change(&mut self) -> bool {
        let now = stamps(&self.paths);
        let settled = now == self.seen;
        self.seen = now;
        if settled && self.seen != self.loaded {
            self.loaded = self.seen.clone();
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_is_reported_once_after_it_held_still() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.json");
        std::fs::write(&file, "{}").unwrap();
        let mut files = PolicyFiles::new(vec![file.clone()]);
        assert!(!files.settled_change());
        std::fs::write(&file, r#"{"upload": "disabled"}"#).unwrap();
        // Seen changing: not yet, it may still be being written.
        assert!(!files.settled_change());
        assert!(files.settled_change());
        assert!(!files.settled_change());
    }

    #[test]
    fn creation_deletion_and_files_inside_a_folder_are_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("settings.json");
        let folder = dir.path().join("policy.d");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("10.json"), "{}").unwrap();
        let mut files = PolicyFiles::new(vec![file.clone(), folder.clone()]);
        let settled = |files: &mut PolicyFiles| files.settled_change() || files.settled_change();
        std::fs::write(&file, "{}").unwrap();
        assert!(settled(&mut files));
        std::fs::write(folder.join("10.json"), r#"{"autostart": true}"#).unwrap();
        assert!(settled(&mut files));
        std::fs::remove_file(&file).unwrap();
        assert!(settled(&mut files));
        assert!(!settled(&mut files));
    }
}
