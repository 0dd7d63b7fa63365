//! The temporary listener on the loopback interface that catches the browser when the site
//! sends it back to the app's redirect URL with a one-time `auth_key`, and what to do when
//! the redirect URL is one no listener here can catch.
//!
//! The protocol has no `state` parameter, so the listener is strict about everything else:
//! only a GET on the exact redirect path, with a Host header naming the listener (a guard
//! against DNS rebinding), is taken; anything else is answered and ignored. The crate's one
//! HTTP server (`http`) reads the connections, so that no client can stop, hold up or wear
//! out the listener: each request within a deadline and a size, at most a few dozen at once
//! (a new one pushes out the oldest), through running out of file descriptors.
//!
//! Any program on this machine can send a key here too. At most [`MAX_WAITING_KEYS`] caught
//! keys wait for the login at once; past that a key is answered 503 at once, on its own
//! connection's thread, and dropped unused, so that a flood of forged keys costs a bounded
//! number of sockets, threads and exchanges, and every client gets an answer. The login
//! bounds how many keys it exchanges (see `login::MAX_EXCHANGES`).

use crate::error::{self, Setting};
use crate::error::{Error, Result, bail};
pub(crate) use crate::http::Connection;
use crate::http::{self, Request, Response};
use crate::redact::Known;
use crate::secret::Secret;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use url::{Host, Url};

/// How the redirect reaches pipi.
#[derive(Debug, Clone)]
pub(crate) enum KeyRoute {
    /// A listener on this machine catches the browser.
    Listen(RedirectTarget),
    /// No listener here can: the person pastes the address the browser was sent to.
    Paste { url: String, why: Uncatchable },
}

/// Why a redirect URL cannot be caught by a listener here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Uncatchable {
    /// `https://` on this machine: answering it takes a certificate the browser trusts.
    Https,
    /// Another machine's address, such as a web app's real page.
    Elsewhere,
}

impl KeyRoute {
    /// Reads the app's redirect URL: an `http://` URL on a loopback host is listened on,
    /// anything else can only be pasted.
    pub(crate) fn from_redirect_url(redirect_url: &str) -> Result<KeyRoute> {
        let url = parse_redirect_url(redirect_url)?;
        if url.scheme() == "http" && crate::site::url::is_loopback(&url) {
            return RedirectTarget::parse(redirect_url).map(KeyRoute::Listen);
        }
        let why = if url.scheme() == "https" && crate::site::url::is_loopback(&url) {
            Uncatchable::Https
        } else {
            Uncatchable::Elsewhere
        };
        Ok(KeyRoute::Paste {
            url: redirect_url.to_string(),
            why,
        })
    }
}

fn parse_redirect_url(redirect_url: &str) -> Result<Url> {
    Url::parse(redirect_url).map_err(|e| {
        error::failure(
            format!("invalid redirect URL '{redirect_url}': {e}"),
            "use the redirect URL registered for the app, such as http://127.0.0.1:8765/callback",
        )
        .with_setting(Setting::RedirectUrl)
    })
}

/// Where the browser will be sent: the app's registered redirect URL, taken apart.
#[derive(Debug, Clone)]
pub(crate) struct RedirectTarget {
    pub url: String,
    host: Host,
    pub port: u16,
    pub path: String,
}

impl RedirectTarget {
    /// Accepts an `http://` URL on a loopback host, the only kind a local listener can catch.
    pub(crate) fn parse(redirect_url: &str) -> Result<RedirectTarget> {
        let url = parse_redirect_url(redirect_url)?;
        if url.scheme() != "http" || !crate::site::url::is_loopback(&url) {
            return Err(error::failure(
                format!(
                    "the redirect URL {redirect_url} is not an http:// address on this machine, so pipi cannot catch the redirect"
                ),
                "register a redirect URL such as http://127.0.0.1:8765/callback for the app and use it",
            )
            .with_setting(Setting::RedirectUrl));
        }
        let Some(host) = url.host().map(|h| h.to_owned()) else {
            bail!("invalid redirect URL '{redirect_url}': no host");
        };
        Ok(RedirectTarget {
            url: redirect_url.to_string(),
            host,
            port: url.port_or_known_default().unwrap_or(80),
            path: url.path().to_string(),
        })
    }

