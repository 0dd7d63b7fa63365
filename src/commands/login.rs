//! `pipi login`: the whole browser flow. Listen on the redirect URL, open the site's login
//! page, catch the one-time key, trade it for a token, fetch the profile at once (the token
//! may live only a minute), and only then replace the cached token.

use crate::browser;
use crate::cache::CachedToken;
use crate::callback::{self, CallbackListener, RedirectTarget, Verdict};
use crate::cli::LoginArgs;
use crate::error;
use crate::provider::{self, Provider};
use crate::secret::Secret;
use crate::settings::{Settings, process_env, site_label};
use crate::ui;
use anyhow::{Context, Result, anyhow};
use serde_json::Value;
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

/// What can happen while waiting for the browser.
enum Event {
    Request(tiny_http::Request),
    Interrupted,
}

pub fn run(settings: &Settings, args: &LoginArgs) -> Result<ExitCode> {
    let opener = browser::choose(&process_env);
    crate::debug_log!("browser: {opener:?}");
    let options = Options {
        timeout: Duration::from_secs(args.timeout),
        open_browser: &|url| browser::open(&opener, url),
    };
    let user = perform(settings, &options)?;
    if args.json {
        ui::print_json(&user)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// How a login runs.
pub struct Options<'a> {
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
    /// Sends a browser to the login URL; an error means none could be started, and the
    /// person is asked to open the URL by hand.
    pub open_browser: &'a dyn Fn(&str) -> Result<()>,
}

/// Runs the whole flow and returns the logged-in person's profile, entity-decoded, once the
/// token and profile are cached.
pub fn perform(settings: &Settings, options: &Options) -> Result<Value> {
    let base_url = settings.base_url()?;
    let (app_id, app_secret) = settings.app_credentials()?;
    let target = RedirectTarget::parse(&settings.redirect_url.value)?;
    let provider = Provider::new(&base_url, settings.http_timeout)?;

    let listener = CallbackListener::bind(target)?;
    crate::debug_log!("listener: waiting for GET {}", listener.target().url);
    let (tx, rx) = mpsc::channel();
    listener.forward(tx.clone(), Event::Request);
    ctrlc::set_handler(move || {
        let _ = tx.send(Event::Interrupted);
    })
    .context("failed to set up the Ctrl-C handler")?;

    let login_url = provider::oauth_url(&base_url, app_id);
    ui::say(&format!("Opening {login_url} in your browser."));
    if let Err(e) = (options.open_browser)(&login_url) {
        ui::warn(&format!("could not open a browser: {e:#}"));
        ui::say(&format!("Open this URL to log in: {login_url}"));
    }
    ui::say(&format!(
        "Waiting up to {} for the site to send the browser back to {} (Ctrl-C to stop)...",
        ui::duration(options.timeout),
        listener.target().url
    ));

    let deadline = Instant::now() + options.timeout;
    let (auth_key, request) = wait_for_key(&listener, &rx, deadline, options.timeout)?;
    drop(listener);

    match complete(
        settings, &provider, &base_url, app_id, app_secret, &auth_key,
    ) {
        Ok(user) => {
            let name = crate::user::display_name(&user);
            callback::respond(
                request,
                200,
                "Logged in",
                &format!(
                    "pipi is now logged in as {name} on {}. You can close this tab.",
                    site_label(&base_url)
                ),
            );
            let mut line = format!("Logged in as {name} on {}", site_label(&base_url));
            if settings.profile() != crate::settings::DEFAULT_PROFILE {
                line.push_str(&format!(" (profile '{}')", settings.profile()));
            }
            ui::say(&format!("{line}."));
            Ok(user)
        }
        Err(e) => {
            callback::respond(
                request,
                500,
                "Login failed",
                "pipi could not complete the login. The terminal says why.",
            );
            Err(e)
        }
    }
}

/// Waits for the redirect, answering and ignoring every request that is not it.
fn wait_for_key(
    listener: &CallbackListener,
    rx: &Receiver<Event>,
    deadline: Instant,
    timeout: Duration,
) -> Result<(Secret, tiny_http::Request)> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Event::Request(req)) => match listener.inspect(&req) {
                Verdict::Key(key) => {
                    crate::debug_log!("listener: the redirect: {} {}", req.method(), req.url());
                    return Ok((key, req));
                }
                Verdict::Reject { status, message } => {
                    crate::debug_log!(
                        "listener: answered {status}: {} {}",
                        req.method(),
                        req.url()
                    );
                    callback::respond(req, status, "Not the login redirect", message)
                }
            },
            Ok(Event::Interrupted) => return Err(error::interrupted()),
            Err(RecvTimeoutError::Timeout) => {
                return Err(error::hinted(
                    format!(
                        "timed out after {} waiting for the browser to come back to {}",
                        ui::duration(timeout),
                        listener.target().url
                    ),
                    "run 'pipi login' again and approve in the browser, or give it longer with --timeout SECS",
                ));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(anyhow!("the redirect listener stopped unexpectedly"));
            }
        }
    }
}

/// Trades the key for a token, fetches the profile and caches both. Nothing is written
/// unless every step worked, so a failed login leaves a working token in place.
fn complete(
    settings: &Settings,
    provider: &Provider,
    base_url: &str,
    app_id: &str,
    app_secret: &Secret,
    auth_key: &Secret,
) -> Result<Value> {
    let obtained_at = SystemTime::now();
    let token = provider
        .exchange_auth_key(app_id, app_secret, auth_key)
        .map_err(explain_exchange_error)
        .context("failed to exchange the auth key for a token")?;
    let (_, user) = super::whoami::fetch(provider, &token, settings.profile())
        .context("failed to fetch the profile with the new token")?;
    let user = Value::Object(crate::user::decode(user));

    let cache = super::token_cache(settings);
    let ttl = settings.token_ttl.value;
    // Within its minute the server hands back the token it issued before, with its old date:
    // keep the times of the first login rather than extend its life.
    let (obtained_at, expires_at) = match cache.load() {
        crate::cache::Lookup::Found(old)
            if old.access_token == token && old.base_url == base_url && old.app_id == app_id =>
        {
            (old.obtained_at, old.expires_at)
        }
        _ => (obtained_at, obtained_at + ttl),
    };
    cache.store(&CachedToken {
        access_token: token,
        obtained_at,
        expires_at,
        base_url: base_url.to_string(),
        app_id: app_id.to_string(),
        user: Some(user.clone()),
    })?;
    Ok(user)
}

/// Adds the next step to the server's refusals that have an obvious one.
fn explain_exchange_error(err: anyhow::Error) -> anyhow::Error {
    let Some(message) = provider::server_message(&err).map(str::to_string) else {
        return err;
    };
    let lower = message.to_ascii_lowercase();
    let hint = if lower.contains("app_secret") {
        "check the app secret (PIPI_APP_SECRET, or app-secret in the config file)"
    } else if lower.contains("auth_key") {
        "a key works once, and only the newest; run 'pipi login' again"
    } else if lower.contains("application") || lower.contains("app_id") {
        "check the app id (PIPI_APP_ID, or app-id in the config file) and the base URL"
    } else {
        return err;
    };
    err.context(error::Classified {
        kind: error::Kind::Failure,
        message: "the site refused the login".to_string(),
        hint: Some(hint.to_string()),
    })
}
