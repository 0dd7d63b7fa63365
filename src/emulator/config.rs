//! What an emulated site is: its registered apps, its people, its clock and its faults.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::faults::Fault;
use super::users::seed_users;

/// The app secret an emulator hands out unless told otherwise. Fixed so that a command line
/// and a test can agree on it without talking to each other.
pub const DEFAULT_APP_SECRET: &str = "5ebe2294ecd0e0f08eab7690d2a6ee69";

/// How an emulated site is set up. Every field has a default that works out of the box, so
/// callers write `Config { auto_approve: true, ..Config::default() }`.
#[derive(Clone, Debug)]
pub struct Config {
    /// The registered app's id (digits), as the site's developer dashboard shows it.
    pub app_id: String,
    /// The registered app's secret (32 lowercase hex on real sites).
    pub app_secret: String,
    /// The app's name, shown on the consent page.
    pub app_name: String,
    /// The redirect URL fixed at registration; `?auth_key=KEY` is glued to it as is.
    pub redirect_url: String,
    /// How long a token stays valid after it was issued (real servers: 60 s).
    pub token_ttl: Duration,
    /// Which Sngine generation `/api/authorize` behaves like.
    pub generation: Generation,
    /// Skip the sign-in and consent pages: `/api/oauth` redirects at once, as the signed-in
    /// person, `signed_in_user`, or else the first person in `users`.
    pub auto_approve: bool,
    /// A `user_id`: every browser counts as signed in as this person already.
    pub signed_in_user: Option<String>,
    /// The people of the site, each a `user_info` object as `get_user_info` returns it.
    pub users: Vec<Map<String, Value>>,
    /// Misbehaviours of the API endpoints, as proxies and broken servers produce them.
    pub faults: Vec<Fault>,
    /// The admin turned the developers module off: every API endpoint refuses with
    /// `The developers module has been disabled by the admin`.
    pub developers_disabled: bool,
    /// Faults for the next so many requests to their endpoint, then gone.
    pub counted_faults: Vec<(Fault, u32)>,
    /// Added before every answer.
    pub latency: Duration,
    /// How long a `slow` fault holds its answer back, and a `stall` says nothing.
    pub slow_delay: Duration,
    /// The pause before each byte of a `drip` fault's body.
    pub drip_interval: Duration,
    /// Where the request log goes, one line per request; none by default.
    pub log: Option<LogSink>,
    /// More apps registered on the site, next to the one above (which is the default).
    pub apps: Vec<App>,
    /// Who may use the admin API under `/__pipi/`.
    pub admin: AdminAccess,
    /// Show app secrets, keys and tokens in the request record the admin API hands out;
    /// by default they are masked there.
    pub reveal_secrets: bool,
}

/// An app registered on the site, as its developers dashboard keeps one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    /// Digits, looked up as PHP's `intval` reads them.
    pub app_id: String,
    /// The secret `/api/authorize` checks.
    pub app_secret: String,
    /// The name the consent page shows.
    pub app_name: String,
    /// Where the site sends the browser, `?auth_key=KEY` glued on as is.
    pub redirect_url: String,
}

/// Who may use the admin API (`/__pipi/...`). Its health check answers everyone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AdminAccess {
    /// Anyone who reaches the site: right on loopback, where only this machine does.
    #[default]
    Open,
    /// Only requests with `Authorization: Bearer TOKEN`.
    Token(String),
    /// Nobody: a site reached from other machines, given no token.
    Closed,
}

/// Takes the emulator's request log, a line at a time: the caller decides where it goes.
#[derive(Clone)]
pub struct LogSink(pub Arc<dyn Fn(&str) + Send + Sync>);

impl LogSink {
    /// A sink that calls `write` with each line.
    pub fn new(write: impl Fn(&str) + Send + Sync + 'static) -> LogSink {
        LogSink(Arc::new(write))
    }

    pub(crate) fn write(&self, line: &str) {
        (self.0)(line);
    }
}

impl fmt::Debug for LogSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogSink")
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            app_id: "4242".to_owned(),
            app_secret: DEFAULT_APP_SECRET.to_owned(),
            app_name: "pipi".to_owned(),
            redirect_url: "http://127.0.0.1:8765/callback".to_owned(),
            token_ttl: Duration::from_secs(60),
            generation: Generation::Both,
            auto_approve: false,
            signed_in_user: None,
            users: seed_users(),
            faults: Vec::new(),
            counted_faults: Vec::new(),
            developers_disabled: false,
            latency: Duration::ZERO,
            slow_delay: Duration::from_secs(30),
            drip_interval: Duration::from_secs(1),
            log: None,
            apps: Vec::new(),
            admin: AdminAccess::default(),
            reveal_secrets: false,
        }
    }
}

impl Config {
    /// The default app, the one the fields above describe.
    pub fn default_app(&self) -> App {
        App {
            app_id: self.app_id.clone(),
            app_secret: self.app_secret.clone(),
            app_name: self.app_name.clone(),
            redirect_url: self.redirect_url.clone(),
        }
    }
}

/// Where `/api/authorize` reads its parameters from, which is what tells Sngine versions
/// apart on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generation {
    /// Sngine up to 4.0.3: the query string only, whatever the method.
    Get,
    /// Sngine 4.0.4 and later: a form-encoded POST body only.
    Post,
    /// Either, the body winning over the query string as in PHP's `$_REQUEST`.
    Both,
}

impl FromStr for Generation {
    type Err = String;

    fn from_str(text: &str) -> Result<Generation, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "get" => Ok(Generation::Get),
            "post" => Ok(Generation::Post),
            "both" => Ok(Generation::Both),
            _ => Err(format!(
                "unknown generation {text:?} (expected get, post or both)"
            )),
        }
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Generation::Get => "get",
            Generation::Post => "post",
            Generation::Both => "both",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_round_trips_through_text() {
        for generation in [Generation::Get, Generation::Post, Generation::Both] {
            assert_eq!(generation.to_string().parse(), Ok(generation));
        }
        assert_eq!(" POST ".parse(), Ok(Generation::Post));
        assert!("put".parse::<Generation>().is_err());
    }

    #[test]
    fn default_secret_looks_like_a_real_one() {
        assert_eq!(DEFAULT_APP_SECRET.len(), 32);
        assert!(
            DEFAULT_APP_SECRET
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
}
