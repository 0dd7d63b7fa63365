//! The `pipi` binary: everything lives in the library so that tests can reach it.

fn main() -> std::process::ExitCode {
    pipi::main()
}
