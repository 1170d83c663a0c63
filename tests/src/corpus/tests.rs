use super::*;

#[test]
fn a_seed_gives_the_same_corpus_and_truth() {
    let spec = CorpusSpec::of_mb(7, 1);
    let (mut a, mut b) = (MemSink::default(), MemSink::default());
    let ta = generate(&spec, &mut a).unwrap();
    let tb = generate(&spec, &mut b).unwrap();
    assert_eq!(ta, tb);
    assert_eq!(a.0, b.0);
    let other = generate(&CorpusSpec::of_mb(8, 1), &mut MemSink::default()).unwrap();
    assert_ne!(ta, other);
}

#[test]
fn every_file_carries_canaries_and_the_truth_covers_both_tools() {
    let mut sink = MemSink::default();
    let truth = generate(&CorpusSpec::of_mb(3, 2), &mut sink).unwrap();
    let bytes: usize = sink.0.iter().map(|(_, b)| b.len()).sum();
    assert!(bytes >= 2 << 20);
    for (path, file) in &sink.0 {
        let text = String::from_utf8_lossy(file);
        assert!(text.contains("TTCANARY"), "{}", path.display());
    }
    let tools: std::collections::BTreeSet<_> = truth.0.keys().map(|(_, t, _)| t.clone()).collect();
    assert_eq!(
        tools.into_iter().collect::<Vec<_>>(),
        ["claude-code", "codex"]
    );
    let t = truth.totals();
    assert_eq!(
        t.total_tokens,
        t.input_tokens + t.output_tokens + t.cache_read_tokens + t.cache_write_tokens
    );
}

#[test]
fn iso_times_have_milliseconds_and_z() {
    assert_eq!(iso(1_500), "1970-01-01T00:00:01.500Z");
    assert_eq!(at(jiff::civil::date(1970, 1, 2), 5), 86_400_005);
}
