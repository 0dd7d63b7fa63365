//! `pipi whoami`: the logged-in person's profile, fresh from the server, as one JSON document.

use crate::cli::args::WhoamiArgs;
use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use crate::cli::output as ui;
use crate::cli::session;
use crate::cli::settings::Settings;
use pipi::Client;
use serde_json::Value;

pub fn run(settings: &Settings, args: &WhoamiArgs) -> Result<ExitCode> {
    let output = ui::JsonOutput::new(args.jq.jq.as_deref())?;
    let current = session::current_token(settings)?;
    let site = Client::new(&current.base_url, settings.http_timeout)?;
    let profile = site
        .user_info(&current.token)
        .map_err(|e| current.explain(e, settings.profile()))?;
    if args.raw {
        output.print_raw(&profile.raw)?;
    } else {
        output.print(&Value::Object(profile.user))?;
    }
    Ok(ExitCode::SUCCESS)
}
