//! One module per subcommand; this one dispatches and holds what several of them share.

mod api;
mod completions;
mod config;
mod demo;
pub mod login;
mod logout;
mod man;
mod mock;
mod profiles;
mod status;
mod token;
pub mod whoami;

use crate::cache::{CachedToken, TokenCache};
use crate::cli::{Cli, Command};
use crate::error;
use crate::provider;
use crate::secret::Secret;
use crate::settings::{Flags, Locations, Settings, Source, process_env};
use anyhow::Result;
use std::process::ExitCode;
use std::time::SystemTime;

/// Runs a command. Settings are resolved only for the commands that use them: completions
/// and the man page need nothing, and `config` and `profiles` need only to know where the
/// files are, so that they work while a setting is broken (that is when they are needed).
pub fn run(cli: Cli) -> Result<ExitCode> {
    let flags = Flags {
        profile: cli.profile,
        base_url: cli.base_url,
    };
    match cli.command {
        Command::Completions(args) => completions::run(&args),
        Command::Man => man::run(),
        Command::Config(args) => config::run(&locations(&flags)?, &args),
        Command::Profiles(args) => profiles::run(&locations(&flags)?, &args),
        Command::Login(args) => login::run(&settings(&flags)?, &args),
        Command::Whoami(args) => whoami::run(&settings(&flags)?, &args),
        Command::Token => token::run(&settings(&flags)?),
        Command::Status(args) => status::run(&settings(&flags)?, &args),
        Command::Logout => logout::run(&locations(&flags)?),
        Command::Api(args) => api::run(&settings(&flags)?, &args),
        // The emulator commands stand apart from the person's settings and files.
        Command::Mock(args) => {
            stands_apart(&flags, "mock")?;
            mock::run(&args)
        }
        Command::Demo(args) => {
            stands_apart(&flags, "demo")?;
            demo::run(&args)
        }
    }
}

/// `pipi mock` is the site and `pipi demo` brings its own: a profile or a base URL given to
/// them would be ignored, so it is refused rather than silently dropped.
fn stands_apart(flags: &Flags, command: &str) -> Result<()> {
    let given: Vec<&str> = [
        flags.profile.as_ref().map(|_| "--profile"),
        flags.base_url.as_ref().map(|_| "--base-url"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(error::usage(
        format!("{} has no meaning for pipi {command}", given.join(" and ")),
        format!("pipi {command} uses its own emulated site and a throwaway profile; leave it out"),
    ))
}

fn settings(flags: &Flags) -> Result<Settings> {
    let settings = Settings::resolve(flags, &process_env)?;
    settings.log();
    Ok(settings)
}

fn locations(flags: &Flags) -> Result<Locations> {
    let locations = Locations::resolve(flags, &process_env)?;
    locations.log();
    Ok(locations)
}

/// What a token the server refuses (missing, unknown, expired) means, whichever endpoint
/// refused it: exit 4, with the way to a working token.
pub enum Refusal<'a> {
    /// A cached token: log in again on this profile.
    LogIn { profile: &'a str },
    /// `PIPI_ACCESS_TOKEN`, which wins over the cache, so logging in would not help.
    EnvToken,
    /// A token the site issued a moment ago: not a matter of logging in again (exit 1).
    Fresh,
}

impl Refusal<'_> {
    pub fn explain(&self, err: anyhow::Error) -> anyhow::Error {
        if !provider::refused_token(&err) {
            return err;
        }
        let message = provider::server_message(&err)
            .unwrap_or_default()
            .to_string();
        match self {
            Refusal::LogIn { profile } => {
                error::auth_needed(format!("the server refused the token: {message}"), profile)
            }
            Refusal::EnvToken => error::Classified {
                kind: error::Kind::AuthNeeded,
                message: format!("the server refused the token in PIPI_ACCESS_TOKEN: {message}"),
                hint: Some(
                    "unset PIPI_ACCESS_TOKEN to use the cached token, or set a fresh one".into(),
                ),
            }
            .into(),
            Refusal::Fresh => {
                anyhow::anyhow!("the server refused the token it had just issued: {message}")
            }
        }
    }
}

/// The token to use and the site it belongs to.
pub struct CurrentToken {
    pub token: Secret,
    pub base_url: String,
    /// `None` when it came from `PIPI_ACCESS_TOKEN`.
    pub cached: Option<CachedToken>,
}

impl CurrentToken {
    /// How a refusal of this token is explained.
    pub fn refusal<'a>(&self, profile: &'a str) -> Refusal<'a> {
        match self.cached {
            Some(_) => Refusal::LogIn { profile },
            None => Refusal::EnvToken,
        }
    }
}

pub fn token_cache(settings: &Settings) -> TokenCache {
    TokenCache::new(&settings.cache_dir, settings.profile())
}

/// `PIPI_ACCESS_TOKEN`, else the profile's cached token if the local clock says it is alive
/// and it belongs to the site in use. Never touches the network.
pub fn current_token(settings: &Settings) -> Result<CurrentToken> {
    let profile = settings.profile();
    if let Some(token) = &settings.env_token {
        return Ok(CurrentToken {
            token: token.clone(),
            base_url: settings.base_url()?,
            cached: None,
        });
    }
    let Some(cached) = token_cache(settings).load_or_warn() else {
        return Err(error::auth_needed(
            format!("not logged in (profile '{profile}')"),
            profile,
        ));
    };
    let base_url = cached_site(settings, &cached)?;
    let now = SystemTime::now();
    if cached.time_left(now).is_none() {
        let ago = now.duration_since(cached.expires_at).unwrap_or_default();
        return Err(error::auth_needed(
            format!(
                "the token of profile '{profile}' expired {} ago",
                crate::ui::duration(ago)
            ),
            profile,
        ));
    }
    Ok(CurrentToken {
        token: cached.access_token.clone(),
        base_url,
        cached: Some(cached),
    })
}

/// The site a cached token is used with: the one it came from, unless a base URL was given
/// explicitly, which must then be the same (a token is never sent to another site).
pub fn cached_site(settings: &Settings, cached: &CachedToken) -> Result<String> {
    if settings.base_url_raw.source == Source::Default {
        return Ok(cached.base_url.clone());
    }
    let wanted = settings.base_url()?;
    if wanted != cached.base_url {
        return Err(error::auth_needed(
            format!(
                "the token of profile '{}' is for {}, not {wanted}",
                settings.profile(),
                cached.base_url
            ),
            settings.profile(),
        ));
    }
    Ok(wanted)
}
