//! `pipi token`: the cached token and a newline, for scripts. No network, no HTTP client.

use crate::settings::Settings;
use anyhow::Result;
use std::process::ExitCode;

pub fn run(settings: &Settings) -> Result<ExitCode> {
    let current = super::current_token(settings)?;
    crate::ui::print_data(&format!("{}\n", current.token.expose()))?;
    Ok(ExitCode::SUCCESS)
}
