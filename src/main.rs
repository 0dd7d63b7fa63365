//! The `pipi` command: a thin layer over the `pipi` library. It parses the command line,
//! resolves settings, runs one command, and turns the outcome into output and an exit code.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