    /// The addresses to listen on: the URL's own, or for `localhost` both loopback
    /// addresses, since a browser may resolve it to either.
    fn bind_addrs(&self) -> Vec<SocketAddr> {
        let ips = match &self.host {
            Host::Ipv4(ip) => vec![IpAddr::V4(*ip)],
            Host::Ipv6(ip) => vec![IpAddr::V6(*ip)],
            Host::Domain(_) => vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ],
        };
        ips.into_iter()
            .map(|ip| SocketAddr::new(ip, self.port))
            .collect()
    }

    fn is_localhost(&self) -> bool {
        matches!(self.host, Host::Domain(_))
    }

    /// Whether a Host header names this listener: `host:port`, or `host` alone on port 80.
    fn is_own_host(&self, header: &str) -> bool {
        let header = header.trim().to_ascii_lowercase();
        let host = self.host.to_string().to_ascii_lowercase();
        header == format!("{host}:{}", self.port) || (self.port == 80 && header == host)
    }

    /// The same URL on the next port: what to suggest when this one is taken.
    fn next_port_url(&self) -> String {
        let port = self
            .port
            .checked_add(1)
            .filter(|p| *p >= 1024)
            .unwrap_or(8766);
        format!("http://{}:{port}{}", self.host, self.path)
    }
}

/// What to do with one request that reached the listener.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RedirectRequest {
    /// The redirect, with its key.
    Key(Secret),
    /// Not the redirect: answer with this status and message, and keep waiting.
    Reject { status: u16, message: &'static str },
}

/// How many caught keys may wait for the login at once. A browser sends one; more at once
/// is another program.
pub(crate) const MAX_WAITING_KEYS: usize = 8;
/// Stack for a thread that sends a page: it only writes a small answer and reads what the
/// client still sends.
const ANSWER_STACK: usize = 64 * 1024;

/// The redirect, caught: its key, the browser waiting for a page, and its place among the
/// [`MAX_WAITING_KEYS`], to be let go once the login has taken the key.
pub(crate) struct Arrival {
    pub key: Secret,
    pub tab: Tab,
    pub place: Place,
}

/// The browser tab (or whatever sent the key) waiting for its page.
pub(crate) struct Tab(Connection);

impl Tab {
    /// Sends a page and waits until it is sent and the connection closed: for the last
    /// pages of a login, which must reach the browser before the program ends.
    pub(crate) fn respond(self, status: u16, title: &str, message: &str) {
        respond(self.0, status, title, message);
    }

    /// Sends a page on a thread of its own, so that a client that holds its socket costs
    /// the login's thread nothing. Without a thread to spare it is sent here. The handle
    /// tells when it is done.
    pub(crate) fn respond_in_background(
        self,
        status: u16,
        title: &'static str,
        message: &'static str,
    ) -> Option<JoinHandle<()>> {
        // Shared, so that it can still be answered here if no thread starts.
        let tab = Arc::new(Mutex::new(Some(self)));
        let take =
            |tab: &Mutex<Option<Tab>>| tab.lock().unwrap_or_else(PoisonError::into_inner).take();
        let for_thread = Arc::clone(&tab);
        let spawned = std::thread::Builder::new()
            .name("pipi-answer".into())
            .stack_size(ANSWER_STACK)
            .spawn(move || {
                if let Some(tab) = take(&for_thread) {
                    tab.respond(status, title, message);
                }
            });
        match spawned {
            Ok(thread) => Some(thread),
            Err(_) => {
                if let Some(tab) = take(&tab) {
                    tab.respond(status, title, message);
                }
                None
            }
        }
    }
}

/// One of the listener's places for a caught key; let go when dropped.
pub(crate) struct Place(Arc<AtomicUsize>);

