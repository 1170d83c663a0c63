//! Directory listings kept between scans.
//!
//! A long-running watcher rescans often. Reading every folder again costs
//! five system calls each and, worse, one inotify event per folder opened
//! (the watch reports opens), so each rescan would wake the watcher once
//! per folder. A folder whose modification time has not changed has the
//! same entries: a stat is enough.

use std::{
    collections::HashMap,
    fs, io,
    path::{Path, PathBuf},
    sync::Mutex,
    time::SystemTime,
};

/// What a folder holds: sub-folders and files (symlinked files included).
#[derive(Debug, Clone, Default)]
pub struct Entries {
    pub dirs: Vec<PathBuf>,
    pub files: Vec<PathBuf>,
}

#[derive(Debug)]
struct Listing {
    mtime: SystemTime,
    /// Whether the listing can be reused while the time is unchanged: only
    /// when the folder's time was well before the listing, since a change
    /// within the file system's time granularity would not move it.
    settled: bool,
    entries: Entries,
}

/// Listings of the folders walked, shared by the scans of one process.
#[derive(Debug, Default)]
pub struct Listings {
    by_dir: Mutex<HashMap<PathBuf, Listing>>,
}

/// How long after a folder's last change its listing becomes reusable.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

impl Listings {
    /// The entries of `dir`, read again only when it changed.
    pub fn entries(&self, dir: &Path) -> io::Result<Entries> {
        let mtime = fs::metadata(dir)?.modified()?;
        if let Ok(by_dir) = self.by_dir.lock()
            && let Some(known) = by_dir.get(dir)
            && known.settled
            && known.mtime == mtime
        {
            return Ok(known.entries.clone());
        }
        let listed_at = SystemTime::now();
        let entries = list(dir)?;
        let settled = listed_at
            .duration_since(mtime)
            .is_ok_and(|age| age >= SETTLE);
        if let Ok(mut by_dir) = self.by_dir.lock() {
            by_dir.insert(
                dir.to_owned(),
                Listing {
                    mtime,
                    settled,
                    entries: entries.clone(),
                },
            );
        }
        Ok(entries)
    }
}

/// Reads a folder. Entries that vanish while it is read are left out.
pub fn list(dir: &Path) -> io::Result<Entries> {
    let mut entries = Entries::default();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        // Symlinked files are followed; symlinked folders are not, so a
        // link loop cannot make the walk endless.
        if kind.is_dir() {
            entries.dirs.push(path);
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            entries.files.push(path);
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_time(path: &Path, time: SystemTime) {
        fs::File::open(path).unwrap().set_modified(time).unwrap();
    }

    #[test]
    fn a_settled_folder_is_not_read_again_until_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.jsonl"), b"").unwrap();
        let past = SystemTime::now() - std::time::Duration::from_secs(60);
        set_time(dir.path(), past);
        let listings = Listings::default();
        assert_eq!(listings.entries(dir.path()).unwrap().files.len(), 1);
        // While the folder's time is the same, the listing is not read
        // again (shown by a removal hidden from it).
        fs::remove_file(dir.path().join("a.jsonl")).unwrap();
        set_time(dir.path(), past);
        assert_eq!(listings.entries(dir.path()).unwrap().files.len(), 1);
        // A new entry moves the folder's time.
        fs::write(dir.path().join("b.jsonl"), b"").unwrap();
        assert_eq!(
            listings.entries(dir.path()).unwrap().files,
            vec![dir.path().join("b.jsonl")]
        );
    }

    #[test]
    fn a_folder_changed_just_now_is_listed_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let listings = Listings::default();
        assert!(listings.entries(dir.path()).unwrap().files.is_empty());
        // Same time stamp as the first listing (a coarse clock): still seen.
        let mtime = fs::metadata(dir.path()).unwrap().modified().unwrap();
        fs::write(dir.path().join("c.jsonl"), b"").unwrap();
        set_time(dir.path(), mtime);
        assert_eq!(listings.entries(dir.path()).unwrap().files.len(), 1);
    }
}
