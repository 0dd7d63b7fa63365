//! `pipi login`: the browser flow of the library, with the person's browser and terminal:
//! progress on stderr, a paste read from stdin when it is needed (or always, when stdin is
//! not a terminal), Ctrl-C to stop, and the profile on stdout with `--json`.

use crate::cli::args::LoginArgs;
use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use crate::cli::output as ui;
use crate::cli::session;
use crate::cli::settings::Settings;
use std::time::Duration;

pub fn run(settings: &Settings, args: &LoginArgs) -> Result<ExitCode> {
    let output = ui::JsonOutput::new(args.jq.jq.as_deref())?;
    let login =
        session::browser_login(settings, Duration::from_secs(args.timeout), args.no_browser)?
            .paste(session::paste_from_stdin());
    // Taken turns with the logins of `exec` and `token --login` on this profile, which
    // would otherwise race this one for the redirect URL's port.
    let _turn = session::login_turn(settings, Duration::from_secs(args.timeout))?;
    let done = session::run_login(login)?;
    session::say_logged_in(&done, settings.profile());
    if args.json || output.is_filtered() {
        output.print(&done.user)?;
    }
    Ok(ExitCode::SUCCESS)
}