impl Place {
    /// Takes a place, if one of the [`MAX_WAITING_KEYS`] is free.
    fn take(taken: &Arc<AtomicUsize>) -> Option<Place> {
        taken
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < MAX_WAITING_KEYS).then_some(n + 1)
            })
            .ok()
            .map(|_| Place(Arc::clone(taken)))
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Bound listening sockets, served by background threads until dropped.
pub(crate) struct CallbackListener {
    target: RedirectTarget,
    /// The keys caught so far, or pasted: the log records of requests mask them.
    caught: Arc<Mutex<Known>>,
    _server: http::Server,
}

impl CallbackListener {
    /// Binds the redirect URL's host and port (both loopback addresses for `localhost`, the
    /// IPv6 one where the machine has IPv6), or says at once why it cannot, then serves.
    /// `on_redirect` gets each request that carries a key; everything else is answered and
    /// dropped here.
    /// `prebound`, when given, is a socket the caller bound already on the redirect URL's
    /// address (so that it knew the port before registering the URL): it is served instead
    /// of binding, and must be on that address.
    pub(crate) fn bind(
        target: RedirectTarget,
        prebound: Option<TcpListener>,
        on_redirect: impl Fn(Arrival) + Send + Sync + 'static,
    ) -> Result<CallbackListener> {
        let sockets = sockets_for(&target, prebound)?;
        let shared = Arc::new(target.clone());
        let places = Arc::new(AtomicUsize::new(0));
        let caught = Arc::new(Mutex::new(Known::new()));
        let handler_caught = Arc::clone(&caught);
        let handler = move |request: Request, browser: Connection| {
            let is_get = request.method == "GET";
            let (host, target) = (request.single_header("host"), request.target());
            let inspected = inspect(&shared, is_get, host, &target);
            let request_line =
                masked_request_line(&handler_caught, &request.method, &target, &inspected);
            match inspected {
                RedirectRequest::Key(key) => match Place::take(&places) {
                    Some(place) => {
                        log::debug!("listener: the redirect: {request_line}");
                        on_redirect(Arrival {
                            key,
                            tab: Tab(browser),
                            place,
                        });
                    }
                    None => {
                        log::debug!("listener: busy, answered 503: {request_line}");
                        respond(
                            browser,
                            503,
                            "Busy",
                            "pipi has more keys to try than a browser sends: another program on \
                             this machine may be sending them. Reload this page in a moment.",
                        );
                    }
                },
                RedirectRequest::Reject { status, message } => {
                    log::debug!("listener: answered {status}: {request_line}");
                    respond(browser, status, "Not the login redirect", message)
                }
            }
        };
        let server = http::Server::start(sockets, "pipi-listener", handler).map_err(|e| {
            error::failed(format!(
                "cannot serve the login redirect on {}: {e}",
                target.url
            ))
        })?;
        log::debug!("listener: waiting for GET {}", target.url);
        Ok(CallbackListener {
            target,
            caught,
            _server: server,
        })
    }

    /// Masks `key` in the listener's log records from now on: for a key that came by
    /// another way (a paste), which a request may yet repeat.
    pub(crate) fn remember_key(&self, key: &Secret) {
        self.caught
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remember(key.expose());
    }

    pub(crate) fn target(&self) -> &RedirectTarget {
        &self.target
    }
}

/// A request's method and target for the log, with every key caught so far masked wherever
/// it shows, named or not, as well as any value written after a secret's name. A key this
/// request carries is counted among those caught first. Empty when the log is off.
fn masked_request_line(
    caught: &Mutex<Known>,
    method: &str,
    target: &str,
    inspected: &RedirectRequest,
) -> String {
    let mut caught = caught.lock().unwrap_or_else(PoisonError::into_inner);
    if let RedirectRequest::Key(key) = inspected {
        caught.remember(key.expose());
    }
    // Masking scans for every value held: only worth it for a line that is logged.
    if !log::log_enabled!(log::Level::Debug) {
        return String::new();
    }
    caught.redact(&format!("{method} {target}"))
}

