//! The `tokentally` CLI under its test name, so the end-to-end tests can
//! find it with `CARGO_BIN_EXE_tokentally-under-test`.

fn main() -> std::process::ExitCode {
    tokentally_cli::main()
}
