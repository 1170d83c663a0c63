use std::time::{Duration, Instant};

use tokentally_tests::prng::Prng;

use crate::support::{Fixture, assert_report_is, command, write_some};

/// Kills `scan` with SIGKILL at random moments, many times, then lets one
/// finish: the totals must equal the truth exactly (nothing lost, nothing
/// counted twice).
#[test]
fn sigkill_at_random_points_never_loses_or_double_counts() {
    // 150 MB: a full scan takes 1 to 2 s in a debug build.
    let f = Fixture::generated(21, 150);
    // How long an uninterrupted scan takes here with a warm page cache (into
    // other ledgers), to aim the kills inside it.
    let mut full = Duration::ZERO;
    for probe in ["probe-cold", "probe-warm"] {
        let started = Instant::now();
        let out = command(&f.home(), &f.dir.path().join(probe), &["scan"])
            .output()
            .unwrap();
        assert!(out.status.success());
        full = started.elapsed().max(Duration::from_millis(20));
    }
    let mut rng = Prng::new(7);
    let mut killed_mid_scan = 0;
    let mut kills_in_this_ledger = 0;
    // A killed scan keeps the batches it committed. A scan that finished
    // before its kill left nothing to interrupt: the machine ran faster
    // than the probe said (other tests load it unevenly), so start a fresh
    // ledger and aim earlier.
    for _ in 0..40 {
        let mut child = f
            .command(&["scan"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let delay = rng.range(0, full.as_micros() as u64 / 3);
        std::thread::sleep(Duration::from_micros(delay));
        let finished = child.try_wait().unwrap().is_some();
        // Child::kill sends SIGKILL on Unix.
        let _ = child.kill();
        child.wait().unwrap();
        if finished {
            full /= 2;
            if killed_mid_scan >= 5 {
                break;
            }
            std::fs::remove_dir_all(f.data()).unwrap();
            kills_in_this_ledger = 0;
            continue;
        }
        killed_mid_scan += 1;
        kills_in_this_ledger += 1;
        if killed_mid_scan >= 20 {
            break;
        }
    }
    eprintln!("full scan {full:?}; {killed_mid_scan} kills landed inside a scan");
    assert!(
        killed_mid_scan >= 5,
        "only {killed_mid_scan} kills landed inside a scan ({full:?})"
    );
    // The ledger checked below lived through kills, or a finished scan
    // showed what they had left was complete.
    eprintln!("{kills_in_this_ledger} kills in the ledger checked");
    assert_report_is(&f.report(true), &f.truth);
}

/// The logs grow while scans are killed at random: each scan finds new
/// bytes (often half a line), commits some, and dies anywhere, including
/// between its commits. The totals end exact.
#[test]
fn sigkill_while_logs_grow_never_loses_or_double_counts() {
    use tokentally_tests::corpus::{CorpusSpec, MemSink, generate};

    let f = Fixture::empty();
    let mut sink = MemSink::default();
    let truth = generate(&CorpusSpec::of_mb(22, 6), &mut sink).unwrap();
    let mut rng = Prng::new(8);
    let mut written = vec![0usize; sink.0.len()];
    let mut kills = 0;
    let mut more = true;
    // Kills land in [0, window); a scan that finished first says this
    // machine is faster than the window assumed: aim earlier.
    let mut window = 120_000u64;
    while more {
        more = write_some(&f.home(), &sink.0, &mut written, &mut rng, 400_000, 70);
        let mut child = f
            .command(&["scan"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.range(0, window)));
        if child.try_wait().unwrap().is_none() {
            kills += 1;
        } else {
            window = (window / 2).max(2_000);
        }
        let _ = child.kill();
        child.wait().unwrap();
    }
    assert!(kills >= 5, "only {kills} kills landed inside a scan");
    assert_report_is(&f.report(true), &truth);
}
