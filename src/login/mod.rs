//! The login flow: listen on the redirect URL (`callback`), send a browser to the site's
//! login page (`browser`, chosen for where pipi runs: `environment`), catch the one-time key
//! from the listener or from a paste on stdin (`paste`), whichever comes first, trade it for
//! a token, fetch the user info at once (the token may live only a minute), and only then
//! replace the cached token.
//!
//! The flow prints nothing and installs no signal handler: it tells its caller what happens
//! through [`Progress`], opens the browser with the caller's opener, and stops when the
//! caller's [`Cancel`] handle says so.

pub(crate) mod browser;
pub(crate) mod callback;
pub(crate) mod environment;
pub(crate) mod paste;

use crate::error::{self, Error, ErrorKind, Setting};
use crate::secret::Secret;
use crate::site::url::{self, RedirectUrl, SiteUrl};
use crate::site::{AppCheck, Client, Reads};
use crate::store::{CachedToken, TokenCache};
use callback::{Arrival, CallbackListener, KeyRoute, Uncatchable};
use paste::{Input, Pasted};
use serde_json::Value;
use std::fmt;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

pub use browser::{Browser, BrowserChoice};

use error::Result;

/// How many keys one login trades at most. A person's browser brings one, or a few after
/// reloading an old tab; dozens refused mean another program is sending them, and each
/// exchange sends the app secret to the site.
pub(crate) const MAX_EXCHANGES: usize = 32;

/// What can happen while waiting for the key.
enum Event {
    /// The browser came back to the listener with a key.
    Redirect(Arrival),
    /// Something from stdin.
    Pasted(Pasted),
    Interrupted,
    /// Whatever brought the browser to the login page failed for good.
    Failed(Error),
    /// The browser that was started failed soon after: the person is to open the URL.
    BrowserFailed(Error),
}

/// Why no browser is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoBrowser {
    /// The person said so (`--no-browser`): the URL is only shown.
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

/// What the login tells its caller as it goes, for the person watching: data, for the
/// caller to put in its own words, as the flow has none of its own.
/// [`Progress::is_warning`] tells the ones that report a problem the login got past.
#[derive(Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// The redirect URL cannot be caught by a listener here: the address must be pasted.
    Uncatchable {
        /// The app's redirect URL.
        redirect_url: &'a str,
        /// Why no listener can catch it: it is https (the browser will show an error page
        /// there), rather than an address on another machine.
        https: bool,
    },
    /// No browser is started, for this reason.
    NoBrowser(&'static str),
    /// The caller's opener could not start a browser.
    BrowserFailed(&'a Error),
    /// No browser was started: the person is to open this URL.
    OpenUrl(&'a str),
    /// The person is to paste the address the browser lands on, or the key: where from.
    PasteInstructions(PasteFrom<'a>),
    /// stdin is not a terminal: it is read for the address too.
    ReadingStdin,
    /// The wait begins.
    Waiting {
        /// What for.
        waiting_for: WaitingFor<'a>,
        /// For how long at most.
        timeout: Duration,
    },
    /// A pasted line held no key, for this reason; the wait goes on.
    PasteRejected(&'static str),
    /// A pasted line was too long to be an address; the wait goes on.
    PasteTooLong,
    /// This many more lines from stdin held no key since the last one reported: after the
    /// first few, bad pastes are reported at most once a second, and counted in between.
    PastesIgnored(u64),
    /// stdin ended; the listener still waits at this URL.
    StdinClosed(&'a str),
    /// The check of the app before the browser opens could not tell anything: the site
    /// answered in words the library does not read (a translated message), given here. The
    /// login goes on.
    AppNotChecked(&'a str),
    /// The wait goes on, for this (after a browser failed).
    StillWaiting(WaitingFor<'a>),
    /// The site refused a key (stale or replaced); the wait goes on for a fresh one.
    KeyRefused {
        /// The refusal.
        error: &'a Error,
        /// What is still waited for.
        waiting_for: WaitingFor<'a>,
    },
}

impl Progress<'_> {
    /// Whether this reports a problem (the login goes on).
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Progress::BrowserFailed(_)
                | Progress::PasteRejected(_)
                | Progress::PasteTooLong
                | Progress::PastesIgnored(_)
                | Progress::AppNotChecked(_)
                | Progress::KeyRefused { .. }
        )
    }
}

/// What a login waits for: the browser at the listener, a paste, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitingFor<'a> {
    /// The redirect URL the listener catches the browser at, if there is a listener.
    pub redirect_url: Option<&'a str>,
    /// Whether a pasted address or key is read from stdin too.
    pub paste: bool,
}

impl fmt::Display for WaitingFor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.redirect_url, self.paste) {
            (Some(url), false) => write!(f, "the browser to come back to {url}"),
            (Some(url), true) => write!(
                f,
                "the browser to come back to {url}, or for a pasted address or key"
            ),
            (None, _) => f.write_str("a pasted address or key"),
        }
    }
}

