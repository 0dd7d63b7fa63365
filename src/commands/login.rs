//! `pipi login`: the whole browser flow. Listen on the redirect URL, open the site's login
//! page (or ask the person to, anywhere), catch the one-time key from the listener or from a
//! paste on stdin, whichever comes first, trade it for a token, fetch the profile at once
//! (the token may live only a minute), and only then replace the cached token.

use crate::browser::{self, Choice};
use crate::cache::CachedToken;
use crate::callback::{self, CallbackListener, Catch, Caught, Uncatchable};
use crate::cli::LoginArgs;
use crate::environment::Environment;
use crate::error;
use crate::listener::Connection;
use crate::paste::{self, Input};
use crate::provider::{self, Provider};
use crate::secret::Secret;
use crate::settings::{Settings, process_env, site_label};
use crate::ui;
use anyhow::{Context, Result, anyhow};
use serde_json::Value;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

/// What can happen while waiting for the key.
enum Event {
    /// The browser came back to the listener with a key.
    Redirect(Caught),
    /// Something from stdin.
    Pasted(Input),
    Interrupted,
    /// Whatever brought the browser to the login page failed for good.
    Failed(anyhow::Error),
    /// The browser that was started failed soon after: the person is to open the URL.
    BrowserFailed(anyhow::Error),
}

pub fn run(settings: &Settings, args: &LoginArgs) -> Result<ExitCode> {
    let place = Environment::current();
    let (opener, no_browser) = if args.no_browser {
        (None, Some(NoBrowser::Asked))
    } else {
        let on_path = |program: &str| browser::on_path(&process_env, program);
        match browser::choose_for(&process_env, &place, &on_path) {
            Choice::Open(opener) => (Some(opener), None),
            Choice::Skip(why) => (None, Some(NoBrowser::Unusable(why))),
        }
    };
    crate::debug_log!("browser: {opener:?}, not started: {no_browser:?}");
    let open_browser = |url: &str, abort: Abort| match &opener {
        Some(opener) => {
            ui::say(&format!("Opening {url} in your browser."));
            browser::start(opener, url, move |outcome| {
                if let Err(e) = outcome {
                    abort.browser_failed(e);
                }
            })
        }
        None => Err(anyhow!("no browser is to be started")),
    };
    let options = Options {
        timeout: Duration::from_secs(args.timeout),
        open_browser: &open_browser,
        no_browser,
        paste: if place.stdin_is_terminal {
            Paste::WhenNeeded
        } else {
            Paste::Always
        },
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
    /// person is asked to open the URL by hand. It should not wait for the browser: the
    /// redirect is handled only once it returns. A browser that fails later is reported
    /// through [`Abort::browser_failed`], to the same end.
    pub open_browser: &'a dyn Fn(&str, Abort) -> Result<()>,
    /// Set when no browser should be started at all: the URL is printed instead.
    pub no_browser: Option<NoBrowser>,
    /// When to read a pasted address or key from stdin.
    pub paste: Paste,
}

impl<'a> Options<'a> {
    /// A login that opens the browser with `open_browser` and reads stdin only if it has to
    /// (the browser could not start, or the redirect cannot be caught here).
    pub fn new(
        timeout: Duration,
        open_browser: &'a dyn Fn(&str, Abort) -> Result<()>,
    ) -> Options<'a> {
        Options {
            timeout,
            open_browser,
            no_browser: None,
            paste: Paste::WhenNeeded,
        }
    }
}

/// Why no browser is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoBrowser {
    /// The person said so (`--no-browser`).
    Asked,
    /// None can work here; the reason, for one line.
    Unusable(&'static str),
}

/// When a pasted address or key is read from stdin, racing the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paste {
    /// Never: stdin is left alone.
    Never,
    /// When no browser was started, or the redirect cannot be caught here.
    WhenNeeded,
    /// In every case: for a stdin that is not a terminal, which may well carry the address
    /// (a script, a container without a terminal, `ssh host pipi login`).
    Always,
}

impl Paste {
    /// Whether stdin is read, given whether a paste is the only way the key can come.
    fn reads(self, needed: bool) -> bool {
        match self {
            Paste::Never => false,
            Paste::WhenNeeded => needed,
            Paste::Always => true,
        }
    }
}