/// The sockets to serve the redirect on: the one the caller bound, checked to be on the
/// redirect URL's address, or the URL's own addresses, bound here.
fn sockets_for(target: &RedirectTarget, prebound: Option<TcpListener>) -> Result<Vec<TcpListener>> {
    let mut sockets = Vec::new();
    let given = prebound.is_some();
    if let Some(socket) = prebound {
        let addr = socket.local_addr()?;
        if !target.bind_addrs().contains(&addr) {
            bail!(
                "the socket given to listen on is bound to {addr}, which is not the address of the redirect URL {}",
                target.url
            );
        }
        sockets.push(socket);
    }
    // A socket given for one address of `localhost` serves alone: the caller chose it.
    for addr in target.bind_addrs().into_iter().filter(|_| !given) {
        match TcpListener::bind(addr) {
            Ok(socket) => sockets.push(socket),
            // No IPv6 on this machine: browsers then resolve localhost to 127.0.0.1.
            Err(e)
                if addr.is_ipv6()
                    && target.is_localhost()
                    && !matches!(e.kind(), ErrorKind::AddrInUse | ErrorKind::PermissionDenied) => {}
            Err(e) => return Err(bind_error(target, addr, &e)),
        }
    }
    Ok(sockets)
}

fn bind_error(target: &RedirectTarget, addr: SocketAddr, e: &std::io::Error) -> Error {
    let why = match e.kind() {
        ErrorKind::AddrInUse => {
            "the port is already in use (another login still waiting?)".to_string()
        }
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    error::failure(
        format!(
            "cannot listen on {addr} for the login redirect to {}: {why}",
            target.url
        ),
        format!(
            "stop what holds {addr}, or register another redirect URL for the app in the site's \
             developers dashboard (such as {}) and use it",
            target.next_port_url()
        ),
    )
    .with_setting(Setting::RedirectUrl)
}

fn inspect(
    target: &RedirectTarget,
    is_get: bool,
    host: Option<&str>,
    url: &str,
) -> RedirectRequest {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if path != target.path {
        return RedirectRequest::Reject {
            status: 404,
            message: "Nothing here.",
        };
    }
    if !is_get {
        return RedirectRequest::Reject {
            status: 405,
            message: "Only GET is accepted here.",
        };
    }
    if !host.is_some_and(|h| target.is_own_host(h)) {
        return RedirectRequest::Reject {
            status: 400,
            message: "Unexpected Host header.",
        };
    }
    match find_auth_key(query) {
        Some(key) => RedirectRequest::Key(key),
        None => RedirectRequest::Reject {
            status: 400,
            message: "This address has no valid auth_key. Start the login again.",
        },
    }
}

/// Finds `auth_key` in a query, also in the one Sngine builds by plain string joining when the
/// registered redirect URL already had a query (`src=cli?auth_key=KEY`). The last one wins:
/// the site appends its own.
pub(crate) fn find_auth_key(query: &str) -> Option<Secret> {
    let found = query
        .split(['&', '?'])
        .filter_map(|pair| pair.split_once('='))
        .rfind(|(name, _)| *name == "auth_key")?;
    let value: String = url::form_urlencoded::parse(format!("k={}", found.1).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let plausible =
        !value.is_empty() && value.len() <= 128 && value.chars().all(|c| c.is_ascii_alphanumeric());
    plausible.then(|| Secret::new(value))
}

/// Answers the browser with a small page. Everything echoed is escaped, nothing secret is on
/// it, and the browser is told neither to keep it nor to pass the address on.
pub(crate) fn respond(browser: Connection, status: u16, title: &str, message: &str) {
    let esc = |s: &str| html_escape::encode_text(s).into_owned();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} - pipi</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em}}</style>\
         </head><body><h1>{t}</h1><p>{m}</p></body></html>\n",
        t = esc(title),
        m = esc(message),
    );
    let mut page = Response::new(status, "text/html; charset=utf-8", html)
        .with_header("Cache-Control", "no-store")
        .with_header("Referrer-Policy", "no-referrer")
        .with_header("X-Content-Type-Options", "nosniff")
        .with_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        );
    if status == 405 {
        page = page.with_header("Allow", "GET");
    }
    if status == 503 {
        page = page.with_header("Retry-After", "1");
    }
    browser.answer(&page);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_few_caught_keys_wait_and_a_place_comes_back_when_taken() {
        let taken = Arc::new(AtomicUsize::new(0));
        let mut places: Vec<Place> = std::iter::from_fn(|| Place::take(&taken))
            .take(100)
            .collect();
        assert_eq!(places.len(), MAX_WAITING_KEYS);
        assert!(Place::take(&taken).is_none());
        places.pop();
        assert!(Place::take(&taken).is_some());
        drop(places);
        assert_eq!(taken.load(Ordering::SeqCst), 0);
    }

    fn target(url: &str) -> RedirectTarget {
        RedirectTarget::parse(url).unwrap()
    }

    #[test]
    fn the_listeners_records_mask_the_keys_it_caught_wherever_a_request_repeats_them() {
        use crate::log_capture::{self, records_with};
        use std::io::{Read, Write};
        let key = "ca0617ca0617ca0617ca0617ca0617ca";
        // Paths of this test's own, so that the records of other tests' listeners are not
        // kept nor counted.
        log_capture::start(&["/caught-keys", "/elsewhere-caught/", key]);
        let socket = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = socket.local_addr().unwrap().port();
        let target =
            RedirectTarget::parse(&format!("http://127.0.0.1:{port}/caught-keys")).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let tx = Mutex::new(tx);
        let _listener = CallbackListener::bind(target, Some(socket), move |arrival| {
            let _ = tx.lock().unwrap().send(arrival);
        })
        .unwrap();
        let ask = |path: &str| {
            let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            write!(
                stream,
                "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            stream
        };
        // The redirect: its key is caught, and answered by the login.
        let mut redirect = ask(&format!("/caught-keys?auth_key={key}"));
        let arrival = rx.recv_timeout(std::time::Duration::from_secs(60)).unwrap();
        assert_eq!(arrival.key.expose(), key);
        arrival.tab.respond(200, "Logged in", "done");
        redirect.read_to_end(&mut Vec::new()).unwrap();
        // Another request repeats the key where no name says it is one; once its answer
        // is read, its record has been logged.
        let mut other = ask(&format!("/elsewhere-caught/{key}?x={key}"));
        other.read_to_end(&mut Vec::new()).unwrap();
        assert_eq!(
            records_with("listener: the redirect: GET /caught-keys?auth_key=[redacted]"),
            vec!["listener: the redirect: GET /caught-keys?auth_key=[redacted]".to_string()]
        );
        assert_eq!(
            records_with("/elsewhere-caught/"),
            vec![
                "listener: answered 404: GET /elsewhere-caught/[redacted]?x=[redacted]".to_string()
            ]
        );
        assert_eq!(records_with(key), Vec::<String>::new());
    }

    #[test]
    fn keys_are_found_in_plain_and_sngine_joined_queries() {
        let key = |q: &str| find_auth_key(q).map(|k| k.expose().to_string());
        assert_eq!(key("auth_key=abc123").as_deref(), Some("abc123"));
        assert_eq!(key("src=cli?auth_key=abc123").as_deref(), Some("abc123"));
        assert_eq!(
            key("src=cli&auth_key=abc123&x=1").as_deref(),
            Some("abc123")
        );
        assert_eq!(key("auth_key=old?auth_key=new").as_deref(), Some("new"));
        assert_eq!(key("auth_key="), None);
        assert_eq!(key("auth_key=%3Cscript%3E"), None);
        assert_eq!(key("x_auth_key=abc"), None);
        assert_eq!(key(""), None);
    }

    #[test]
    fn only_a_get_on_the_path_with_our_host_is_taken() {
        let t = target("http://127.0.0.1:8765/callback?src=cli");
        let host = Some("127.0.0.1:8765");
        let ok = inspect(&t, true, host, "/callback?src=cli?auth_key=k1");
        assert_eq!(ok, RedirectRequest::Key(Secret::new("k1")));
        let status = |v: RedirectRequest| match v {
            RedirectRequest::Reject { status, .. } => status,
            RedirectRequest::Key(_) => 200,
        };
        assert_eq!(status(inspect(&t, true, host, "/other?auth_key=k1")), 404);
        assert_eq!(
            status(inspect(&t, true, host, "/callback/x?auth_key=k1")),
            404
        );
        assert_eq!(
            status(inspect(&t, false, host, "/callback?auth_key=k1")),
            405
        );
        assert_eq!(
            status(inspect(
                &t,
                true,
                Some("evil.example:8765"),
                "/callback?auth_key=k1"
            )),
            400
        );
        assert_eq!(
            status(inspect(&t, true, None, "/callback?auth_key=k1")),
            400
        );
        assert_eq!(status(inspect(&t, true, host, "/callback?src=cli")), 400);
    }

    #[test]
    fn host_headers_match_by_name_and_port() {
        assert!(target("http://localhost:9/cb").is_own_host("LOCALHOST:9"));
        assert!(target("http://[::1]:9/cb").is_own_host("[::1]:9"));
        assert!(target("http://127.0.0.1/cb").is_own_host("127.0.0.1"));
        assert!(!target("http://127.0.0.1:9/cb").is_own_host("127.0.0.1"));
    }

    #[test]
    fn only_loopback_http_redirects_are_listened_on() {
        assert!(RedirectTarget::parse("https://127.0.0.1:8765/cb").is_err());
        assert!(RedirectTarget::parse("http://example.com/cb").is_err());
        assert!(RedirectTarget::parse("not a url").is_err());
        assert_eq!(target("http://127.0.0.1/cb").port, 80);
    }

    #[test]
    fn other_redirect_urls_are_left_to_a_paste() {
        let why = |url: &str| match KeyRoute::from_redirect_url(url).unwrap() {
            KeyRoute::Listen(_) => None,
            KeyRoute::Paste { why, .. } => Some(why),
        };
        assert_eq!(why("http://127.0.0.1:8765/cb"), None);
        assert_eq!(why("http://localhost:8765/cb"), None);
        assert_eq!(why("http://[::1]:8765/cb"), None);
        assert_eq!(why("https://127.0.0.1:8765/cb"), Some(Uncatchable::Https));
        assert_eq!(why("https://localhost/cb"), Some(Uncatchable::Https));
        assert_eq!(why("https://app.example/cb"), Some(Uncatchable::Elsewhere));
        assert_eq!(why("http://app.example/cb"), Some(Uncatchable::Elsewhere));
        assert_eq!(why("myapp:/callback"), Some(Uncatchable::Elsewhere));
        assert!(KeyRoute::from_redirect_url("not a url").is_err());
    }

    #[test]
    fn localhost_is_listened_on_over_both_families() {
        let addrs = |url: &str| -> Vec<String> {
            target(url)
                .bind_addrs()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(addrs("http://localhost:9/cb"), ["127.0.0.1:9", "[::1]:9"]);
        assert_eq!(addrs("http://127.0.0.1:9/cb"), ["127.0.0.1:9"]);
        assert_eq!(addrs("http://[::1]:9/cb"), ["[::1]:9"]);
    }

    #[test]
    fn a_taken_port_suggests_the_next_one() {
        assert_eq!(
            target("http://127.0.0.1:8765/callback?src=cli").next_port_url(),
            "http://127.0.0.1:8766/callback"
        );
        assert_eq!(
            target("http://localhost:65535/cb").next_port_url(),
            "http://localhost:8766/cb"
        );
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// A case the properties below once found: a redirect path with a dot segment, which
        /// the browser asks for as the path it names (`/.` is `/`).
        #[test]
        fn a_dot_segment_in_the_redirect_path_is_caught() {
            let target = RedirectTarget::parse("http://127.0.0.1:1024/.").unwrap();
            let host = format!("{}:{}", target.host, target.port);
            assert_eq!(
                inspect(&target, true, Some(&host), "/?auth_key=a"),
                RedirectRequest::Key(Secret::new("a"))
            );
        }

        /// Redirect URLs an app could register on this machine: a loopback host, a port, a
        /// path, maybe a query of its own.
        fn loopback_redirect() -> impl Strategy<Value = String> {
            (
                prop_oneof![
                    Just("127.0.0.1"),
                    Just("localhost"),
                    Just("[::1]"),
                    Just("127.8.9.1")
                ],
                1024u16..,
                "(/[a-zA-Z0-9._~-]{0,12}){1,3}",
                proptest::option::of("[a-z]{1,6}=[a-zA-Z0-9]{0,8}"),
            )
                .prop_map(|(host, port, path, query)| match query {
                    Some(q) => format!("http://{host}:{port}{path}?{q}"),
                    None => format!("http://{host}:{port}{path}"),
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3000))]

            #[test]
            fn any_query_gives_no_key_or_a_plausible_one(query in any::<String>()) {
                if let Some(key) = find_auth_key(&query) {
                    let key = key.expose();
                    prop_assert!(!key.is_empty() && key.len() <= 128);
                    prop_assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
                }
            }

            #[test]
            fn any_redirect_url_is_listened_on_only_if_it_is_http_on_this_machine(raw in any::<String>()) {
                if let Ok(KeyRoute::Listen(target)) = KeyRoute::from_redirect_url(&raw) {
                    let url = Url::parse(&raw).unwrap();
                    prop_assert_eq!(url.scheme(), "http");
                    prop_assert!(crate::site::url::is_loopback(&url));
                    prop_assert!(target.bind_addrs().iter().all(|a| a.ip().is_loopback()));
                }
            }

            #[test]
            fn the_sites_redirect_is_always_caught_with_its_key(
                redirect in loopback_redirect(),
                key in "[a-zA-Z0-9]{1,128}",
                junk in proptest::collection::vec("[a-z_]{1,8}=[a-zA-Z0-9%]{0,10}", 0..4),
            ) {
                // Sngine joins by plain string concatenation, whatever the URL holds; junk
                // a browser or an old tab may carry comes before the site's own key.
                let mut with_junk = redirect.clone();
                for pair in &junk {
                    with_junk.push(if with_junk.contains('?') { '&' } else { '?' });
                    with_junk.push_str(pair);
                }
                let sent = format!("{with_junk}?auth_key={key}");
                let target = RedirectTarget::parse(&redirect).unwrap();
                // What the browser asks for: the path as it reads it (`/a/./b` is `/a/b`).
                let url = Url::parse(&sent).unwrap();
                let path_and_query = format!("{}?{}", url.path(), url.query().unwrap_or_default());
                let path_and_query = path_and_query.as_str();
                let host = format!("{}:{}", target.host, target.port);
                prop_assert_eq!(
                    inspect(&target, true, Some(&host), path_and_query),
                    RedirectRequest::Key(Secret::new(key.clone()))
                );
                // The same address pasted is read the same way.
                let pasted = crate::login::paste::parse(&sent).unwrap();
                prop_assert_eq!(pasted.expose(), key.as_str());
                // Anything but a GET with the listener's own Host is turned away.
                let status = |v: RedirectRequest| match v {
                    RedirectRequest::Reject { status, .. } => status,
                    RedirectRequest::Key(_) => 200,
                };
                prop_assert_eq!(status(inspect(&target, false, Some(&host), path_and_query)), 405);
                prop_assert_eq!(status(inspect(&target, true, Some("evil.example"), path_and_query)), 400);
            }
        }
    }
}