/// Where the address to paste is read from, for the caller to tell the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasteFrom<'a> {
    /// Any browser, on this machine or another: the address it was sent to starts with
    /// this redirect URL, which a listener here also waits at.
    AnyBrowser(&'a str),
    /// The browser's address bar: the redirect URL is https on this machine, so the page
    /// shows an error, and the address holds the key.
    ErrorPage,
    /// The page the browser lands on, on another machine: that page may use the key (which
    /// works once) before it is copied.
    AnotherSite,
}

/// Stops a login from another thread (a Ctrl-C handler, a UI's Cancel button). The wait
/// ends at once; during the key exchange, the login stops before anything is written.
#[derive(Clone, Default)]
pub struct Cancel {
    inner: Arc<CancelInner>,
}

#[derive(Default)]
struct CancelInner {
    cancelled: AtomicBool,
    wake: Mutex<Option<Sender<Event>>>,
}

impl Cancel {
    /// Asks the login to stop. Returns `true` if it had been asked already, so that a
    /// second request can be treated more firmly (such as ending the process).
    pub fn cancel(&self) -> bool {
        let again = self.inner.cancelled.swap(true, Ordering::SeqCst);
        let wake = self
            .inner
            .wake
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = wake.as_ref() {
            let _ = tx.send(Event::Interrupted);
        }
        again
    }

    fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    fn wake_with(&self, tx: Sender<Event>) {
        *self
            .inner
            .wake
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(tx);
    }
}

/// Lets a browser opener end the wait early, when it knows the browser will never come
/// back (a headless walker that failed, say), or fall back to showing the URL when the
/// browser it started failed.
#[derive(Clone)]
pub struct Abort(Sender<Event>);

impl Abort {
    /// Ends the login with `error`.
    pub fn fail(&self, error: Error) {
        let _ = self.0.send(Event::Failed(error));
    }

    /// Reports a browser that failed after it was started: the person is shown the URL
    /// (and asked for a paste where stdin may be read), and the wait goes on, as `gh auth
    /// login` does.
    pub fn browser_failed(&self, error: Error) {
        let _ = self.0.send(Event::BrowserFailed(error));
    }
}

/// The outcome of a login: the token as cached and the person's user info.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The token, its times, site and app, as written to the cache.
    pub token: CachedToken,
    /// The person's user info, entity-decoded, in the server's order.
    pub user: Value,
}

impl LoggedIn {
    /// The person's name as people read it: first and last name, and the handle.
    pub fn display_name(&self) -> String {
        crate::site::user::display_name(&self.user)
    }
}

type Opener<'a> = Box<dyn Fn(&str, Abort) -> error::Result<()> + 'a>;
type Observer<'a> = Box<dyn Fn(Progress<'_>) + 'a>;

/// A login through the browser, set up step by step and run with [`Login::run`].
///
/// ```no_run
/// # fn main() -> pipi::Result<()> {
/// use pipi::{Login, RedirectUrl, Secret, SiteUrl, TokenCache};
/// use std::time::Duration;
///
/// let cache = TokenCache::new(std::path::Path::new("/tmp/pipi-example"), "default");
/// let done = Login::new(
///     SiteUrl::new("https://pipichat.com")?,
///     "123",
///     Secret::new("0123456789abcdef0123456789abcdef"),
///     RedirectUrl::new("http://127.0.0.1:8765/callback")?,
/// )
/// .cache(cache)
/// .open_browser(|url, abort| pipi::choose_browser(&["BROWSER"], &[]).open(url, abort))
/// .on_progress(|step| eprintln!("{step:?}"))
/// .timeout(Duration::from_secs(120))
/// .run()?;
/// println!("logged in as {}", done.display_name());
/// # Ok(())
/// # }
/// ```
pub struct Login<'a> {
    base_url: SiteUrl,
    app_id: String,
    app_secret: Secret,
    redirect_url: RedirectUrl,
    timeout: Duration,
    http_timeout: Duration,
    token_ttl: Duration,
    cache: Option<TokenCache>,
    opener: Option<Opener<'a>>,
    no_browser: Option<NoBrowser>,
    paste: Paste,
    observer: Observer<'a>,
    cancel: Cancel,
    socket: Mutex<Option<TcpListener>>,
}

