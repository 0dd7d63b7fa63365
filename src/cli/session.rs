//! What several commands share: the token to use and the site it belongs to, how a refusal
//! of it is explained, and a login run with the person's terminal.

use super::failure::{Failure, Result};
use super::output;
use super::redaction;
use super::settings::{Settings, Source};
use pipi::{
    BrowserChoice, CachedToken, Error, ErrorKind, LoggedIn, Login, Lookup, NoBrowser, Paste,
    Progress, Secret, TokenCache,
};
use std::io::IsTerminal;
use std::time::{Duration, SystemTime};

/// Authentication is needed (exit 4); the hint says how to log in on this profile.
pub fn auth_needed(message: impl Into<String>, profile: &str) -> Failure {
    Error::new(ErrorKind::AuthNeeded, message)
        .with_hint(login_hint(profile))
        .into()
}

/// The command that logs in on `profile`, as the person would type it.
pub fn login_hint(profile: &str) -> String {
    if profile == super::settings::DEFAULT_PROFILE {
        "run 'pipi login'".to_string()
    } else {
        format!("run 'pipi login --profile {profile}'")
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
    /// What a refusal of this token by the site means: log in again on this profile (exit
    /// 4), or, for `PIPI_ACCESS_TOKEN`, which wins over the cache, set another one.
    pub fn explain(&self, err: Error, profile: &str) -> Failure {
        if err.kind() != &ErrorKind::AuthNeeded {
            return err.into();
        }
        let said = err.server_message().unwrap_or_default().to_string();
        match self.cached {
            Some(_) => auth_needed(format!("the server refused the token: {said}"), profile),
            None => Error::new(
                ErrorKind::AuthNeeded,
                format!("the server refused the token in PIPI_ACCESS_TOKEN: {said}"),
            )
            .with_hint("unset PIPI_ACCESS_TOKEN to use the cached token, or set a fresh one")
            .into(),
        }
    }
}

pub fn token_cache(settings: &Settings) -> TokenCache {
    TokenCache::new(&settings.cache_dir, settings.profile())
}

/// The cached token, if there is a usable one; an unusable file is reported as a warning
/// and counts as none.
pub fn load_or_warn(cache: &TokenCache) -> Option<CachedToken> {
    found_or_warn(cache.load())
}

/// What a lookup found, its token masked on stderr from now on; an unusable file is
/// reported as a warning and counts as none.
fn found_or_warn(lookup: Lookup) -> Option<CachedToken> {
    match lookup {
        Lookup::Found(token) => Some(remembered(token)),
        Lookup::Missing => None,
        Lookup::Unusable(message) => {
            output::warn(&message);
            None
        }
    }
}

/// A token read from the cache, masked on stderr from now on.
fn remembered(cached: CachedToken) -> CachedToken {
    redaction::remember_token(&cached);
    cached
}

/// Whether a cached token is alive by the local clock: the one judgement that `status`,
/// `profiles` and the commands that send the token share, so that they never disagree on
/// a token with less than a second left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenState {
    Live {
        left: Duration,
    },
    Expired {
        ago: Duration,
    },
    /// Obtained, the cache says, this far in the future: the clock was set back since (by
    /// hand, or a virtual machine restored from a snapshot), so its time left cannot be
    /// told, and it counts as dead.
    DatedAhead {
        ahead: Duration,
    },
}

impl TokenState {
    pub fn of(cached: &CachedToken, now: SystemTime) -> TokenState {
        if let Some(ahead) = cached.dated_ahead(now) {
            return TokenState::DatedAhead { ahead };
        }
        match cached.time_left(now) {
            Some(left) => TokenState::Live { left },
            None => TokenState::Expired {
                ago: now.duration_since(cached.expires_at).unwrap_or_default(),
            },
        }
    }

    pub fn is_live(self) -> bool {
        matches!(self, TokenState::Live { .. })
    }

    /// Time left; zero unless alive.
    pub fn left(self) -> Duration {
        match self {
            TokenState::Live { left } => left,
            TokenState::Expired { .. } | TokenState::DatedAhead { .. } => Duration::ZERO,
        }
    }

    /// Why the token is not alive, in a few words; `None` when it is.
    pub fn why_dead(self) -> Option<String> {
        match self {
            TokenState::Live { .. } => None,
            TokenState::Expired { ago } => {
                Some(format!("the token expired {} ago", output::duration(ago)))
            }
            TokenState::DatedAhead { ahead } => Some(format!(
                "the token is dated {} in the future: the clock was set back since it was obtained, so its time left cannot be told",
                output::duration(ahead)
            )),
        }
    }
}

