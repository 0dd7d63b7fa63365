//! `pipi token`: the cached token and a newline, for scripts. No network, no HTTP client.

use crate::cli::session;
use crate::cli::settings::Settings;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(settings: &Settings) -> Result<ExitCode> {
    let current = session::current_token(settings)?;
    crate::cli::output::print_data(&format!("{}\n", current.token.expose()))?;
    Ok(ExitCode::SUCCESS)
}
