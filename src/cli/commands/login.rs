//! `pipi login`: the browser flow of the library, with the person's browser and terminal:
//! progress on stderr, a paste read from stdin when it is needed (or always, when stdin is
//! not a terminal), Ctrl-C to stop, and the profile on stdout with `--json`.

use crate::cli::args::LoginArgs;
use crate::cli::output as ui;
use crate::cli::session;
use crate::cli::settings::Settings;
use anyhow::Result;
use pipi::{BrowserChoice, NoBrowser, Paste};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

pub fn run(settings: &Settings, args: &LoginArgs) -> Result<ExitCode> {
    let mut login = session::login(settings)?
        .timeout(Duration::from_secs(args.timeout))
        .paste(if std::io::stdin().is_terminal() {
            Paste::WhenNeeded
        } else {
            Paste::Always
        });
    login = if args.no_browser {
        login.no_browser(NoBrowser::Asked)
    } else {
        match session::browser() {
            BrowserChoice::Open(browser) => login.open_browser(move |url, abort| {
                ui::say(&format!("Opening {url} in your browser."));
                browser.open(url, abort)
            }),
            BrowserChoice::Skip(why) => login.no_browser(NoBrowser::Unusable(why)),
        }
    };
    let done = session::run_login(login)?;
    session::say_logged_in(&done, settings.profile());
    if args.json {
        ui::print_json(&done.user)?;
    }
    Ok(ExitCode::SUCCESS)
}
