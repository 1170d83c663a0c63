use tokentally_tests::{
    corpus::{CorpusSpec, MemSink, generate},
    prng::Prng,
};

use crate::support::{Fixture, assert_report_is, write_some};

/// Writes a corpus in random pieces (cutting lines in half), scanning after
/// each round; then deletes, compacts and replaces files. The totals equal
/// the truth at the end of the writes and never change after.
#[test]
fn growing_truncated_replaced_and_deleted_files_are_counted_exactly() {
    let f = Fixture::empty();
    let mut sink = MemSink::default();
    let truth = generate(&CorpusSpec::of_mb(51, 2), &mut sink).unwrap();
    let mut rng = Prng::new(5);
    let mut written = vec![0usize; sink.0.len()];
    let mut rounds = 0;
    while write_some(&f.home(), &sink.0, &mut written, &mut rng, 60_000, 40) {
        f.run(&["scan"]);
        rounds += 1;
    }
    f.run(&["scan"]);
    assert!(rounds > 3);
    assert_report_is(&f.report(false), &truth);

    // The tools delete old logs: nothing counted is lost.
    for (path, _) in sink.0.iter().step_by(3) {
        std::fs::remove_file(f.home().join(path)).unwrap();
    }
    assert_report_is(&f.report(true), &truth);
    // Compaction rewrites a file shorter; a rewrite replaces it (new inode).
    for (path, bytes) in sink.0.iter().skip(1).step_by(3) {
        std::fs::write(f.home().join(path), &bytes[..bytes.len() / 2]).unwrap();
    }
    for (path, bytes) in sink.0.iter().skip(2).step_by(3) {
        let full = f.home().join(path);
        let tmp = full.with_extension("tmp");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &full).unwrap();
    }
    assert_report_is(&f.report(true), &truth);
}
