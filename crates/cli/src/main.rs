// jemalloc, with its background thread returning freed pages to the OS:
// after the first scan of a large backlog, glibc's allocator kept ~30 MB
// of freed heap resident in the long-running agent (massif saw 7 MB live).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    // Without it jemalloc purges only while allocating, never when idle.
    let _ = tikv_jemalloc_ctl::background_thread::write(true);
    tokentally_cli::main()
}
