//! Finding a tool's log files under its roots.

use std::{
    fs,
    path::{Path, PathBuf},
};

use crate::{Collector, Env};

mod listing;
pub use listing::Listings;

/// One root of one tool, and whether it exists here.
#[derive(Debug, Clone)]
pub struct Root {
    /// The directory.
    pub path: PathBuf,
    /// Whether it exists and is a directory.
    pub found: bool,
}

/// A directory or file that could not be read.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Where.
    pub path: PathBuf,
    /// What the OS said.
    pub message: String,
}

/// The result of walking one tool's roots.
#[derive(Debug, Default)]
pub struct Found {
    /// The roots looked at.
    pub roots: Vec<Root>,
    /// The log files, sorted.
    pub files: Vec<PathBuf>,
    /// What could not be read.
    pub problems: Vec<Problem>,
}

/// Walks every root of `collector` and lists its log files.
pub fn find(collector: &dyn Collector, env: &Env) -> Found {
    find_with(collector, env, None)
}

/// [`find`], reusing the listings of folders unchanged since an earlier walk.
pub fn find_with(collector: &dyn Collector, env: &Env, listings: Option<&Listings>) -> Found {
    let mut found = Found::default();
    let mut roots = collector.roots(env);
    roots.dedup();
    for root in roots {
        // A root is a folder to walk, or (for tools whose log is one
        // configured file) the log itself.
        let meta = fs::metadata(&root).ok();
        let is_dir = meta.as_ref().is_some_and(|m| m.is_dir());
        let is_file = meta.as_ref().is_some_and(|m| m.is_file());
        if is_dir {
            walk(collector, &root, listings, &mut found);
        } else if is_file && collector.is_log(&root) {
            found.files.push(root.clone());
        }
        found.roots.push(Root {
            path: root,
            found: is_dir || is_file,
        });
    }
    found.files.sort();
    found.files.dedup();
    found
}

fn walk(collector: &dyn Collector, dir: &Path, listings: Option<&Listings>, found: &mut Found) {
    let entries = match listings.map_or_else(|| listing::list(dir), |l| l.entries(dir)) {
        Ok(entries) => entries,
        Err(e) => {
            found.problems.push(Problem {
                path: dir.to_owned(),
                message: e.to_string(),
            });
            return;
        }
    };
    for sub in &entries.dirs {
        walk(collector, sub, listings, found);
    }
    found
        .files
        .extend(entries.files.into_iter().filter(|f| collector.is_log(f)));
}
