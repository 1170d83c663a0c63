use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;
use tokentally_tests::corpus::{CorpusSpec, DirSink, Truth, generate};

/// A generated home and an empty data dir, both temporary.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub truth: Truth,
}

impl Fixture {
    pub fn generated(seed: u64, mb: u64) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let truth = generate(
            &CorpusSpec::of_mb(seed, mb),
            &mut DirSink(dir.path().join("home")),
        )
        .unwrap();
        Fixture { dir, truth }
    }

    pub fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Fixture {
            dir,
            truth: Truth::default(),
        }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        command(&self.home(), &self.data(), args)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "tokentally {args:?} failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `report --json --by day --tz UTC`, scanning first unless told not to.
    pub fn report(&self, scan: bool) -> Value {
        let mut args = vec!["report", "--json", "--by", "day", "--tz", "UTC"];
        if !scan {
            args.push("--no-scan");
        }
        serde_json::from_slice(&self.run(&args).stdout).unwrap()
    }
}

/// The binary with a clean environment: only this home and data dir.
pub fn command(home: &Path, data: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokentally-under-test"));
    cmd.args(args)
        .env("HOME", home)
        .env("TOKENTALLY_DATA_DIR", data)
        .env_remove("CLAUDE_CONFIG_DIR")
        .env_remove("CODEX_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_STATE_HOME")
        .env_remove("TOKENTALLY_LOG")
        .env_remove("TOKENTALLY_POLICY");
    cmd
}

/// Asserts that a `report --json` equals the truth, row by row and in total.
pub fn assert_report_is(report: &Value, truth: &Truth) {
    const FIELDS: [&str; 8] = [
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "reasoning_tokens",
        "total_tokens",
        "calls",
        "estimated_calls",
    ];
    let rows = report["rows"].as_array().unwrap();
    let expected = truth.rows();
    let key = |r: &Value| format!("{} {} {}", r["period"], r["tool"], r["model"]);
    let got: Vec<String> = rows.iter().map(key).collect();
    let want: Vec<String> = expected.iter().map(key).collect();
    assert_eq!(got, want, "rows differ");
    for (g, w) in rows.iter().zip(&expected) {
        for f in FIELDS {
            assert_eq!(g[f], w[f], "{f} of {}", key(w));
        }
    }
    let totals = serde_json::to_value(truth.totals()).unwrap();
    for f in FIELDS {
        assert_eq!(report["totals"][f], totals[f], "totals {f}");
    }
}

/// Every file under `dir`, with its bytes.
pub fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push((path, bytes));
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Appends the next random piece (often cutting a line in half) of some of
/// the generated files to the home; false once every file is whole.
pub fn write_some(
    home: &Path,
    files: &[(PathBuf, Vec<u8>)],
    written: &mut [usize],
    rng: &mut tokentally_tests::prng::Prng,
    max_piece: u64,
    skip_percent: u64,
) -> bool {
    use std::io::Write;
    for (i, (path, bytes)) in files.iter().enumerate() {
        if written[i] == bytes.len() || rng.chance(skip_percent) {
            continue;
        }
        let end = (written[i] + rng.range(1, max_piece) as usize).min(bytes.len());
        let full = home.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&full)
            .unwrap();
        file.write_all(&bytes[written[i]..end]).unwrap();
        written[i] = end;
    }
    written.iter().zip(files).any(|(w, (_, b))| *w < b.len())
}

/// A child process killed when the guard is dropped, so a failing
/// assertion does not leave it running.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
