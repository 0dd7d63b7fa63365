//! `pipi whoami`: the logged-in person's profile, fresh from the server, as one JSON document.

use crate::cli::WhoamiArgs;
use crate::provider::{Provider, UserInfo};
use crate::secret::Secret;
use crate::settings::Settings;
use anyhow::{Result, anyhow};
use serde_json::{Map, Value};
use std::process::ExitCode;

pub fn run(settings: &Settings, args: &WhoamiArgs) -> Result<ExitCode> {
    let current = super::current_token(settings)?;
    let provider = Provider::new(&current.base_url, settings.http_timeout)?;
    let (raw, user) = fetch(
        &provider,
        &current.token,
        &current.refusal(settings.profile()),
    )?;
    if args.raw {
        crate::ui::print_body(&raw)?;
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
    refusal: &super::Refusal,
) -> Result<(String, Map<String, Value>)> {
    let answer = provider.user_info(token).map_err(|e| refusal.explain(e))?;
    match answer {
        UserInfo::Found { raw, user } => Ok((raw, user)),
        UserInfo::Deleted { .. } => Err(anyhow!(
            "the server has no user for this token (the account was deleted)"
        )),
    }
}