impl<'a> Login<'a> {
    /// A login on the site at `base_url` for the app `app_id` with its secret, whose
    /// registered redirect URL is `redirect_url`. By default it waits 5 minutes, gives each
    /// request 30 s, counts a token alive for 60 s (what Sngine enforces), caches nothing,
    /// starts no browser (the URL is shown through [`Progress::OpenUrl`]) and never reads
    /// stdin, which is the calling program's: [`Login::paste`] opts in.
    pub fn new(
        base_url: SiteUrl,
        app_id: &str,
        app_secret: Secret,
        redirect_url: RedirectUrl,
    ) -> Login<'a> {
        Login {
            base_url,
            app_id: app_id.to_string(),
            app_secret,
            redirect_url,
            timeout: Duration::from_secs(300),
            http_timeout: Duration::from_secs(30),
            token_ttl: Duration::from_secs(60),
            cache: None,
            opener: None,
            no_browser: None,
            paste: Paste::Never,
            observer: Box::new(|_| {}),
            cancel: Cancel::default(),
            socket: Mutex::new(None),
        }
    }

    /// Serves the redirect on this socket, already bound to the redirect URL's address,
    /// instead of binding it. For a caller that must know the port before the redirect URL
    /// exists (a test or a demo that registers it with an emulated site): binding a free
    /// port, letting it go and binding it again later would leave it to anyone meanwhile.
    pub fn listen_on(self, socket: TcpListener) -> Self {
        *self.socket.lock().unwrap_or_else(PoisonError::into_inner) = Some(socket);
        self
    }

    /// How long to wait for the browser to come back.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long each request to the site may take.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = timeout;
        self
    }

    /// How long a new token is counted alive.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Where the token goes once the login worked. The cache is written only then: a
    /// failed login leaves a working token in place.
    pub fn cache(mut self, cache: TokenCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Sends a browser to the login URL. An error means none could be started: the URL is
    /// then shown for the person to open, and stdin is read for the address.
    pub fn open_browser(mut self, opener: impl Fn(&str, Abort) -> error::Result<()> + 'a) -> Self {
        self.opener = Some(Box::new(opener));
        self
    }

    /// Starts no browser, for this reason; the URL is shown instead.
    pub fn no_browser(mut self, why: NoBrowser) -> Self {
        self.no_browser = Some(why);
        self
    }

    /// When to read a pasted address or key from stdin.
    pub fn paste(mut self, paste: Paste) -> Self {
        self.paste = paste;
        self
    }

    /// Hears what happens as the login goes.
    pub fn on_progress(mut self, observer: impl Fn(Progress<'_>) + 'a) -> Self {
        self.observer = Box::new(observer);
        self
    }

    /// A handle that stops this login from another thread.
    pub fn cancel_handle(&self) -> Cancel {
        self.cancel.clone()
    }

    fn say(&self, progress: Progress<'_>) {
        (self.observer)(progress);
    }

    /// Runs the whole flow; returns the token and the person's user info once both are in
    /// hand and, if a cache was given, written. A token the site sends that does not have a
    /// token's shape fails the login ([`ErrorKind::MalformedToken`]) before anything is
    /// written. Logins do not take turns by themselves: a program that may run several at
    /// once holds [`TokenCache::lock_login`] around its check of the cache and the login.
    pub fn run(self) -> Result<LoggedIn> {
        let client = Client::new(self.base_url.as_str(), self.http_timeout)?;
        let route = KeyRoute::from_redirect_url(self.redirect_url.as_str())?;
        let (tx, rx) = mpsc::channel();
        self.cancel.wake_with(tx.clone());
        self.stop_if_cancelled()?;
        let mut listener = self.bind(&route, &tx)?;
        // Everything but the key is checked now, so that a wrong setting shows in a moment
        // rather than after the person has approved, or never (an unknown app leaves the
        // browser on the site's error page).
        self.check_app(&client)?;
        self.stop_if_cancelled()?;
        let login_url = url::oauth_url(client.base_url(), &self.app_id);
        let mut wait = self.begin_wait(&route, listener.as_ref(), &login_url, &tx)?;
        loop {
            let (auth_key, browser) = match self.wait_for_key(&mut wait, &rx)? {
                WaitOutcome::Key(key, browser) => {
                    // A pasted key is masked in the listener's log records too.
                    if let (None, Some(listener)) = (&browser, &listener) {
                        listener.remember_key(&key);
                    }
                    (key, browser)
                }
                WaitOutcome::BrowserFailed(e) => {
                    self.browser_failed(&e, &mut wait, &route, &login_url, &tx);
                    continue;
                }
            };
            let pasted_past_a_page = browser.is_none()
                && matches!(
                    route,
                    KeyRoute::Paste {
                        why: Uncatchable::Elsewhere,
                        ..
                    }
                );
            wait.exchanges += 1;
            let outcome = self
                .complete(&client, &auth_key, pasted_past_a_page)
                // A cancel during the exchange stops the login before the cache is touched.
                .and_then(|done| self.stop_if_cancelled().map(|()| done));
            match outcome {
                Ok(done) => return self.finish(done, listener, browser, &rx, client.base_url()),
                Err(e) => self.key_failed(e, browser, &mut wait, &mut listener, &rx)?,
            }
        }
    }

    /// Fails with [`ErrorKind::Interrupted`] once the [`Cancel`] handle was used.
    fn stop_if_cancelled(&self) -> Result<()> {
        if self.cancel.is_cancelled() {
            return Err(interrupted());
        }
        Ok(())
    }

    /// Listens on the redirect URL when it can be caught here (on the socket the caller
    /// bound, if any); fails when the key could come back neither way.
    fn bind(&self, route: &KeyRoute, tx: &Sender<Event>) -> Result<Option<CallbackListener>> {
        let listener = match route {
            KeyRoute::Listen(target) => {
                let tx = tx.clone();
                let on_redirect = move |arrival: Arrival| {
                    let _ = tx.send(Event::Redirect(arrival));
                };
                let prebound = self
                    .socket
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                Some(CallbackListener::bind(
                    target.clone(),
                    prebound,
                    on_redirect,
                )?)
            }
            KeyRoute::Paste { .. } => None,
        };
        if listener.is_none() && self.paste == Paste::Never {
            return Err(error::failure(
                format!(
                    "nothing can bring the key back: the redirect URL {} cannot be caught here, and no paste is read",
                    self.redirect_url
                ),
                "register a redirect URL such as http://127.0.0.1:8765/callback for the app and use it",
            )
            .with_setting(Setting::RedirectUrl));
        }
        Ok(listener)
    }

    /// Sends the browser to the login page (or shows its URL), starts reading stdin when a
    /// paste is to be read, and says what the wait is for.
    fn begin_wait(
        &self,
        route: &KeyRoute,
        listener: Option<&CallbackListener>,
        login_url: &str,
        tx: &Sender<Event>,
    ) -> Result<WaitPlan> {
        if let KeyRoute::Paste { url, why } = route {
            self.say(Progress::Uncatchable {
                redirect_url: url,
                https: *why == Uncatchable::Https,
            });
        }
        let browser_started = self.start_browser(login_url, Abort(tx.clone()));
        let paste_needed = !browser_started || listener.is_none();
        let paste = self.paste.reads(paste_needed);
        let wait = WaitPlan {
            redirect_url: listener.map(|l| l.target().url.clone()),
            paste,
            timeout: self.timeout,
            deadline: Instant::now()
                .checked_add(self.timeout)
                .ok_or_else(|| error::failed("the timeout is too long"))?,
            paste_needed,
            stdin_open: paste,
            exchanges: 0,
            bad_pastes: BadPastes::default(),
        };
        if wait.paste {
            if paste_needed {
                self.say(Progress::PasteInstructions(paste_from(route)));
            } else {
                self.say(Progress::ReadingStdin);
            }
            paste::read_stdin(tx.clone(), Event::Pasted);
        }
        self.say(Progress::Waiting {
            waiting_for: wait.what(),
            timeout: self.timeout,
        });
        Ok(wait)
    }

    /// As `gh auth login` does when its browser fails: says so, shows the URL, and keeps
    /// waiting, now for a paste too, as if no browser had been started.
    fn browser_failed(
        &self,
        e: &Error,
        wait: &mut WaitPlan,
        route: &KeyRoute,
        login_url: &str,
        tx: &Sender<Event>,
    ) {
        self.say(Progress::BrowserFailed(e));
        self.say(Progress::OpenUrl(login_url));
        if !wait.paste_needed {
            wait.paste_needed = true;
            if self.paste.reads(true) && !wait.paste {
                wait.paste = true;
                wait.stdin_open = true;
                paste::read_stdin(tx.clone(), Event::Pasted);
            }
            if wait.paste && wait.stdin_open {
                self.say(Progress::PasteInstructions(paste_from(route)));
            }
        }
        self.say(Progress::StillWaiting(wait.what()));
    }

    /// The login worked: writes the cache, and answers the browser that brought the key
    /// and every one that came back meanwhile.
    fn finish(
        &self,
        mut done: LoggedIn,
        listener: Option<CallbackListener>,
        browser: Option<callback::Tab>,
        rx: &Receiver<Event>,
        base_url: &str,
    ) -> Result<LoggedIn> {
        // The key is in hand and used: nothing else is to be let in. Stopping the listener
        // first also closes what it was still reading, so that clients holding every
        // descriptor cannot keep the token from being written.
        drop(listener);
        if let Some(cache) = &self.cache {
            match cache.save_login(done.token.clone()) {
                Ok(token) => done.token = token,
                Err(e) => {
                    if let Some(browser) = browser {
                        browser.respond(
                            500,
                            "Login failed",
                            "pipi could not save the token. The terminal says why.",
                        );
                    }
                    return Err(e);
                }
            }
        }
        // Browsers that came back meanwhile are told the login is done.
        answer_the_rest(
            rx,
            409,
            "Already logged in",
            "pipi finished the login with another key. You can close this tab.",
        );
        if let Some(browser) = browser {
            browser.respond(
                200,
                "Logged in",
                &format!(
                    "pipi is now logged in as {} on {}. You can close this tab.",
                    done.display_name(),
                    url::site_label(base_url)
                ),
            );
        }
        Ok(done)
    }

    /// A key that did not give a login. A stale one (an old tab reloaded, or a second
    /// visit to the login page that replaced it) must not end the wait for the good one
    /// that may follow, unless keys keep being refused, as many as a login ever trades:
    /// those are not a person's. Anything else ends the login.
    fn key_failed(
        &self,
        e: Error,
        browser: Option<callback::Tab>,
        wait: &mut WaitPlan,
        listener: &mut Option<CallbackListener>,
        rx: &Receiver<Event>,
    ) -> Result<()> {
        let stale = e.refusal() == Some(&error::Refusal::InvalidAuthKey);
        if stale && wait.exchanges >= MAX_EXCHANGES {
            let flood = match (&browser, &wait.redirect_url) {
                (Some(_), Some(url)) => forged_keys(url),
                _ => error::failure(
                    format!(
                        "stopped after {MAX_EXCHANGES} keys the site refused, the last one pasted"
                    ),
                    "paste the address the browser was sent to after approving, once",
                ),
            };
            if let Some(browser) = browser {
                browser.respond(503, "Login stopped", FORGED_KEYS_PAGE);
            }
            drop(listener.take());
            answer_the_rest(rx, 503, "Login stopped", FORGED_KEYS_PAGE);
            return Err(e.under(flood));
        }
        if stale && Instant::now() < wait.deadline {
            // Off the login's thread: a client that holds its socket open must not hold up
            // the wait for the next key.
            if let Some(browser) = browser {
                browser.respond_in_background(
                    400,
                    "Key refused",
                    "The site refused this key: a key works once, and only the newest. \
                     pipi is still waiting for the browser to come back with a fresh one.",
                );
            }
            self.say(Progress::KeyRefused {
                error: &e,
                waiting_for: wait.what(),
            });
            return Ok(());
        }
        if let Some(browser) = browser {
            browser.respond(
                500,
                "Login failed",
                "pipi could not complete the login. The terminal says why.",
            );
        }
        Err(e)
    }

    /// Checks the site, the app and its secret with one refused exchange, and learns how the
    /// site reads the exchange; `None` when its answer could not be read.
    fn check_app(&self, client: &Client) -> Result<Option<Reads>> {
        let started = Instant::now();
        match client.check_app(&self.app_id, &self.app_secret)? {
            AppCheck::Fine(reads) => {
                log::debug!(
                    "the site, the app and its secret are right ({}ms); the exchange goes as {}",
                    started.elapsed().as_millis(),
                    match reads {
                        Reads::Form => "a form POST",
                        Reads::Query => "a GET, as this server reads only the query string",
                    }
                );
                Ok(Some(reads))
            }
            AppCheck::Unknown(said) => {
                self.say(Progress::AppNotChecked(&said));
                Ok(None)
            }
        }
    }

    /// Opens the browser unless told not to, and says what happened. Returns whether one
    /// was started; if not, the URL is shown.
    fn start_browser(&self, login_url: &str, abort: Abort) -> bool {
        let started = match (self.no_browser, &self.opener) {
            (Some(NoBrowser::Asked), _) | (None, None) => false,
            (Some(NoBrowser::Unusable(why)), _) => {
                self.say(Progress::NoBrowser(why));
                false
            }
            (None, Some(open)) => match open(login_url, abort) {
                Ok(()) => true,
                Err(e) => {
                    self.say(Progress::BrowserFailed(&e));
                    false
                }
            },
        };
        if !started {
            self.say(Progress::OpenUrl(login_url));
        }
        started
    }

    /// Waits for the key, from the listener or from stdin, whichever gives one first. Bad
    /// pastes are explained and the wait goes on; the listener answers bad requests itself.
    fn wait_for_key(&self, wait: &mut WaitPlan, rx: &Receiver<Event>) -> Result<WaitOutcome> {
        let outcome = loop {
            // Looked at before each event, so that a stream of them (junk on stdin, a flood
            // of requests) never holds off the deadline or the order to stop.
            if self.cancel.is_cancelled() {
                break Err(interrupted());
            }
            let left = wait.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Err(wait.timed_out());
            }
            let event = match rx.recv_timeout(left) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => break Err(wait.timed_out()),
                Err(RecvTimeoutError::Disconnected) => {
                    break Err(error::failed("the redirect listener stopped unexpectedly"));
                }
            };
            if let Some(outcome) = self.take_event(event, wait) {
                break outcome;
            }
        };
        wait.bad_pastes.flush(&self.observer);
        outcome
    }

    /// What one event means for the wait: its end, or `None` for going on.
    fn take_event(&self, event: Event, wait: &mut WaitPlan) -> Option<Result<WaitOutcome>> {
        let input = match event {
            Event::Redirect(arrival) => {
                // Taken: another key may wait in its place.
                drop(arrival.place);
                return Some(Ok(WaitOutcome::Key(arrival.key, Some(arrival.tab))));
            }
            Event::BrowserFailed(e) => return Some(Ok(WaitOutcome::BrowserFailed(e))),
            Event::Interrupted => return Some(Err(interrupted())),
            Event::Failed(e) => return Some(Err(e)),
            Event::Pasted(Pasted { input, .. }) => input,
        };
        match input {
            Input::Line(line) => match paste::parse(line.expose()) {
                Ok(key) => return Some(Ok(WaitOutcome::Key(key, None))),
                Err(why) => wait
                    .bad_pastes
                    .report(Progress::PasteRejected(why), &self.observer),
            },
            Input::TooLong => wait
                .bad_pastes
                .report(Progress::PasteTooLong, &self.observer),
            Input::Closed if wait.stdin_open => {
                wait.stdin_open = false;
                match &wait.redirect_url {
                    None => {
                        return Some(Err(error::hinted(
                            "stdin ended before an address or key was pasted",
                            "log in from a terminal and paste the address the browser was sent to",
                        )));
                    }
                    Some(url) if wait.paste_needed => self.say(Progress::StdinClosed(url)),
                    Some(_) => {}
                }
            }
            Input::Closed => {}
        }
        None
    }

    /// Trades the key for a token and fetches the user info. Nothing is written here: only
    /// once every step worked, so a failed login leaves a working token in place.
    fn complete(
        &self,
        client: &Client,
        auth_key: &Secret,
        pasted_past_a_page: bool,
    ) -> Result<LoggedIn> {
        let obtained_at = SystemTime::now();
        let token = client
            .exchange_auth_key(&self.app_id, &self.app_secret, auth_key)
            .map_err(|e| {
                explain_exchange_error(e, pasted_past_a_page)
                    .context("failed to exchange the auth key for a token")
            })?;
        let user_info = client.user_info(&token).map_err(|e| {
            refused_fresh_token(e).context("failed to fetch the user info with the new token")
        })?;
        let user = Value::Object(user_info.user);
        let base_url = client.base_url();
        // The cache keeps the times of the first login when the server hands back the token
        // it issued before (see `TokenCache::save_login`).
        let expires_at = obtained_at
            .checked_add(self.token_ttl)
            .unwrap_or_else(crate::store::rfc3339::latest);
        Ok(LoggedIn {
            token: CachedToken {
                access_token: token,
                obtained_at,
                expires_at,
                base_url: base_url.to_string(),
                app_id: self.app_id.clone(),
                user: Some(user.clone()),
            },
            user,
        })
    }
}

