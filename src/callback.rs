//! The temporary listener on the loopback interface that catches the browser when the site
//! sends it back to the app's redirect URL with a one-time `auth_key`.
//!
//! The protocol has no `state` parameter, so the listener is strict about everything else:
//! only a GET on the exact redirect path, with a Host header naming the listener (a guard
//! against DNS rebinding), is taken; anything else is answered and ignored.

use crate::error;
use crate::secret::Secret;
use anyhow::{Result, bail};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc::Sender;
use url::{Host, Url};

/// Where the browser will be sent: the app's registered redirect URL, taken apart.
#[derive(Debug, Clone)]
pub struct RedirectTarget {
    pub url: String,
    host: Host,
    pub port: u16,
    pub path: String,
}

impl RedirectTarget {
    /// Accepts an `http://` URL on a loopback host, the only kind a local listener can catch.
    pub fn parse(redirect_url: &str) -> Result<RedirectTarget> {
        let url = Url::parse(redirect_url).map_err(|e| {
            error::hinted(
                format!("invalid redirect URL '{redirect_url}': {e}"),
                "set PIPI_REDIRECT_URL to the redirect URL registered for the app, such as http://127.0.0.1:8765/callback",
            )
        })?;
        if url.scheme() != "http" || !crate::settings::is_loopback(&url) {
            return Err(error::hinted(
                format!(
                    "the redirect URL {redirect_url} is not an http:// address on this machine, so pipi cannot catch the redirect"
                ),
                "register a redirect URL such as http://127.0.0.1:8765/callback for the app and set PIPI_REDIRECT_URL to it",
            ));
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

    fn bind_addr(&self) -> SocketAddr {
        let ip = match &self.host {
            Host::Ipv4(ip) => IpAddr::V4(*ip),
            Host::Ipv6(ip) => IpAddr::V6(*ip),
            Host::Domain(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        SocketAddr::new(ip, self.port)
    }

    /// Whether a Host header names this listener: `host:port`, or `host` alone on port 80.
    fn is_own_host(&self, header: &str) -> bool {
        let header = header.trim().to_ascii_lowercase();
        let host = self.host.to_string().to_ascii_lowercase();
        header == format!("{host}:{}", self.port) || (self.port == 80 && header == host)
    }
}

/// What to do with one request that reached the listener.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The redirect, with its key.
    Key(Secret),
    /// Not the redirect: answer with this status and message, and keep waiting.
    Reject { status: u16, message: &'static str },
}

/// Bound listening sockets, served by background threads until dropped.
pub struct CallbackListener {
    target: RedirectTarget,
    servers: Vec<Arc<tiny_http::Server>>,
}

impl CallbackListener {
    /// Binds the redirect URL's host and port, or says at once why it cannot.
    pub fn bind(target: RedirectTarget) -> Result<CallbackListener> {
        let addr = target.bind_addr();
        let listener = TcpListener::bind(addr).map_err(|e| {
            let why = match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "the port is already in use (another 'pipi login' still waiting?)".to_string()
                }
                std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            };
            error::hinted(
                format!("cannot listen on {addr} for the login redirect: {why}"),
                format!(
                    "stop what holds {addr}, or register another redirect URL for the app \
                     (such as http://127.0.0.1:{}/callback) and set PIPI_REDIRECT_URL to it",
                    target.port.wrapping_add(1).max(1024)
                ),
            )
        })?;
        let server = tiny_http::Server::from_listener(listener, None)
            .map_err(|e| anyhow::anyhow!("cannot serve on {addr}: {e}"))?;
        Ok(CallbackListener {
            target,
            servers: vec![Arc::new(server)],
        })
    }

    pub fn target(&self) -> &RedirectTarget {
        &self.target
    }

    /// Sends every request that arrives into `tx`, from background threads. tiny_http reads
    /// each connection on its own thread, so a stalled client never holds up the others.
    pub fn forward<E: Send + 'static>(&self, tx: Sender<E>, wrap: fn(tiny_http::Request) -> E) {
        for server in &self.servers {
            let server = Arc::clone(server);
            let tx = tx.clone();
            std::thread::spawn(move || {
                while let Ok(req) = server.recv() {
                    if tx.send(wrap(req)).is_err() {
                        break;
                    }
                }
            });
        }
    }

    /// Decides what a request is: the redirect with its key, or something to refuse.
    pub fn inspect(&self, req: &tiny_http::Request) -> Verdict {
        let host = req
            .headers()
            .iter()
            .find(|h| h.field.equiv("Host"))
            .map(|h| h.value.as_str());
        inspect(
            &self.target,
            req.method() == &tiny_http::Method::Get,
            host,
            req.url(),
        )
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        for server in &self.servers {
            server.unblock();
        }
    }
}

fn inspect(target: &RedirectTarget, is_get: bool, host: Option<&str>, url: &str) -> Verdict {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if path != target.path {
        return Verdict::Reject {
            status: 404,
            message: "Nothing here.",
        };
    }
    if !is_get {
        return Verdict::Reject {
            status: 405,
            message: "Only GET is accepted here.",
        };
    }
    if !host.is_some_and(|h| target.is_own_host(h)) {
        return Verdict::Reject {
            status: 400,
            message: "Unexpected Host header.",
        };
    }
    match find_auth_key(query) {
        Some(key) => Verdict::Key(key),
        None => Verdict::Reject {
            status: 400,
            message: "This address has no valid auth_key. Start again with 'pipi login'.",
        },
    }
}

/// Finds `auth_key` in a query, also in the one Sngine builds by plain string joining when the
/// registered redirect URL already had a query (`src=cli?auth_key=KEY`). The last one wins:
/// the site appends its own.
pub fn find_auth_key(query: &str) -> Option<Secret> {
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
pub fn respond(req: tiny_http::Request, status: u16, title: &str, message: &str) {
    let esc = |s: &str| html_escape::encode_text(s).into_owned();
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t} - pipi</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:32em;margin:4em auto;padding:0 1em}}</style>\
         </head><body><h1>{t}</h1><p>{m}</p></body></html>\n",
        t = esc(title),
        m = esc(message),
    );
    let headers = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Content-Type-Options", "nosniff"),
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'",
        ),
    ];
    let mut response = tiny_http::Response::from_string(html).with_status_code(status);
    for (name, value) in headers {
        if let Ok(h) = tiny_http::Header::from_bytes(name, value) {
            response.add_header(h);
        }
    }
    if status == 405
        && let Ok(h) = tiny_http::Header::from_bytes("Allow", "GET")
    {
        response.add_header(h);
    }
    // A browser that went away is no reason to fail the login.
    let _ = req.respond(response);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> RedirectTarget {
        RedirectTarget::parse(url).unwrap()
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
        assert_eq!(ok, Verdict::Key(Secret::new("k1")));
        let status = |v: Verdict| match v {
            Verdict::Reject { status, .. } => status,
            Verdict::Key(_) => 200,
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
    fn only_loopback_http_redirects_can_be_caught() {
        assert!(RedirectTarget::parse("https://127.0.0.1:8765/cb").is_err());
        assert!(RedirectTarget::parse("http://example.com/cb").is_err());
        assert!(RedirectTarget::parse("not a url").is_err());
        assert_eq!(target("http://127.0.0.1/cb").port, 80);
    }
}
