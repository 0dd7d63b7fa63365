//! `pipi demo`: the real login flow against an emulated site started in-process, with a
//! throwaway profile and directories, then the profile it yields on stdout. It never touches
//! the person's config or token cache.

use crate::cli::args::DemoArgs;
use crate::cli::exit::ExitCode;
use crate::cli::failure::{Context, Result};
use crate::cli::output as ui;
use crate::cli::session;
use crate::cli::settings::{Flags, Settings};
use pipi::emulator::{self, Emulator};
use pipi::{Abort, BrowserChoice, Cancel, Client, Error, ErrorKind, Paste};
use serde_json::Value;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

const DEMO_PROFILE: &str = "demo";

pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let scratch = tempfile::Builder::new()
        .prefix("pipi-demo-")
        .tempdir()
        .context("failed to create a temporary directory for the demo")?;
    let scratch_dir = scratch.path().display().to_string();
    // Held where a signal can reach it: pipi never exits while the directory exists.
    let scratch = Arc::new(Mutex::new(Some(scratch)));
    let (site, callback) = start_site()?;
    let settings = demo_settings(&site, &scratch_dir)?;

    let browser_started = Arc::new(AtomicBool::new(false));
    let login = session::login(&settings)?
        .timeout(Duration::from_secs(args.timeout))
        // The walker or the person's browser brings the key; stdin is not for the demo.
        .paste(Paste::Never)
        .listen_on(callback)
        .open_browser(browser_or_walker(
            args.no_browser,
            Arc::clone(&browser_started),
        ));
    let logged_in = Arc::new(AtomicBool::new(false));
    let _interrupt = clean_up_on_interrupt(
        login.cancel_handle(),
        Arc::clone(&scratch),
        Arc::clone(&logged_in),
    );
    let _hint = hint_when_the_browser_is_silent(browser_started, hint_delay());
    let done = login.run()?;
    crate::cli::redaction::remember_token(&done.token);
    logged_in.store(true, Ordering::SeqCst);
    session::say_logged_in(&done, DEMO_PROFILE);

    // What `pipi whoami` does: the cached token, then the profile, fresh from the site.
    let current = session::current_token(&settings)?;
    let client = Client::new(&current.base_url, settings.http_timeout)?;
    let profile = client
        .user_info(&current.token)
        .map_err(|e| current.explain(e, DEMO_PROFILE))?;
    ui::print_json(&Value::Object(profile.user))?;
    explain(&site);
    Ok(ExitCode::SUCCESS)
}

/// The emulated site, and the listener for the login's redirect. The listener is bound
/// first, on any free port, and handed to the login: the emulated site must know the
/// redirect URL before the login starts, and a port found free, let go and bound again
/// later could be taken by anyone in between.
fn start_site() -> Result<(Emulator, TcpListener)> {
    let callback = TcpListener::bind("127.0.0.1:0")
        .context("failed to listen for the demo's login redirect")?;
    let redirect_url = format!("http://{}/callback", callback.local_addr()?);
    let site = Emulator::start(
        emulator::Config {
            app_name: "pipi demo".to_string(),
            redirect_url: redirect_url.clone(),
            ..emulator::Config::default()
        },
        TcpListener::bind("127.0.0.1:0").context("failed to start the emulated site")?,
    )
    .context("failed to start the emulated site")?;
    ui::say(&format!(
        "pipi demo: an emulated Sngine site runs at {}, with app {} registered for {redirect_url}.",
        site.base_url(),
        site.config().app_id
    ));
    Ok((site, callback))
}

/// The demo's settings, resolved as anyone's are, from an environment of its own that
/// points at the emulated site and the scratch directory, and nothing else.
fn demo_settings(site: &Emulator, scratch_dir: &str) -> Result<Settings> {
    let config = site.config();
    let env: Vec<(&str, String)> = vec![
        ("PIPI_PROFILE", DEMO_PROFILE.to_string()),
        ("PIPI_BASE_URL", site.base_url()),
        ("PIPI_APP_ID", config.app_id.clone()),
        ("PIPI_APP_SECRET", config.app_secret.clone()),
        ("PIPI_REDIRECT_URL", config.redirect_url.clone()),
        ("PIPI_CONFIG_DIR", format!("{scratch_dir}/config")),
        ("PIPI_CACHE_DIR", format!("{scratch_dir}/cache")),
    ];
    let lookup = |name: &str| env.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
    Settings::resolve(&Flags::default(), &lookup)
}

