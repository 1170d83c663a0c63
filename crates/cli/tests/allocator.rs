//! The agent's allocator keeps the settings its memory budget depends on
//! (.cargo/config.toml bakes them into jemalloc at build time): a build
//! that lost them, e.g. run from outside the workspace, fails here.
//! Not on MSVC, where the agent uses the system allocator.

#![cfg(not(target_env = "msvc"))]

use tikv_jemalloc_ctl::opt;

#[test]
fn jemalloc_is_tuned_for_a_small_long_lived_process() {
    assert_eq!(opt::narenas::read().expect("opt.narenas"), 1, "one arena");
    assert!(
        !opt::tcache::read().expect("opt.tcache"),
        "no thread caches"
    );
    // Background threads are built for Linux only (Cargo.toml).
    if cfg!(target_os = "linux") {
        assert!(
            opt::background_thread::read().expect("opt.background_thread"),
            "a background thread purges freed pages while the agent is idle"
        );
    }
}
