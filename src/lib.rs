//! pipi: log in to a Sngine site ("Log in With PipiTrend") from the terminal.

pub mod emulator;

/// Entry point of the binary.
pub fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
