//! `pipi mock`: an emulated Sngine site in the foreground on loopback, for developing and
//! testing scripts against a site whose tokens die in a minute.

use crate::cli::args::MockArgs;
use crate::cli::exit as error;
use crate::cli::exit::ExitCode;
use crate::cli::output as ui;
use anyhow::{Context, Result, anyhow};
use pipi::emulator::{self, Emulator, Generation};
use serde_json::{Map, Value};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

pub fn run(args: &MockArgs) -> Result<ExitCode> {
    let config = config_from(args)?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = TcpListener::bind(addr).map_err(|e| {
        error::hinted(
            format!("cannot listen on {addr}: {e}"),
            "choose another port with --port, or --port 0 for any free one",
        )
    })?;
    let site = Arc::new(Emulator::start(config, listener).context("failed to start the emulator")?);
    let stopper = Arc::clone(&site);
    let _interrupt = crate::cli::interrupt::subscribe(move |_| stopper.shutdown());
    announce(&site);
    site.wait();
    ui::say("pipi mock: stopped.");
    Ok(ExitCode::SUCCESS)
}

fn config_from(args: &MockArgs) -> Result<emulator::Config> {
    let defaults = emulator::Config::default();
    let users = match &args.users {
        Some(path) => emulator::load_users(path)?,
        None => defaults.users.clone(),
    };
    if users.is_empty() {
        return Err(anyhow!("the site needs at least one person to sign in as"));
    }
    let signed_in_user = match &args.user {
        Some(wanted) => Some(find_user_id(&users, wanted)?),
        None => None,
    };
    Ok(emulator::Config {
        app_id: args.app_id.clone().unwrap_or(defaults.app_id),
        app_secret: args.app_secret.clone().unwrap_or(defaults.app_secret),
        redirect_url: args.redirect_url.clone().unwrap_or(defaults.redirect_url),
        token_ttl: Duration::from_secs(args.token_ttl),
        generation: args.generation.into(),
        auto_approve: args.auto_approve,
        signed_in_user,
        users,
        faults: args.fault.clone(),
        latency: Duration::from_millis(args.latency),
        log: Some(emulator::LogSink::new(ui::say)),
        ..defaults
    })
}

/// A person's `user_id`, found by id or handle.
fn find_user_id(users: &[Map<String, Value>], wanted: &str) -> Result<String> {
    let field = |u: &Map<String, Value>, name: &str| {
        u.get(name).and_then(Value::as_str).map(str::to_string)
    };
    users
        .iter()
        .find(|u| {
            field(u, "user_id").as_deref() == Some(wanted)
                || field(u, "user_name").as_deref() == Some(wanted)
        })
        .and_then(|u| field(u, "user_id"))
        .ok_or_else(|| {
            let known: Vec<String> = users
                .iter()
                .map(|u| {
                    format!(
                        "{} (@{})",
                        field(u, "user_id").unwrap_or_default(),
                        field(u, "user_name").unwrap_or_default()
                    )
                })
                .collect();
            error::usage(
                format!("no person '{wanted}' on the site"),
                format!("choose one of: {}", known.join(", ")),
            )
        })
}

/// Tells, on stderr, where the site is and how to point pipi at it.
fn announce(site: &Emulator) {
    let c = site.config();
    let base = site.base_url();
    let people: Vec<String> = c
        .users
        .iter()
        .map(|u| {
            let user = pipi::decode_profile(u.clone());
            let id = user.get("user_id").and_then(Value::as_str).unwrap_or("?");
            format!("{id}: {}", pipi::display_name(&Value::Object(user.clone())))
        })
        .collect();
    let pages = if c.auto_approve {
        "none (--auto-approve: /api/oauth redirects at once)".to_string()
    } else if let Some(id) = &c.signed_in_user {
        format!("consent on the first visit, already signed in as {id}")
    } else {
        "sign-in, then consent on the first visit".to_string()
    };
    let faults: Vec<String> = c.faults.iter().map(ToString::to_string).collect();
    ui::say(&format!(
        "pipi mock: an emulated Sngine site at {base} (Ctrl-C to stop)"
    ));
    ui::say(&format!("  app id        {}", c.app_id));
    // The emulator's secret is made up, and the person needs it: shown as it is.
    ui::say_unmasked(&format!("  app secret    {}", c.app_secret));
    ui::say(&format!("  redirect URL  {}", c.redirect_url));
    ui::say(&format!(
        "  tokens        live {}; authorize reads {}",
        ui::duration(c.token_ttl),
        match c.generation {
            Generation::Get => "the query string only (Sngine up to 4.0.3)",
            Generation::Post => "a form POST body only (Sngine 4.0.4 and later)",
            Generation::Both => "a form POST body or the query string",
        }
    ));
    ui::say(&format!("  pages         {pages}"));
    ui::say(&format!("  people        {}", people.join("; ")));
    if !faults.is_empty() {
        ui::say(&format!("  faults        {}", faults.join(", ")));
    }
    if !c.latency.is_zero() {
        ui::say(&format!("  latency       {} ms", c.latency.as_millis()));
    }
    ui::say("Point pipi at it:");
    for (name, value) in [
        ("PIPI_BASE_URL", base.as_str()),
        ("PIPI_APP_ID", c.app_id.as_str()),
        ("PIPI_APP_SECRET", c.app_secret.as_str()),
        ("PIPI_REDIRECT_URL", c.redirect_url.as_str()),
    ] {
        ui::say_unmasked(&format!("  export {name}={}", shell_quote(value)));
    }
    ui::say("Requests:");
}

/// A value as one shell word: left alone when it is plainly safe, else single-quoted, so an
/// export line pastes as it reads (a redirect URL may hold `?` and `&`).
fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("'{}'", value.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn export_values_paste_as_one_word() {
        assert_eq!(
            shell_quote("http://127.0.0.1:8764"),
            "http://127.0.0.1:8764"
        );
        assert_eq!(
            shell_quote("http://h/cb?src=cli&x=1"),
            "'http://h/cb?src=cli&x=1'"
        );
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
