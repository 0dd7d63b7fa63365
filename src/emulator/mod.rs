//! An emulator of a Sngine site's "Log in With" API, for tests, demos and offline development.
//!
//! It behaves as Sngine 2.7 to 4.2.1 servers do, quirks included: every API answer
//! is a 200 with PHP-encoded JSON, `/api/authorize` reads the query string or a form body
//! depending on the generation emulated, keys work once, tokens die after a minute by the
//! emulator's own clock, and a wrong `Host` is sent to the home page.
//!
//! The modules follow a request: the crate's `http` server reads it, `router` checks the
//! host, applies faults and routes it, `oauth` and `pages` serve the browser side, `api` the
//! JSON endpoints (with `params` reading parameters as PHP does and `php_json` writing
//! answers as PHP does); `site` is what they all share, and `state` remembers apps, people,
//! keys, tokens and sessions, and keeps the clock. `admin` is the JSON API under `/__pipi/`
//! that other programs' tests drive it with, `setup` reads and checks what that API and a
//! setup file take, and `record` keeps the requests seen, within bounds. `walker` is a
//! headless browser that goes through the sign-in and consent pages when no real browser is
//! at hand.
//!
//! The emulator stands apart from the rest of pipi: it uses only the crate's HTTP server
//! (`http`, which depends on nothing else in pipi) and what it is handed, such as a
//! [`LogSink`] for its request log, so that it could become a crate of its own.

mod admin;
mod api;
mod config;
mod faults;
mod oauth;
mod pages;
mod params;
mod php_json;
mod record;
mod request_log;
mod router;
mod setup;
mod site;
mod state;
mod users;
mod walker;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use config::{AdminAccess, App, Config, DEFAULT_APP_SECRET, Generation, LogSink};
pub use faults::{Endpoint, Fault, FaultKind};
pub use php_json::encode as php_json_encode;
// The setup files of `pipi mock`: public for that command, not part of the emulator's face.
#[doc(hidden)]
pub use setup::{apply_setup, setup_of};
pub use users::{load_users, seed_users};
pub use walker::{WalkOutcome, walk};

use crate::http::{Connection, Handler, Request, Server};
use router::Answer;
use site::Site;

/// How much of a form body a log line shows; the rest is left out and its size noted.
const MAX_LOGGED_BODY: usize = 1024;

/// A request as the emulator saw it, secrets included, so that tests can check what a
/// client sent (for example that the app secret never appeared in a URL).
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The method, as sent (`GET`, `POST`).
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, without its `?`.
    pub query: String,
    /// The body as text (invalid UTF-8 replaced), cut to its first few kilobytes.
    pub body: String,
    /// The body's size as sent, in bytes.
    pub body_bytes: usize,
    /// The `Host` header, if there was one.
    pub host: Option<String>,
    /// The `Content-Type` header, if there was one.
    pub content_type: Option<String>,
}

/// A running emulated site. Dropping it shuts it down.
pub struct Emulator {
    site: Arc<Site>,
    local_addr: SocketAddr,
    server: Mutex<Option<Server>>,
}

impl Emulator {
    /// Serves on an already-bound listener, in background threads; returns at once.
    pub fn start(config: Config, listener: TcpListener) -> io::Result<Emulator> {
        let local_addr = listener.local_addr()?;
        // A listener on every interface is still reached, and named, through loopback.
        let reachable = match local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let local_addr = SocketAddr::new(reachable, local_addr.port());
        let site = Arc::new(Site::new(config, local_addr.to_string()));
        let server = Server::start(vec![listener], "pipi-emulator", Serve(Arc::clone(&site)))?;
        Ok(Emulator {
            site,
            local_addr,
            server: Mutex::new(Some(server)),
        })
    }

    /// Binds `addr` (e.g. `127.0.0.1:8080`, or port 0 for any free port) and starts.
    pub fn bind(config: Config, addr: &str) -> io::Result<Emulator> {
        let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
        Emulator::start(config, TcpListener::bind(&addrs[..])?)
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.site.base_url()
    }

    /// Where a client sends the browser: `BASE/api/oauth?app_id=ID`.
    pub fn oauth_url(&self) -> String {
        format!(
            "{}/api/oauth?app_id={}",
            self.base_url(),
            self.site.config.app_id
        )
    }

    /// The address the emulator is reached at.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How this site was set up when it started; the admin API may have changed its apps,
    /// people, faults and settings since.
    pub fn config(&self) -> &Config {
        &self.site.config
    }

    /// Moves the emulator's clock forward, so that tests see tokens expire without waiting.
    /// The admin API's `POST /__pipi/clock` moves the same clock.
    pub fn advance_clock(&self, by: Duration) {
        self.site.state().advance_clock(by);
    }