/// The page for the browsers still waiting when a flood of keys ended the login.
const FORGED_KEYS_PAGE: &str = "pipi stopped this login: the site refused too many keys sent to \
     this address, so another program on this machine is sending them. The terminal says more.";

/// The login ends because keys kept coming to the listener that the site refused.
fn forged_keys(redirect_url: &str) -> Error {
    Error::new(
        ErrorKind::ForgedKeys,
        format!(
            "stopped after {MAX_EXCHANGES} keys the site refused: another program on this machine is sending keys to {redirect_url}"
        ),
    )
}

/// Answers every browser that came back meanwhile, at once, and waits until the pages are
/// sent: the login is ending.
fn answer_the_rest(rx: &Receiver<Event>, status: u16, title: &'static str, page: &'static str) {
    let sending: Vec<_> = rx
        .try_iter()
        .filter_map(|event| match event {
            Event::Redirect(late) => late.tab.respond_in_background(status, title, page),
            _ => None,
        })
        .collect();
    for thread in sending {
        let _ = thread.join();
    }
}

fn interrupted() -> Error {
    Error::new(ErrorKind::Interrupted, "interrupted")
}

/// A duration for people, to the second: `42s`, `3m 5s`.
fn duration(d: Duration) -> String {
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

/// A token the site refuses a moment after issuing it is no matter of logging in again.
fn refused_fresh_token(err: Error) -> Error {
    if err.kind() != &ErrorKind::AuthNeeded {
        return err;
    }
    let message = err.server_message().unwrap_or_default().to_string();
    err.under(Error::new(
        ErrorKind::Failed,
        format!("the server refused the token it had just issued: {message}"),
    ))
}

/// Where the address to paste comes from, for this redirect URL.
fn paste_from(route: &KeyRoute) -> PasteFrom<'_> {
    match route {
        KeyRoute::Listen(target) => PasteFrom::AnyBrowser(&target.url),
        KeyRoute::Paste {
            why: Uncatchable::Https,
            ..
        } => PasteFrom::ErrorPage,
        KeyRoute::Paste {
            why: Uncatchable::Elsewhere,
            ..
        } => PasteFrom::AnotherSite,
    }
}

