// jemalloc, with its background thread returning freed pages to the OS:
// after the first scan of a large backlog, glibc's allocator kept ~30 MB
// of freed heap resident in the long-running agent (massif saw 7 MB live).
// Tuned for a small, long-lived process in .cargo/config.toml.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    tokentally_cli::main()
}
