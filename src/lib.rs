//! pipi: log in to a Sngine site ("Log in With PipiTrend") from the terminal.
//!
//! The flow, file by file: `cli` parses, `settings` resolves flags, environment and the
//! `config` file, `commands` does the work; `environment` tells where pipi runs (SSH, a
//! display, WSL), `browser` decides how to open the login page and opens it, `callback`
//! catches the redirect on a `listener` that no client can hold up, `paste` takes the
//! address from stdin when no listener can, `provider` is the only code that talks HTTP to
//! the site, `cache` keeps the token, and `emulator` is a stand-in site for tests and
//! offline use. Everything said on stderr goes through `ui`, which masks secrets with
//! `redact`; `debug` is the log that `-v` turns on.

pub mod browser;
pub mod cache;
pub mod callback;
pub mod cli;
pub mod commands;
pub mod config;
pub mod debug;
pub mod emulator;
pub mod environment;
pub mod error;
pub mod fsutil;
pub(crate) mod http;
pub mod interrupt;
pub mod listener;
pub mod paste;
pub mod provider;
pub mod redact;
pub mod secret;
pub mod secret_input;
pub mod settings;
pub mod ui;
pub mod user;

use std::process::ExitCode;

/// Entry point of the binary: parse, run, and turn the outcome into an exit code. Errors
/// print once, here.
pub fn main() -> ExitCode {
    use clap::Parser;
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    interrupt::install();
    let env_level = settings::process_env("PIPI_DEBUG");
    debug::enable(debug::level_from(cli.verbose, env_level.as_deref()));
    debug_log!(
        "pipi {} on {}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let started = std::time::Instant::now();
    let outcome = commands::run(cli);
    let took = started.elapsed().as_millis();
    match outcome {
        Ok(code) => {
            debug_log!("done in {took}ms");
            code
        }
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let code = error::exit_code(&e);
            debug_log!("failed in {took}ms, exit code {code}");
            error::report(&e);
            ExitCode::from(code)
        }
    }
}

/// A reader that closed stdout early (`pipi whoami | head -1`) is no error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<ui::StdoutClosed>())
}