/// Runs the whole flow and returns the logged-in person's profile, entity-decoded, once the
/// token and profile are cached.
pub fn perform(settings: &Settings, options: &Options) -> Result<Value> {
    let base_url = settings.base_url()?;
    let (app_id, app_secret) = settings.app_credentials()?;
    let catch = Catch::from_redirect_url(&settings.redirect_url.value)?;

    let (tx, rx) = mpsc::channel();
    // From here on, Ctrl-C ends the wait, or stops the login before anything is written; a
    // second Ctrl-C ends pipi at once (a request under way can take up to its timeout).
    let stopping = Arc::new(AtomicBool::new(false));
    let _interrupt = {
        let (tx, stopping) = (tx.clone(), Arc::clone(&stopping));
        crate::interrupt::subscribe(move || {
            if stopping.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(error::Kind::Interrupted.exit_code()));
            }
            let _ = tx.send(Event::Interrupted);
        })
    };
    let listener = match &catch {
        Catch::Listen(target) => {
            let tx = tx.clone();
            let on_redirect = move |caught| {
                let _ = tx.send(Event::Redirect(caught));
            };
            Some(CallbackListener::bind(target.clone(), on_redirect)?)
        }
        Catch::Paste { .. } => None,
    };
    if listener.is_none() && options.paste == Paste::Never {
        return Err(error::hinted(
            format!(
                "nothing can bring the key back: the redirect URL {} cannot be caught here, and no paste is read",
                settings.redirect_url.value
            ),
            "register a redirect URL such as http://127.0.0.1:8765/callback for the app and set PIPI_REDIRECT_URL to it",
        ));
    }
    // Set up before the browser is sent anywhere, so that a client that cannot be built
    // never wastes a key the person approved.
    let provider = Provider::new(&base_url, settings.http_timeout)?;
    let login_url = provider::oauth_url(&base_url, app_id);
    if let Catch::Paste { url, why } = &catch {
        ui::say(&why.explain(url));
    }
    let browser_started = start_browser(options, &login_url, Abort(tx.clone()));
    let mut paste_needed = !browser_started || listener.is_none();
    let mut waiting = Waiting {
        redirect_url: listener.as_ref().map(|l| l.target().url.clone()),
        paste: options.paste.reads(paste_needed),
        timeout: options.timeout,
    };
    if waiting.paste {
        if paste_needed {
            ui::say(&paste_instructions(&catch));
        } else {
            ui::say("stdin is not a terminal: the address or key is also taken from it.");
        }
        paste::read_stdin(tx.clone(), Event::Pasted);
    }
    ui::say(&waiting.describe());

    let deadline = Instant::now()
        .checked_add(options.timeout)
        .ok_or_else(|| anyhow!("the timeout is too long"))?;
    let mut stdin_open = waiting.paste;
    loop {
        let (auth_key, browser) =
            match wait_for_key(&waiting, paste_needed, &mut stdin_open, &rx, deadline)? {
                Waited::Key(key, browser) => (key, browser),
                // As `gh auth login` does when its browser fails: say so, show the URL, and
                // keep waiting, now for a paste too, as if no browser had been started.
                Waited::BrowserFailed(e) => {
                    ui::warn(&format!("could not open a browser: {e:#}"));
                    ui::say(&format!("Open this URL to log in: {login_url}"));
                    if !paste_needed {
                        paste_needed = true;
                        if options.paste.reads(true) && !waiting.paste {
                            waiting.paste = true;
                            stdin_open = true;
                            paste::read_stdin(tx.clone(), Event::Pasted);
                        }
                        if waiting.paste && stdin_open {
                            ui::say(&paste_instructions(&catch));
                        }
                    }
                    ui::say(&format!("Still waiting for {}.", waiting.what(stdin_open)));
                    continue;
                }
            };
        let pasted_past_a_page = browser.is_none()
            && matches!(
                catch,
                Catch::Paste {
                    why: Uncatchable::Elsewhere,
                    ..
                }
            );
        let outcome = complete(
            settings,
            &provider,
            &base_url,
            app_id,
            app_secret,
            &auth_key,
            pasted_past_a_page,
        )
        .and_then(|done| {
            // A Ctrl-C during the exchange stops the login before the cache is touched.
            if stopping.load(Ordering::SeqCst) {
                Err(error::interrupted())
            } else {
                Ok(done)
            }
        });
        match outcome {
            Ok((user, entry)) => {
                if let Err(e) = super::token_cache(settings).store(&entry) {
                    if let Some(browser) = browser {
                        callback::respond(
                            browser,
                            500,
                            "Login failed",
                            "pipi could not save the token. The terminal says why.",
                        );
                    }
                    return Err(e);
                }
                // The key is in hand and used: nothing else is to be let in, and browsers
                // that came back meanwhile are told the login is done.
                drop(listener);
                while let Ok(event) = rx.try_recv() {
                    if let Event::Redirect(late) = event {
                        callback::respond(
                            late.browser,
                            409,
                            "Already logged in",
                            "pipi finished the login with another key. You can close this tab.",
                        );
                    }
                }
                let name = crate::user::display_name(&user);
                if let Some(browser) = browser {
                    callback::respond(
                        browser,
                        200,
                        "Logged in",
                        &format!(
                            "pipi is now logged in as {name} on {}. You can close this tab.",
                            site_label(&base_url)
                        ),
                    );
                }
                let mut line = format!("Logged in as {name} on {}", site_label(&base_url));
                if settings.profile() != crate::settings::DEFAULT_PROFILE {
                    line.push_str(&format!(" (profile '{}')", settings.profile()));
                }
                ui::say(&format!("{line}."));
                return Ok(user);
            }
            // A stale key (an old tab reloaded, or a second visit to the login page that
            // replaced it) must not end the wait for the good one that may follow.
            Err(e) if refused_key(&e) && Instant::now() < deadline => {
                if let Some(browser) = browser {
                    callback::respond(
                        browser,
                        400,
                        "Key refused",
                        "The site refused this key: a key works once, and only the newest. \
                         pipi is still waiting for the browser to come back with a fresh one.",
                    );
                }
                ui::warn(&format!(
                    "{e:#}; still waiting for {}",
                    waiting.what(stdin_open)
                ));
                if let Some(hint) = error::classification(&e).and_then(|c| c.hint.as_deref()) {
                    ui::hint(hint);
                }
            }
            Err(e) => {
                if let Some(browser) = browser {
                    callback::respond(
                        browser,
                        500,
                        "Login failed",
                        "pipi could not complete the login. The terminal says why.",
                    );
                }
                return Err(e);
            }
        }
    }
}

