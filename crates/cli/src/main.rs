fn main() -> std::process::ExitCode {
    tokentally_cli::main()
}