    /// From now on `get_user_info` answers `[]` for this person's tokens, and they can no
    /// longer sign in.
    pub fn delete_user(&self, user_id: &str) {
        self.site.state().delete_user(user_id);
    }

    /// Replaces the faults in force, so that a test can make an endpoint fail and recover.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.site.state().faults = faults
            .into_iter()
            .map(|fault| state::ActiveFault {
                fault,
                remaining: None,
            })
            .collect();
    }

    /// The requests the record holds, oldest first: the newest ones, within its bounds.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.site.state().requests.iter().cloned().collect()
    }

    /// What the request record holds, in bytes: bounded whatever clients send.
    pub fn recorded_bytes(&self) -> usize {
        self.site.state().requests.bytes()
    }

    /// Puts everything back as it was at the start: apps, people, settings, faults, the
    /// clock, sessions, grants and the request record.
    pub fn reset(&self) {
        self.site.reset();
    }

    /// Blocks until the emulator is shut down (from another thread, or by Ctrl-C handling
    /// that calls [`Emulator::shutdown`] on a shared reference).
    pub fn wait(&self) {
        self.site.wait_for_stop();
    }

    /// Stops serving: the listener is closed when this returns, and answers held back by
    /// latency or a slow fault are cut short. Calling it again does nothing.
    pub fn shutdown(&self) {
        self.site.stop();
        let server = self
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        // Dropped outside the lock: stopping joins the accept thread.
        drop(server);
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The emulated site as the server's handler.
struct Serve(Arc<Site>);

impl Handler for Serve {
    fn handle(&self, request: Request, connection: Connection) {
        serve_request(&self.0, &request, connection);
    }

    fn refused(&self, status: u16, took: Duration) {
        if let Some(log) = &self.0.config.log {
            log.write(&format!(
                "(unreadable request) {status} {}ms",
                took.as_millis()
            ));
        }
    }
}

fn serve_request(site: &Site, request: &Request, connection: Connection) {
    let started = connection.accepted();
    if admin::is_admin(&request.path) {
        let response = admin::answer(site, request);
        let outcome = response.status.to_string();
        connection.answer(&response);
        log_request(site, request, None, &outcome, started.elapsed());
        return;
    }
    let content_type = request.header("content-type").map(str::to_owned);
    let body = request.body_text();
    let latency = record_request(site, request, &body, content_type.clone());
    site.sleep(latency);
    if site.is_stopped() {
        return;
    }
    let answer = router::answer(site, request);
    // An answer held back by a slow fault is dropped if the emulator stopped meanwhile.
    if site.is_stopped() {
        return;
    }
    let outcome = deliver(site, answer, connection);
    let form_body = content_type
        .as_deref()
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"))
        .then_some(body.as_str());
    log_request(site, request, form_body, &outcome, started.elapsed());
}

/// Records a request for the tests that ask what the site saw, and gives the latency the
/// site answers with.
fn record_request(
    site: &Site,
    request: &Request,
    body: &str,
    content_type: Option<String>,
) -> Duration {
    let mut state = site.state();
    state.requests.push(RecordedRequest {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        body: record::cut(body, record::MAX_RECORDED_BODY).to_owned(),
        body_bytes: request.body.len(),
        host: request.header("host").map(str::to_owned),
        content_type,
    });
    state.latency
}

/// Sends the answer the way it was asked for (at once, a byte at a time, not at all), and
/// says how it went, for the request log.
fn deliver(site: &Site, answer: Answer, connection: Connection) -> String {
    match answer {
        Answer::Respond(response) => {
            connection.answer(&response);
            response.status.to_string()
        }
        Answer::Reset => {
            connection.close();
            "reset".to_owned()
        }
        Answer::Drip(response) => {
            let status = response.status.to_string();
            connection.answer_dripping(&response, || {
                site.sleep(site.config.drip_interval);
                !site.is_stopped()
            });
            format!("{status} (dripped)")
        }
        Answer::Stall => {
            site.sleep(site.config.slow_delay);
            connection.close();
            "stalled".to_owned()
        }
    }
}

/// One line in the request log, if there is one: a form body cut to its first kilobyte,
/// with its size noted.
fn log_request(
    site: &Site,
    request: &Request,
    form_body: Option<&str>,
    outcome: &str,
    took: Duration,
) {
    let Some(log) = &site.config.log else {
        return;
    };
    let body = form_body.map(|body| {
        let kept = record::cut(body, MAX_LOGGED_BODY);
        if kept.len() < body.len() {
            format!("{kept}... ({} bytes)", request.body.len())
        } else {
            kept.to_owned()
        }
    });
    log.write(&request_log::line(
        &request.method,
        &request.path,
        &request.query,
        body.as_deref(),
        outcome,
        took,
    ));
}