/// Whether the site refused the auth key itself (unknown, used, or replaced by a newer one).
fn refused_key(err: &anyhow::Error) -> bool {
    provider::server_message(err).is_some_and(|m| m.to_ascii_lowercase().contains("auth_key"))
}

/// Lets whatever brings the browser to the login page end the wait early, when it knows the
/// browser will never come back (the built-in walker failed), or fall back to the URL on the
/// terminal when the browser it started failed.
#[derive(Clone)]
pub struct Abort(Sender<Event>);

impl Abort {
    /// Ends the login with `err`.
    pub fn fail(&self, err: anyhow::Error) {
        let _ = self.0.send(Event::Failed(err));
    }

    /// Reports a browser that failed after it was started: the person is shown the URL and
    /// the wait goes on.
    pub fn browser_failed(&self, err: anyhow::Error) {
        let _ = self.0.send(Event::BrowserFailed(err));
    }
}

/// Opens the browser unless told not to, and says what happened. Returns whether one was
/// started; if not, the URL is on the terminal.
fn start_browser(options: &Options, login_url: &str, abort: Abort) -> bool {
    match options.no_browser {
        Some(NoBrowser::Asked) => {}
        Some(NoBrowser::Unusable(why)) => ui::say(&format!("No browser is started: {why}.")),
        None => match (options.open_browser)(login_url, abort) {
            Ok(()) => return true,
            Err(e) => ui::warn(&format!("could not open a browser: {e:#}")),
        },
    }
    ui::say(&format!("Open this URL to log in: {login_url}"));
    false
}

/// What to paste, and from where, for this redirect URL.
fn paste_instructions(catch: &Catch) -> String {
    match catch {
        Catch::Listen(target) => format!(
            "Any browser will do, on this machine or another (a laptop, a phone).\n\
             After you approve, paste here the address it was sent to (it starts with {} and ends with auth_key= and the key; even \
             if that page does not load) or just the key, and press Enter.",
            target.url
        ),
        Catch::Paste {
            why: Uncatchable::Https,
            ..
        } => "After you approve, copy the address from the browser's address bar (it contains \
              auth_key=), paste it here (or just the key) and press Enter."
            .to_string(),
        Catch::Paste {
            why: Uncatchable::Elsewhere,
            ..
        } => "After you approve, copy the address the browser lands on (it contains auth_key=), \
              paste it here (or just the key) and press Enter. Copy it before that page can use \
              the key: a key works once."
            .to_string(),
    }
}

/// What the wait is for, to say it before and after.
struct Waiting {
    /// The redirect URL the listener catches, if there is a listener.
    redirect_url: Option<String>,
    /// Whether stdin is read for a paste.
    paste: bool,
    timeout: Duration,
}

impl Waiting {
    /// What is waited for; `stdin_open` is false once stdin has ended.
    fn what(&self, stdin_open: bool) -> String {
        match (&self.redirect_url, self.paste && stdin_open) {
            (Some(url), false) => format!("the browser to come back to {url}"),
            (Some(url), true) => {
                format!("the browser to come back to {url}, or for a pasted address or key")
            }
            (None, _) => "a pasted address or key".to_string(),
        }
    }

    fn describe(&self) -> String {
        let how_long = ui::duration(self.timeout);
        match (&self.redirect_url, self.paste) {
            (Some(url), false) => format!(
                "Waiting up to {how_long} for the site to send the browser back to {url} (Ctrl-C to stop)..."
            ),
            _ => format!(
                "Waiting up to {how_long} for {} (Ctrl-C to stop)...",
                self.what(true)
            ),
        }
    }
}

