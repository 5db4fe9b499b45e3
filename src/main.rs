fn main() -> std::process::ExitCode {
    shiku_api::cli::main()
}