/// The token in `PIPI_ACCESS_TOKEN`, if it has a token's shape: a value with a newline, an
/// escape sequence or a NUL is neither printed nor handed to a command (exit 2).
pub fn env_token(settings: &Settings) -> Result<Option<&Secret>> {
    let Some(token) = &settings.env_token else {
        return Ok(None);
    };
    match pipi::check_token(token.expose()) {
        Ok(()) => Ok(Some(token)),
        Err(problem) => Err(super::exit::usage(
            format!("PIPI_ACCESS_TOKEN does not hold a token: {problem}"),
            "set it to the token alone (no spaces or newline), or unset it to use the cached token",
        )),
    }
}

/// `PIPI_ACCESS_TOKEN`, else the profile's cached token if the local clock says it is alive
/// and it belongs to the site in use. Never touches the network.
pub fn current_token(settings: &Settings) -> Result<CurrentToken> {
    let profile = settings.profile();
    if let Some(token) = env_token(settings)? {
        return Ok(CurrentToken {
            token: token.clone(),
            base_url: settings.base_url()?.to_string(),
            cached: None,
        });
    }
    // Only the token and its site are needed here, not the profile snapshot.
    let Some(cached) = found_or_warn(token_cache(settings).load_token()) else {
        return Err(auth_needed(
            format!("not logged in (profile '{profile}')"),
            profile,
        ));
    };
    let base_url = cached_site(settings, &cached)?;
    if let Some(why) = TokenState::of(&cached, SystemTime::now()).why_dead() {
        return Err(auth_needed(
            format!("not logged in (profile '{profile}'): {why}"),
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
/// explicitly, which must then be the same (a token is never sent to another site). The
/// cached site is checked as any base URL is (https unless on this machine, no query): the
/// file may have been tampered with, and the token would follow it.
pub fn cached_site(settings: &Settings, cached: &CachedToken) -> Result<String> {
    let profile = settings.profile();
    let site = pipi::normalize_base_url(&cached.base_url).map_err(|e| {
        auth_needed(
            format!("the token cache of profile '{profile}' names a site pipi does not send tokens to: {e}"),
            profile,
        )
    })?;
    if settings.base_url.source == Source::Default {
        return Ok(site);
    }
    let wanted = settings.base_url()?;
    if wanted != site {
        return Err(auth_needed(
            format!("the token of profile '{profile}' is for {site}, not {wanted}"),
            profile,
        ));
    }
    Ok(site)
}

/// A login set up from the settings: site, app, redirect URL, lifetimes and the profile's
/// cache, with its progress said on stderr.
pub fn login(settings: &Settings) -> Result<Login<'static>> {
    let base_url = settings.base_url()?;
    let (app_id, app_secret) = settings.app_credentials()?;
    Ok(Login::new(
        pipi::SiteUrl::new(base_url)?,
        app_id,
        app_secret,
        pipi::RedirectUrl::new(settings.redirect_url()?)?,
    )
    .http_timeout(settings.http_timeout)
    .token_ttl(settings.token_ttl.value)
    .cache(token_cache(settings))
    .on_progress(say_progress))
}

/// A login through the person's browser, as `pipi login` runs it: the browser chosen for
/// where pipi runs (none over SSH without a display), or none at all when asked, in which
/// case the URL is shown to open anywhere.
pub fn browser_login(
    settings: &Settings,
    timeout: Duration,
    no_browser: bool,
) -> Result<Login<'static>> {
    let login = login(settings)?.timeout(timeout);
    if no_browser {
        return Ok(login.no_browser(NoBrowser::Asked));
    }
    Ok(match browser() {
        BrowserChoice::Open(browser) => login.open_browser(move |url, abort| {
            output::say(&format!("Opening {url} in your browser."));
            browser.open(url, abort)
        }),
        BrowserChoice::Skip(why) => login.no_browser(NoBrowser::Unusable(why)),
    })
}

/// When a login reads a pasted address from stdin: when it is needed, at a terminal; always
/// when stdin is not one, since it may well carry the address (a script, `ssh host pipi
/// login`, a container without a terminal).
pub fn paste_from_stdin() -> Paste {
    if std::io::stdin().is_terminal() {
        Paste::WhenNeeded
    } else {
        Paste::Always
    }
}

/// How much longer than its own login's timeout a run waits for another's login to end:
/// that one may have started a little earlier, and saves its token after its wait.
const LOGIN_LOCK_MARGIN: Duration = Duration::from_secs(60);

/// Takes this profile's turn to log in: waits, saying so once, while another pipi logs in
/// on it, up to that login's `login_timeout` and a margin.
pub fn login_turn(settings: &Settings, login_timeout: Duration) -> Result<pipi::LoginLock> {
    let patience = login_timeout.saturating_add(LOGIN_LOCK_MARGIN);
    let turn = token_cache(settings).lock_login(patience, || {
        output::say(&format!(
            "Another pipi is logging in on profile '{}': waiting for it to finish.",
            settings.profile()
        ))
    })?;
    Ok(turn)
}

/// The longest a command waits for a cached token to die before logging in again: the
/// default `--min-left` (10 s) and the second of margin. A longer wait is not made
/// silently: it is refused, saying when a fresh token can be had.
pub const MAX_WAIT: Duration = Duration::from_secs(11);

/// A token that has at least `min_left` to live, for a command that needs one now:
/// `PIPI_ACCESS_TOKEN` as it is (its lifetime is unknown), else the cached token when it
/// lives long enough, without a single request, else a new one from `log_in`.
///
/// Logins of one profile take turns: the profile's login lock is held from the second look
/// at the cache to the end of the login, so that of several runs started at once with no
/// token, one logs in (one browser) and the others, once it is done, find its token. They
/// wait for the lock as [`login_turn`] does, for a login of `login_timeout`.
///
/// Within a token's lifetime the site hands back the same token, with its original date, to
/// every new login: a token with a few seconds left cannot be swapped for a longer-lived one
/// before it expires. So when the cached one is alive but too short-lived, this waits for it
/// to die, then logs in; when that wait would be longer than [`MAX_WAIT`], it says so and
/// stops instead.
pub fn live_token(
    settings: &Settings,
    min_left: Duration,
    login_timeout: Duration,
    log_in: impl FnOnce() -> Result<LoggedIn>,
) -> Result<CurrentToken> {
    if settings.env_token.is_some() {
        return current_token(settings);
    }
    check_min_left(min_left, settings.token_ttl.value)?;
    let profile = settings.profile();
    let cache = token_cache(settings);
    // A first look without the lock: a good token cached is the common case, and needs
    // neither a lock file nor a wait.
    let first = load_or_warn(&cache);
    if let Some(found) = long_enough(settings, first.as_ref(), min_left) {
        return Ok(found);
    }
    let _turn = login_turn(settings, login_timeout)?;
    // The second look, with the lock: the run that held it may have just logged in.
    let cached = if first.is_some() {
        load_or_warn(&cache)
    } else {
        // Missing before: only a login since can have put one there; no second warning
        // about a broken file.
        match cache.load() {
            pipi::Lookup::Found(token) => Some(remembered(token)),
            _ => None,
        }
    };
    if let Some(found) = long_enough(settings, cached.as_ref(), min_left) {
        log::debug!("another run logged in meanwhile: its token is used");
        return Ok(found);
    }
    let usable = cached.as_ref().filter(|c| cached_site(settings, c).is_ok());
    let state = usable.map(|c| TokenState::of(c, SystemTime::now()));
    wait_out_or_say_why(state, min_left, profile)?;
    let done = log_in()?;
    say_logged_in(&done, profile);
    check_new_token_lives(&done, min_left)?;
    Ok(CurrentToken {
        token: done.token.access_token.clone(),
        base_url: done.token.base_url.clone(),
        cached: Some(done.token),
    })
}

/// Refuses a `--min-left` that no token of this lifetime could meet (exit 2).
fn check_min_left(min_left: Duration, ttl: Duration) -> Result<()> {
    if min_left < ttl {
        return Ok(());
    }
    Err(super::exit::usage(
        format!(
            "--min-left {}s is not less than a token's lifetime ({}s, token-ttl): no token would ever do",
            min_left.as_secs(),
            ttl.as_secs()
        ),
        format!(
            "give a number of seconds below {}, such as 10",
            ttl.as_secs()
        ),
    ))
}

/// Before a login in place of the cached token (in `state`, if there is one for the site):
/// a token alive but too short-lived is waited out, since the site hands it back until it
/// expires, unless that takes longer than [`MAX_WAIT`]; otherwise says why pipi logs in.
fn wait_out_or_say_why(state: Option<TokenState>, min_left: Duration, profile: &str) -> Result<()> {
    match state {
        Some(TokenState::Live { left }) => {
            // A second past the local expiry: the site dated the token a moment before pipi
            // got it, so it is gone on the site's clock by then too.
            let wait = left + Duration::from_secs(1);
            if wait > MAX_WAIT {
                return Err(super::exit::hinted(
                    format!(
                        "the token of profile '{profile}' has {} left, less than the {} asked for, \
                         and the site hands back the same token until it expires",
                        output::duration(left),
                        output::duration(min_left)
                    ),
                    format!(
                        "run it again in {}, or with --min-left {} or less",
                        output::duration(wait),
                        left.as_secs()
                    ),
                ));
            }
            output::say(&format!(
                "The token of profile '{profile}' has {} left, less than {}; the site hands \
                 back the same token until it expires, so pipi waits {} and logs in again.",
                output::duration(left),
                output::duration(min_left),
                output::duration(wait)
            ));
            std::thread::sleep(wait);
        }
        Some(state) => {
            let why = state.why_dead().unwrap_or_default();
            output::say(&format!(
                "Not logged in (profile '{profile}'): {why}; logging in."
            ));
        }
        None => output::say(&format!("Not logged in (profile '{profile}'): logging in.")),
    }
    Ok(())
}

/// Refuses a new token that lives less than `min_left`: the site handed back one it had
/// issued before.
fn check_new_token_lives(done: &LoggedIn, min_left: Duration) -> Result<()> {
    let left = done.token.time_left(SystemTime::now()).unwrap_or_default();
    if left >= min_left {
        return Ok(());
    }
    Err(super::exit::hinted(
        format!(
            "the new token has only {} left, less than {}",
            output::duration(left),
            output::duration(min_left)
        ),
        format!(
            "the site handed back a token it had issued before; run it again in {}, or with a smaller --min-left",
            output::duration(Duration::from_secs(left.as_secs() + 1))
        ),
    ))
}

/// The cached token, when it is for the site in use and has at least `min_left` to live.
fn long_enough(
    settings: &Settings,
    cached: Option<&CachedToken>,
    min_left: Duration,
) -> Option<CurrentToken> {
    let cached = cached?;
    // The site checked and in its one spelling, as `current_token` gives it.
    let site = cached_site(settings, cached).ok()?;
    let left = cached.time_left(SystemTime::now())?;
    if left < min_left {
        return None;
    }
    log::debug!(
        "the cached token has {}s left, at least {}s: no login",
        left.as_secs(),
        min_left.as_secs()
    );
    Some(CurrentToken {
        token: cached.access_token.clone(),
        base_url: site,
        cached: Some(cached.clone()),
    })
}

/// A step of the login, on stderr: problems as warnings, with their hint.
pub fn say_progress(progress: Progress<'_>) {
    let said = super::progress::sentence(&progress);
    if progress.is_warning() {
        output::warn(&said);
        if let Progress::KeyRefused { error, .. } = &progress
            && let Some(hint) = error.hint()
        {
            output::hint(hint);
        }
    } else {
        output::say(&said);
    }
}

/// Runs a login with Ctrl-C wired to it: the first one stops the login (before anything
/// is written), a second one ends pipi at once (a request under way can take up to its
/// timeout).
pub fn run_login(login: Login<'_>) -> Result<LoggedIn> {
    let cancel = login.cancel_handle();
    let _interrupt = super::interrupt::subscribe(move |signal| {
        if cancel.cancel() {
            crate::cli::interrupt::exit_now(signal.exit_code());
        }
    });
    let done = login.run();
    if let Ok(done) = &done {
        redaction::remember_token(&done.token);
    }
    done.map_err(|e| match e.kind() {
        ErrorKind::ForgedKeys => e
            .with_hint(
                "find the program that connects to the redirect URL's port (ss -tnp or lsof -i \
                 shows it) and stop it, then run 'pipi login' again; or register another redirect \
                 URL for the app and set PIPI_REDIRECT_URL to it",
            )
            .into(),
        _ => e.into(),
    })
}

/// Says who logged in, where, and on which profile.
pub fn say_logged_in(done: &LoggedIn, profile: &str) {
    // The name is the server's: on one line, whatever it holds, so that nothing it
    // contains can rewrite this line, the one that tells the person who logged in.
    let mut line = format!(
        "Logged in as {} on {}",
        output::escape_untrusted(&done.display_name()),
        pipi::site_label(&done.token.base_url)
    );
    if profile != super::settings::DEFAULT_PROFILE {
        line.push_str(&format!(" (profile '{profile}')"));
    }
    output::say(&format!("{line}."));
}

/// The variables that name the browser's command line, first first.
const BROWSER_VARIABLES: &[&str] = &["PIPI_BROWSER", "BROWSER"];

/// Variables that hold pipi's secrets: a browser has no use for them, and its extensions,
/// crash reporters and child processes would all inherit them.
const SECRET_VARIABLES: &[&str] = &["PIPI_APP_SECRET", "PIPI_ACCESS_TOKEN"];

/// The browser chosen for this place, and how to say so in the debug log.
pub fn browser() -> BrowserChoice {
    let choice = pipi::choose_browser(BROWSER_VARIABLES, SECRET_VARIABLES);
    log::debug!("browser: {choice:?}");
    choice
}