/// What ends a wait for the key.
enum Waited {
    /// The key, with the browser that brought it if it came to the listener.
    Key(Secret, Option<Connection>),
    /// The browser that was started failed: the wait goes on once the URL is shown.
    BrowserFailed(anyhow::Error),
}

/// Waits for the key, from the listener or from stdin, whichever gives one first. Bad
/// pastes are explained and the wait goes on; the listener answers bad requests itself.
fn wait_for_key(
    waiting: &Waiting,
    paste_needed: bool,
    stdin_open: &mut bool,
    rx: &Receiver<Event>,
    deadline: Instant,
) -> Result<Waited> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Event::Redirect(caught)) => {
                return Ok(Waited::Key(caught.key, Some(caught.browser)));
            }
            Ok(Event::BrowserFailed(e)) => return Ok(Waited::BrowserFailed(e)),
            Ok(Event::Pasted(Input::Line(line))) => match paste::parse(line.expose()) {
                Ok(key) => return Ok(Waited::Key(key, None)),
                Err(why) => ui::warn(&format!("{why}; paste the address or the key again")),
            },
            Ok(Event::Pasted(Input::TooLong)) => {
                ui::warn("that line is too long to be an address or a key; paste it again")
            }
            Ok(Event::Pasted(Input::Closed)) if *stdin_open => {
                *stdin_open = false;
                match &waiting.redirect_url {
                    None => {
                        return Err(error::hinted(
                            "stdin ended before an address or key was pasted",
                            "run 'pipi login' in a terminal and paste the address the browser was sent to",
                        ));
                    }
                    Some(url) if paste_needed => ui::say(&format!(
                        "stdin is closed; still waiting for the browser to come back to {url}."
                    )),
                    Some(_) => {}
                }
            }
            Ok(Event::Pasted(Input::Closed)) => {}
            Ok(Event::Interrupted) => return Err(error::interrupted()),
            Ok(Event::Failed(e)) => return Err(e),
            Err(RecvTimeoutError::Timeout) => {
                return Err(error::hinted(
                    format!(
                        "timed out after {} waiting for {}",
                        ui::duration(waiting.timeout),
                        waiting.what(*stdin_open)
                    ),
                    if waiting.paste {
                        "run 'pipi login' again and approve in the browser, or give it longer with --timeout SECS"
                    } else {
                        "run 'pipi login' again and approve in the browser (with --no-browser, in any browser \
                         on any machine), or give it longer with --timeout SECS"
                    },
                ));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(anyhow!("the redirect listener stopped unexpectedly"));
            }
        }
    }
}

/// Trades the key for a token and fetches the profile; returns the profile and the cache
/// entry to write. Nothing is written here: only once every step worked, so a failed login
/// leaves a working token in place.
fn complete(
    settings: &Settings,
    provider: &Provider,
    base_url: &str,
    app_id: &str,
    app_secret: &Secret,
    auth_key: &Secret,
    pasted_past_a_page: bool,
) -> Result<(Value, CachedToken)> {
    let obtained_at = SystemTime::now();
    let token = provider
        .exchange_auth_key(app_id, app_secret, auth_key)
        .map_err(|e| explain_exchange_error(e, pasted_past_a_page))
        .context("failed to exchange the auth key for a token")?;
    let (_, user) = super::whoami::fetch(provider, &token, &super::Refusal::Fresh)
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
        _ => (
            obtained_at,
            obtained_at
                .checked_add(ttl)
                .unwrap_or_else(crate::cache::rfc3339::latest),
        ),
    };
    let entry = CachedToken {
        access_token: token,
        obtained_at,
        expires_at,
        base_url: base_url.to_string(),
        app_id: app_id.to_string(),
        user: Some(user.clone()),
    };
    Ok((user, entry))
}

/// Adds the next step to the server's refusals that have an obvious one. A key pasted from
/// a web app's page may have been used by that page first.
fn explain_exchange_error(err: anyhow::Error, pasted_past_a_page: bool) -> anyhow::Error {
    let Some(message) = provider::server_message(&err).map(str::to_string) else {
        return err;
    };
    let lower = message.to_ascii_lowercase();
    let hint = if lower.contains("app_secret") {
        "check the app secret (PIPI_APP_SECRET, or app-secret in the config file)"
    } else if lower.contains("auth_key") && pasted_past_a_page {
        "a key works once, and the page at the redirect URL may have used it before it was \
         copied: copy the address before that page loads, or register an http://127.0.0.1 \
         redirect URL that pipi can catch"
    } else if lower.contains("auth_key") {
        "a key works once, and only the newest: approve in the browser again (the login page gives a fresh one)"
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