/// Bad pastes: the first [`BadPastes::FIRST`] are reported each, as a person's mistakes,
/// then at most one every [`BadPastes::EVERY`], the others counted in between: a stream of
/// junk on stdin (`yes |`) must not become a stream of warnings.
#[derive(Default)]
struct BadPastes {
    said: u64,
    last_said: Option<Instant>,
    unsaid: u64,
}

impl BadPastes {
    const FIRST: u64 = 5;
    const EVERY: Duration = Duration::from_secs(1);

    fn report(&mut self, progress: Progress<'_>, observer: &Observer<'_>) {
        let now = Instant::now();
        if self.said >= Self::FIRST
            && self
                .last_said
                .is_some_and(|said| now.duration_since(said) < Self::EVERY)
        {
            self.unsaid += 1;
            return;
        }
        self.flush(observer);
        observer(progress);
        self.said += 1;
        self.last_said = Some(now);
    }

    /// Says how many went unreported, if any.
    fn flush(&mut self, observer: &Observer<'_>) {
        if self.unsaid > 0 {
            observer(Progress::PastesIgnored(self.unsaid));
            self.unsaid = 0;
        }
    }
}

/// What ends a wait for the key.
enum WaitOutcome {
    /// The key, with the browser that brought it if it came to the listener.
    Key(Secret, Option<callback::Tab>),
    /// The browser that was started failed: the wait goes on once the URL is shown.
    BrowserFailed(Error),
}

