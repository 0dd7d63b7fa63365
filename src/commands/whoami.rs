//! `pipi whoami`: the logged-in person's profile, fresh from the server, as one JSON document.

use crate::cli::WhoamiArgs;
use crate::error;
use crate::provider::{self, Provider, UserInfo};
use crate::secret::Secret;
use crate::settings::Settings;
use anyhow::{Result, anyhow};
use serde_json::{Map, Value};
use std::process::ExitCode;

pub fn run(settings: &Settings, args: &WhoamiArgs) -> Result<ExitCode> {
    let current = super::current_token(settings)?;
    let provider = Provider::new(&current.base_url, settings.http_timeout)?;
    let (raw, user) = fetch(&provider, &current.token, settings.profile()).map_err(|e| {
        if current.cached.is_none() && error::exit_code(&e) == error::Kind::AuthNeeded.exit_code() {
            // Logging in would not help: the variable wins over the cache.
            e.context(error::Classified {
                kind: error::Kind::AuthNeeded,
                message: "PIPI_ACCESS_TOKEN holds a token the site refuses".to_string(),
                hint: Some(
                    "unset PIPI_ACCESS_TOKEN to use the cached token, or set a fresh one"
                        .to_string(),
                ),
            })
        } else {
            e
        }
    })?;
    if args.raw {
        let newline = if raw.ends_with('\n') { "" } else { "\n" };
        crate::ui::print_data(&format!("{raw}{newline}"))?;
    } else {
        crate::ui::print_json(&Value::Object(crate::user::decode(user)))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The body as received and the `user_info` object. A token the server refuses means
/// logging in again (exit 4); a deleted account is a plain failure.
pub fn fetch(
    provider: &Provider,
    token: &Secret,
    profile: &str,
) -> Result<(String, Map<String, Value>)> {
    let answer = provider.user_info(token).map_err(|e| {
        if provider::refused_token(&e) {
            let message = provider::server_message(&e).unwrap_or_default();
            error::auth_needed(format!("the server refused the token: {message}"), profile)
        } else {
            e
        }
    })?;
    match answer {
        UserInfo::Found { raw, user } => Ok((raw, user)),
        UserInfo::Deleted { .. } => Err(anyhow!(
            "the server has no user for this token (the account was deleted)"
        )),
    }
}
