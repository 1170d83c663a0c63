//! `tokentally-gen --seed N --target-mb M --out DIR [--mixed-scale S]`:
//! writes a generated home directory of Claude Code and Codex logs to DIR,
//! and its ground truth (rows in the shape of `report --json --by day --tz
//! UTC`) to DIR/truth.json. With `--mixed-scale`, every other tool's data
//! is added, S times the mixed machine of the tests, with its truth in
//! DIR/truth-mixed.json.

use anyhow::{Context, bail};
use tokentally_tests::corpus::{CorpusSpec, DirSink, generate, mixed::generate_mixed_scaled};

fn main() -> anyhow::Result<()> {
    let (mut seed, mut mb, mut out, mut mixed) = (1u64, 100u64, None, 0u64);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--seed" => seed = value.parse()?,
            "--target-mb" => mb = value.parse()?,
            "--out" => out = Some(std::path::PathBuf::from(value)),
            "--mixed-scale" => mixed = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    let out =
        out.context("usage: tokentally-gen --seed N --target-mb M --out DIR [--mixed-scale S]")?;
    let started = std::time::Instant::now();
    let truth = generate(&CorpusSpec::of_mb(seed, mb), &mut DirSink(out.clone()))?;
    std::fs::write(
        out.join("truth.json"),
        serde_json::to_vec_pretty(&truth.report_json())?,
    )?;
    if mixed > 0 {
        let truth = generate_mixed_scaled(seed, &out, mixed)?;
        std::fs::write(
            out.join("truth-mixed.json"),
            serde_json::to_vec_pretty(&truth.report_json())?,
        )?;
    }
    eprintln!(
        "wrote ~{mb} MB to {} in {:.1} s ({} calls)",
        out.display(),
        started.elapsed().as_secs_f64(),
        truth.totals().calls
    );
    Ok(())
}