/// The wait for the key: what it is for, to say it before and after, until when, and
/// what it has seen so far.
struct WaitPlan {
    /// The redirect URL the listener catches, if there is a listener.
    redirect_url: Option<String>,
    /// Whether stdin is read for a paste.
    paste: bool,
    timeout: Duration,
    deadline: Instant,
    /// Whether a paste is the only way the key can come (no browser, or no listener).
    paste_needed: bool,
    /// Whether stdin is still open, when it is read.
    stdin_open: bool,
    /// Keys traded so far.
    exchanges: usize,
    bad_pastes: BadPastes,
}

impl WaitPlan {
    /// What is waited for now: a paste no longer once stdin has ended.
    fn what(&self) -> WaitingFor<'_> {
        WaitingFor {
            redirect_url: self.redirect_url.as_deref(),
            paste: self.paste && self.stdin_open,
        }
    }

    /// The wait ended with no key.
    fn timed_out(&self) -> Error {
        let mut err = Error::new(
            ErrorKind::TimedOut,
            format!(
                "timed out after {} waiting for {}",
                duration(self.timeout),
                self.what()
            ),
        )
        .with_hint(self.timeout_hint());
        if self.redirect_url.is_some() {
            err = err.with_setting(Setting::RedirectUrl);
        }
        err
    }

    /// What to do after the wait timed out. The site, the app and its secret were checked
    /// before the browser opened; what no check can see is the redirect URL registered for
    /// the app, and a browser sent elsewhere never comes back.
    fn timeout_hint(&self) -> String {
        let Some(url) = &self.redirect_url else {
            return "log in again and paste the address the browser lands on after you approve, \
                    or give it longer"
                .to_string();
        };
        format!(
            "if the browser landed on another address after you approved, the redirect URL registered \
             for the app is not {url}: use the registered one, or log in without a browser and paste \
             that address; otherwise log in again and approve in the browser, or give it longer"
        )
    }
}