/// How the demo's login reaches the site's pages: the person's browser, unless asked not
/// to or none can be seen (SSH without a display, a server), where `pipi login` would ask
/// for a paste; then, or when the browser fails, the built-in walker.
fn browser_or_walker(
    no_browser: bool,
    browser_started: Arc<AtomicBool>,
) -> impl Fn(&str, Abort) -> pipi::Result<()> + 'static {
    let choice = session::browser();
    move |url: &str, abort: Abort| -> pipi::Result<()> {
        match (&choice, no_browser) {
            (_, true) => {}
            (BrowserChoice::Skip(why), false) => ui::say(&format!("No browser is started: {why}.")),
            (BrowserChoice::Open(browser), false) => {
                ui::say(&format!("Opening {url} in your browser."));
                // A browser that fails soon after starting hands over to the walker too.
                let (walk_url, walk_abort) = (url.to_string(), abort.clone());
                let on_failure = move |e: Error| {
                    ui::say(&format!("The browser failed ({e})."));
                    ui::say("Walking the sign-in and consent pages with the built-in HTTP client.");
                    walk_in_background(walk_url, walk_abort);
                };
                match browser.start(url, on_failure) {
                    Ok(()) => {
                        browser_started.store(true, Ordering::SeqCst);
                        ui::say("Sign in and approve the app in the browser window.");
                        return Ok(());
                    }
                    Err(e) => ui::say(&format!("No browser could be opened ({e}).")),
                }
            }
        }
        ui::say("Walking the sign-in and consent pages with the built-in HTTP client.");
        walk_in_background(url.to_string(), abort);
        Ok(())
    }
}

/// The first Ctrl-C stops the login, which ends the demo the ordinary way, its directory
/// deleted on the way out. A second one, or one once the login is over (a request may
/// take its whole timeout), ends pipi at once, but only after deleting the directory.
fn clean_up_on_interrupt(
    cancel: Cancel,
    scratch: Arc<Mutex<Option<tempfile::TempDir>>>,
    logged_in: Arc<AtomicBool>,
) -> crate::cli::interrupt::Subscription {
    crate::cli::interrupt::subscribe(move |signal| {
        if cancel.cancel() || logged_in.load(Ordering::SeqCst) {
            crate::cli::interrupt::exit_after(signal.exit_code(), || {
                drop(
                    scratch
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .take(),
                );
            });
        }
    })
}

/// How long the browser may stay silent before the demo says what to try: 20 seconds, or
/// what `PIPI_DEMO_HINT_AFTER` says, so that a test can see the hint without waiting that
/// long. Not a flag: nobody else needs to change it.
fn hint_delay() -> Duration {
    let secs = crate::cli::settings::process_env("PIPI_DEMO_HINT_AFTER")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// A browser that cannot sign in (a text browser, `curl` in `BROWSER`) would leave the
/// person before a page that never moves on, so once it has been quiet for `after`, the
/// demo says what to try. The hint is dropped, unsaid, when the returned sender is: once
/// the login is over, whichever way it ended.
fn hint_when_the_browser_is_silent(
    browser_started: Arc<AtomicBool>,
    after: Duration,
) -> std::sync::mpsc::Sender<()> {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let quiet = matches!(
            wait.recv_timeout(after),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout)
        );
        if quiet && browser_started.load(Ordering::SeqCst) {
            ui::say(&format!(
                "The browser has not come back after {}. If it cannot sign in (a text browser, \
                 or a BROWSER that only fetches pages), press Ctrl-C and run: pipi demo --no-browser",
                ui::duration(after)
            ));
        }
    });
    done
}

/// The headless browser runs beside the login, which waits for it at the redirect URL; if
/// the walk fails, the browser will never come back, and the wait ends at once.
fn walk_in_background(url: String, abort: Abort) {
    std::thread::spawn(move || {
        if let Err(e) = emulator::walk(&url, None) {
            abort.fail(Error::new(
                ErrorKind::Failed,
                format!("the built-in browser failed: {e:#}"),
            ));
        }
    });
}

fn explain(site: &Emulator) {
    let c = site.config();
    let lines = [
        String::new(),
        "What just happened:".to_string(),
        format!(
            "  1. pipi listened on {} and sent a browser to {}.",
            c.redirect_url,
            site.oauth_url()
        ),
        "  2. The site signed the person in, asked for consent, and redirected to the".to_string(),
        "     redirect URL with a one-time auth_key.".to_string(),
        "  3. pipi traded the key for a token at /api/authorize (a form POST) and fetched"
            .to_string(),
        "     /api/get_user_info at once: Sngine tokens live 60 seconds.".to_string(),
        "  4. The token was cached in a throwaway directory (now deleted), and the profile"
            .to_string(),
        "     above came from the site with it, HTML entities decoded.".to_string(),
        String::new(),
        "To do the same against a real site:".to_string(),
        "  1. Register an app in the site's developers dashboard (on pipichat.com:".to_string(),
        "     https://pipichat.com), with the redirect URL http://127.0.0.1:8765/callback."
            .to_string(),
        "  2. export PIPI_APP_ID=<app id> PIPI_APP_SECRET=<app secret>".to_string(),
        "     (and PIPI_BASE_URL=https://your.site for another Sngine site)".to_string(),
        "  3. pipi login, then: pipi whoami | jq -r .user_name".to_string(),
        "To develop against a local site instead: pipi mock".to_string(),
    ];
    for line in lines {
        ui::say(&line);
    }
}
