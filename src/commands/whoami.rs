//! `pipi whoami`: the logged-in person's profile, fresh from the server, as one JSON document.

use crate::cli::WhoamiArgs;
use crate::error;
use crate::provider::{self, Provider, UserInfo};
use crate::settings::Settings;
use anyhow::{Result, anyhow};
use std::process::ExitCode;

pub fn run(settings: &Settings, args: &WhoamiArgs) -> Result<ExitCode> {
    let current = super::current_token(settings)?;
    let provider = Provider::new(&current.base_url, settings.http_timeout)?;
    let answer = provider.user_info(&current.token).map_err(|e| {
        if provider::refused_token(&e) {
            let message = provider::server_message(&e).unwrap_or_default();
            error::auth_needed(
                format!("the server refused the token: {message}"),
                settings.profile(),
            )
        } else {
            e
        }
    })?;
    match answer {
        UserInfo::Found { raw, .. } if args.raw => print_raw(&raw)?,
        UserInfo::Found { user, .. } => {
            crate::ui::print_json(&serde_json::Value::Object(crate::user::decode(user)))?
        }
        UserInfo::Deleted { .. } => {
            return Err(anyhow!(
                "the server has no user for this token (the account was deleted)"
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_raw(raw: &str) -> std::io::Result<()> {
    if raw.ends_with('\n') {
        crate::ui::print_data(raw)
    } else {
        crate::ui::print_data(&format!("{raw}\n"))
    }
}