/// Adds the next step to the site's refusals of the exchange that have an obvious one. A
/// key pasted from a web app's page may have been used by that page first.
fn explain_exchange_error(err: Error, pasted_past_a_page: bool) -> Error {
    use error::Refusal;
    let Some(refusal) = err.refusal().cloned() else {
        return err;
    };
    let hint = match refusal {
        Refusal::InvalidAppSecret => "check the app secret",
        Refusal::InvalidAuthKey if pasted_past_a_page => {
            "a key works once, and the page at the redirect URL may have used it before it was \
             copied: copy the address before that page loads, or register an http://127.0.0.1 \
             redirect URL that pipi can catch"
        }
        Refusal::InvalidAuthKey => {
            "a key works once, and only the newest: approve in the browser again (the login page gives a fresh one)"
        }
        Refusal::InvalidAppId | Refusal::UnknownApp => "check the app id and the base URL",
        _ => return err,
    };
    let refused = Error::new(err.kind().clone(), "the site refused the login").with_hint(hint);
    let refused = match refusal {
        Refusal::InvalidAppSecret => refused.with_setting(Setting::AppSecret),
        Refusal::InvalidAppId | Refusal::UnknownApp => refused.with_setting(Setting::AppId),
        _ => refused,
    };
    err.under(refused)
}
