//! The C allocator's heap, which SQLite allocates from (the binaries'
//! Rust code uses jemalloc, which returns freed pages by itself): glibc
//! keeps freed pages resident when live allocations sit between them, so
//! a page cache freed after a backlog stays in memory until trimmed.

/// Returns the C heap's free pages to the OS; true when some were.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn trim() -> bool {
    // SAFETY: malloc_trim takes no pointer and touches only glibc's own
    // heaps, under their locks; any thread may call it at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other C libraries give freed memory back on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn trim() -> bool {
    false
}
