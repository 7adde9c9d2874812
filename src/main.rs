fn main() -> std::process::ExitCode {
    schemata::cli::run()
}
