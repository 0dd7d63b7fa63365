//! `pipi token`: the cached token and a newline, for scripts. No network, no HTTP client;
//! with `--login`, a login through the browser first when no live token is cached.

use crate::cli::args::TokenArgs;
use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use crate::cli::session;
use crate::cli::settings::Settings;
use std::time::Duration;

pub fn run(settings: &Settings, args: &TokenArgs) -> Result<ExitCode> {
    let current = if args.login {
        let timeout = Duration::from_secs(300);
        session::live_token(
            settings,
            Duration::from_secs(args.min_left),
            timeout,
            || {
                let login = session::browser_login(settings, timeout, false)?
                    .paste(session::paste_from_stdin());
                session::run_login(login)
            },
        )?
    } else {
        session::current_token(settings)?
    };
    crate::cli::output::print_data(&format!("{}\n", current.token.expose()))?;
    Ok(ExitCode::SUCCESS)
}
