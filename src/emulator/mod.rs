//! An emulator of a Sngine site's "Log in With" API, for tests, demos and offline development.
//!
//! It behaves as Sngine 2.7 to 4.2.1 servers do, quirks included: every API answer
//! is a 200 with PHP-encoded JSON, `/api/authorize` reads the query string or a form body
//! depending on the generation emulated, keys work once, tokens die after a minute by the
//! emulator's own clock, and a wrong `Host` is sent to the home page.
//!
//! The modules follow a request: `http` reads it off the socket, `site` checks the host,
//! applies faults and routes it, `oauth` and `pages` serve the browser side, `api` the JSON
//! endpoints (with `params` reading parameters as PHP does and `php_json` writing answers as
//! PHP does), and `state` remembers keys, tokens and sessions. `walker` is a headless browser
//! that goes through the sign-in and consent pages when no real browser is at hand.

mod api;
mod config;
mod faults;
mod http;
mod oauth;
mod pages;
mod params;
mod php_json;
mod request_log;
mod site;
mod state;
mod users;
mod walker;

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub use config::{Config, DEFAULT_APP_SECRET, Generation, LogSink};
pub use faults::{Endpoint, Fault, FaultKind};
pub use php_json::encode as php_json_encode;
pub use users::{load_users, seed_users};
pub use walker::{WalkOutcome, walk};

use http::ReadError;
use site::{Answer, Site};

/// How long a connection may take to send its request or take its answer; a stuck client
/// must not hold a thread forever.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(30);

/// How many requests the record keeps (the newest), so that a long-running emulator does not
/// grow without end.
const MAX_RECORDED: usize = 10_000;

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
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    /// The `Host` header, if there was one.
    pub host: Option<String>,
    /// The `Content-Type` header, if there was one.
    pub content_type: Option<String>,
}

/// A running emulated site. Dropping it shuts it down.
pub struct Emulator {
    site: Arc<Site>,
    local_addr: SocketAddr,
    accept_thread: Mutex<Option<JoinHandle<()>>>,
}

impl Emulator {
    /// Serves on an already-bound listener, in background threads; returns at once.
    pub fn start(config: Config, listener: TcpListener) -> io::Result<Emulator> {
        // The accept loop blocks on the listener; a non-blocking one would make it spin.
        listener.set_nonblocking(false)?;
        let local_addr = listener.local_addr()?;
        // A listener on every interface is still reached, and named, through loopback.
        let reachable = match local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let local_addr = SocketAddr::new(reachable, local_addr.port());
        let site = Arc::new(Site::new(config, local_addr.to_string()));
        let accept_site = Arc::clone(&site);
        let accept_thread = thread::Builder::new()
            .name("pipi-emulator".to_owned())
            .spawn(move || accept_loop(&listener, &accept_site))?;
        Ok(Emulator {
            site,
            local_addr,
            accept_thread: Mutex::new(Some(accept_thread)),
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

    /// How this site is set up.
    pub fn config(&self) -> &Config {
        &self.site.config
    }

    /// Moves the emulator's clock forward, so that tests see tokens expire without waiting.
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
        self.site.state().faults = faults;
    }

    /// Every request seen so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.site.state().requests.iter().cloned().collect()
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
        let thread = self
            .accept_thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            // The accept loop only notices the stop once accept() returns, so knock.
            let _ = TcpStream::connect_timeout(&self.local_addr, Duration::from_secs(1));
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn accept_loop(listener: &TcpListener, site: &Arc<Site>) {
    for stream in listener.incoming() {
        if site.is_stopped() {
            break;
        }
        match stream {
            Ok(stream) => {
                let site = Arc::clone(site);
                // If no thread can be made, the connection is dropped: the client sees a
                // reset, which is what an overloaded server does too.
                let _ = thread::Builder::new()
                    .name("pipi-emulator-conn".to_owned())
                    .spawn(move || serve_connection(&site, &stream));
            }
            // Out of file descriptors and the like: wait a little rather than spin.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

fn serve_connection(site: &Site, stream: &TcpStream) {
    let started = Instant::now();
    let _ = stream.set_read_timeout(Some(SOCKET_TIMEOUT));
    let _ = stream.set_write_timeout(Some(SOCKET_TIMEOUT));
    let request = match http::read_request(stream) {
        Ok(request) => request,
        // Nothing readable arrived (the shutdown knock, a port scan): nobody to answer.
        Err(ReadError::Io) => return,
        Err(ReadError::Refuse(status)) => {
            let response = http::Response::new(status, "text/plain", "bad request\n");
            let _ = http::write_response(stream, &response, false);
            if let Some(log) = &site.config.log {
                log.write(&format!(
                    "(unreadable request) {status} {}ms",
                    started.elapsed().as_millis()
                ));
            }
            return;
        }
    };
    let content_type = request.header("content-type").map(str::to_owned);
    {
        let mut state = site.state();
        if state.requests.len() >= MAX_RECORDED {
            state.requests.pop_front();
        }
        state.requests.push_back(RecordedRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            body: request.body_text(),
            host: request.header("host").map(str::to_owned),
            content_type: content_type.clone(),
        });
    }
    site.sleep(site.config.latency);
    if site.is_stopped() {
        return;
    }
    let answer = site::answer(site, &request);
    // An answer held back by a slow fault is dropped if the emulator stopped meanwhile.
    if site.is_stopped() {
        return;
    }
    let outcome = match answer {
        Answer::Respond(response) => {
            let _ = http::write_response(stream, &response, request.method == "HEAD");
            response.status.to_string()
        }
        Answer::Reset => "reset".to_owned(),
    };
    let _ = stream.shutdown(std::net::Shutdown::Both);
    if let Some(log) = &site.config.log {
        let form_body = content_type
            .as_deref()
            .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"))
            .then(|| request.body_text());
        log.write(&request_log::line(
            &request.method,
            &request.path,
            &request.query,
            form_body.as_deref(),
            &outcome,
            started.elapsed(),
        ));
    }
}
