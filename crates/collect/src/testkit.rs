//! Test support: a temporary home and ledger, scans over it, and the
//! ledger's sums per day (UTC) and model.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use tokentally_event::Tool;
use tokentally_store::{SlotQuery, Store};

use crate::{Env, ScanOptions, ScanSummary, all_collectors, scan};

/// Sums of one (day, tool, model).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sums {
    pub input: u64,
    pub cache_read: u64,
    pub cache_write: u64,
    pub output: u64,
    pub reasoning: u64,
    pub calls: u64,
}

/// A home directory and a ledger, both temporary.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("data/tokentally.db")).unwrap();
        Sandbox { dir, store }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// Copies a fixture to `relative` under the home.
    pub fn place(&self, fixture: &Path, relative: &str) -> PathBuf {
        let to = self.home().join(relative);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture, &to).unwrap();
        to
    }

    pub fn scan(&mut self) -> ScanSummary {
        let home = self.home();
        let env = Env::from_pairs([("HOME", home.to_str().unwrap())]);
        scan(
            &mut self.store,
            &all_collectors(),
            &env,
            &ScanOptions::default(),
            &mut |_| {},
        )
        .unwrap()
    }

    /// The ledger per (UTC day, tool, model).
    pub fn sums(&self) -> BTreeMap<(String, Tool, String), Sums> {
        let mut out: BTreeMap<_, Sums> = BTreeMap::new();
        for slot in self.store.slots(&SlotQuery::default()).unwrap() {
            let day = jiff::Timestamp::from_millisecond(slot.slot_start_ms)
                .unwrap()
                .strftime("%Y-%m-%d")
                .to_string();
            let s = out.entry((day, slot.tool, slot.model)).or_default();
            s.input += slot.tokens.input;
            s.cache_read += slot.tokens.cache_read;
            s.cache_write += slot.tokens.cache_write;
            s.output += slot.tokens.output;
            s.reasoning += slot.tokens.reasoning;
            s.calls += slot.calls;
        }
        out
    }

    /// Estimated calls of one tool.
    pub fn estimated_calls(&self, tool: Tool) -> u64 {
        let query = SlotQuery {
            tool: Some(tool),
            ..SlotQuery::default()
        };
        self.store
            .slots(&query)
            .unwrap()
            .iter()
            .map(|s| s.estimated_calls)
            .sum()
    }

    /// The sums of one day, tool and model (zero if absent).
    pub fn get(&self, day: &str, tool: Tool, model: &str) -> Sums {
        self.sums()
            .get(&(day.to_owned(), tool, model.to_owned()))
            .copied()
            .unwrap_or_default()
    }
}

/// A fixture file beside a collector.
pub fn fixture(tool_dir: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/collector")
        .join(tool_dir)
        .join("fixtures")
        .join(name)
}

impl Sandbox {
    /// Asserts that no canary from the home reached the ledger's files.
    pub fn assert_no_canary_in_ledger(&self) {
        let home = all_bytes_under(&self.home());
        assert!(
            home.iter()
                .any(|(_, b)| memchr::memmem::find(b, b"TTCANARY").is_some()),
            "no canary planted"
        );
        for (path, bytes) in all_bytes_under(&self.dir.path().join("data")) {
            assert!(
                memchr::memmem::find(&bytes, b"TTCANARY").is_none(),
                "canary in {}",
                path.display()
            );
        }
    }
}

/// Every byte under `dir`, for canary checks.
pub fn all_bytes_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}
