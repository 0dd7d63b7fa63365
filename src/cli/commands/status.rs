//! `pipi status`: who is logged in, on which site and profile, and for how long. It reads
//! only the cache: no network, no HTTP client, and never the token itself.

use crate::cli::args::StatusArgs;
use crate::cli::exit::ExitCode;
use crate::cli::failure::Result;
use crate::cli::output as ui;
use crate::cli::session;
use crate::cli::settings::Settings;
use pipi::site_label;
use serde_json::{Value, json};
use std::time::SystemTime;

pub fn run(settings: &Settings, args: &StatusArgs) -> Result<ExitCode> {
    let output = ui::JsonOutput::new(args.jq.jq.as_deref())?;
    let now = SystemTime::now();
    let report = if session::env_token(settings)?.is_some() {
        Report {
            logged_in: true,
            base_url: settings.base_url()?.to_string(),
            source: "PIPI_ACCESS_TOKEN",
            expires_at: None,
            seconds_left: None,
            user: Value::Null,
            reason: None,
        }
    } else {
        from_cache(settings, now)
    };

    if args.json || output.is_filtered() {
        output.print(&json!({
            "logged_in": report.logged_in,
            "profile": settings.profile(),
            "base_url": report.base_url,
            "token_source": report.source,
            "expires_at": report.expires_at.map(pipi::format_time),
            "seconds_left": report.seconds_left,
            "user": report.user,
            "reason": report.reason,
        }))?;
    } else {
        say_status(settings, &report, now);
    }
    Ok(if report.logged_in {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::cli::exit::code_of(&pipi::ErrorKind::AuthNeeded))
    })
}

/// What the profile's token cache says, for the site in use.
fn from_cache(settings: &Settings, now: SystemTime) -> Report {
    let not_logged_in = |reason: String| Report {
        logged_in: false,
        base_url: settings.base_url_shown().to_string(),
        source: "none",
        expires_at: None,
        seconds_left: None,
        user: Value::Null,
        reason: Some(reason),
    };
    let Some(cached) = session::load_or_warn(&session::token_cache(settings)) else {
        return not_logged_in("no token is cached".to_string());
    };
    match session::cached_site(settings, &cached) {
        Ok(base_url) => {
            let state = session::TokenState::of(&cached, now);
            Report {
                logged_in: state.is_live(),
                base_url,
                source: "cache",
                expires_at: Some(cached.expires_at),
                seconds_left: Some(state.left().as_secs()),
                reason: state.why_dead(),
                user: cached.user.clone().unwrap_or(Value::Null),
            }
        }
        // The cached token belongs to another site than the one asked about.
        Err(e) => not_logged_in(format!("{e:#}")),
    }
}

struct Report {
    logged_in: bool,
    base_url: String,
    source: &'static str,
    expires_at: Option<SystemTime>,
    seconds_left: Option<u64>,
    user: Value,
    /// Why not logged in.
    reason: Option<String>,
}

fn say_status(settings: &Settings, report: &Report, now: SystemTime) {
    let site = site_label(&report.base_url);
    let profile = settings.profile();
    ui::say(&format!("{site} (profile '{profile}')"));
    if !report.user.is_null() {
        ui::say(&format!(
            "  account: {}",
            ui::escape_untrusted(&pipi::display_name(&report.user))
        ));
    }
    match (report.source, report.expires_at) {
        ("PIPI_ACCESS_TOKEN", _) => {
            ui::say("  logged in with the token in PIPI_ACCESS_TOKEN (its lifetime is unknown)")
        }
        (_, Some(at)) if report.logged_in => ui::say(&format!(
            "  logged in; the token expires in {} (at {})",
            ui::duration(at.duration_since(now).unwrap_or_default()),
            pipi::format_time(at)
        )),
        (_, Some(at)) => ui::say(&format!(
            "  not logged in: {} (its expiry on record: {})",
            report.reason.as_deref().unwrap_or("the token is not alive"),
            pipi::format_time(at)
        )),
        _ => ui::say(&format!(
            "  not logged in: {}",
            report.reason.as_deref().unwrap_or("no token")
        )),
    }
    if !report.logged_in {
        ui::hint(&crate::cli::session::login_hint(profile));
    }
}
