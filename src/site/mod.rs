//! The site client: the one place that talks HTTP to a Sngine site. The key exchange, the
//! user info and any other endpoint, with every answer checked, since errors come with HTTP
//! 200 and proxies in front send anything. Each request and answer is logged (`log` at debug
//! level, answers at trace level), for the caller's logger to show. The secrets a call is
//! made with (app secret and auth key, or token) are masked, with any value written after a
//! secret's name, in every log record and error message built from what the server sent.

pub(crate) mod token;
pub(crate) mod url;
pub(crate) mod user;

use crate::error::{self, Error, ErrorKind, Setting};
use crate::redact::Known;
use crate::secret::Secret;
use reqwest::blocking::{RequestBuilder, Response};
use serde_json::{Map, Value};
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use error::Result;

/// Bodies larger than this are not the API speaking; reading stops there.
const MAX_BODY: u64 = 1 << 20;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The site's user info for a token, as `get_user_info` gave it.
#[derive(Debug, Clone)]
pub struct UserInfo {
    /// The body as received, entities and all.
    pub raw: String,
    /// The `user_info` object in the server's order, every text entity-decoded (`Jos&eacute;`
    /// becomes `José`), unknown fields and nulls kept.
    pub user: Map<String, Value>,
}

/// An answer from [`Client::call`]: the body as received and its JSON.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The body as received.
    pub raw: String,
    /// The body, parsed.
    pub json: Value,
}

/// How [`Client::call`] sends its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// In the query string, as Sngine's API reads them.
    Get,
    /// As a form body; the token stays in the query string, where every version reads it.
    Post,
}

/// Where a site's `/api/authorize` reads its parameters, as learnt by
/// [`Client::check_app`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reads {
    /// A form-encoded POST body: Sngine 4.0.4 and later (or a server that reads both).
    Form,
    /// The query string only: Sngine up to 4.0.3, so the exchange goes as a GET at once.
    Query,
}

/// What [`Client::check_app`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AppCheck {
    /// The site, its developers module, the app and its secret are all right.
    Fine(Reads),
    /// The site answered in words pipi cannot read (a translated message): nothing is known,
    /// and the login goes on as it would have without the check.
    Unknown(String),
}

/// An auth key no Sngine site can have issued (its keys are 32 hex digits), for
/// [`Client::check_app`]: the site refuses it after checking everything else, and stores
/// nothing.
const IMPOSSIBLE_AUTH_KEY: &str = "pipi-checks-the-app-with-no-key";

/// What to check when the base URL does not lead to a Sngine site's API.
const BASE_URL_HINT: &str =
    "check the base URL: the site's address, with http or https as the site itself uses";

/// A client for one Sngine site.
///
/// ```no_run
/// # fn main() -> pipi::Result<()> {
/// let site = pipi::Client::new("https://pipichat.com", std::time::Duration::from_secs(30))?;
/// # let token = pipi::Secret::new("0123456789abcdef0123456789abcdef");
/// let user_info = site.user_info(&token)?;
/// println!("{}", user_info.user["user_name"]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::blocking::Client,
    base_url: String,
    /// The most one request may take, from connecting to the end of its answer.
    timeout: Duration,
    /// How the site reads `/api/authorize`, once [`Client::check_app`] learnt it.
    reads: Arc<OnceLock<Reads>>,
}

impl Client {
    /// A client for the site at `base_url` (checked: `https://`, or `http://` on this
    /// machine only), whose requests each take at most `timeout`, from connecting to the
    /// last byte of the answer. Builds the HTTP client; sends nothing.
    ///
    /// TLS uses rustls with ring, given to this client alone (the process's default crypto
    /// provider is left as the program set it, or unset), and the system's certificate
    /// verification.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Client> {
        let base_url = url::normalize_base_url(base_url)?;
        let base_url = base_url.as_str();
        // Plain http is only ever allowed on loopback, and redirects are not followed, so
        // such a client never makes a TLS connection: it need not read the system's
        // certificate store, which is most of the cost of a `pipi whoami`.
        let tls = crate::http::tls_config(!base_url.starts_with("http://"))
            .map_err(|e| Error::new(ErrorKind::Failed, "failed to set up TLS").caused_by(e))?;
        let mut builder = reqwest::blocking::Client::builder().tls_backend_preconfigured(tls);
        // A proxy from the environment cannot reach this machine's loopback on our behalf.
        if ::url::Url::parse(base_url).is_ok_and(|u| url::is_loopback(&u)) {
            builder = builder.no_proxy();
        }
        let http = builder
            // A redirect on an API call means a wrong base URL, not something to follow.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .user_agent(concat!("pipi/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Failed, "failed to set up the HTTP client").caused_by(e)
            })?;
        Ok(Client {
            http,
            base_url: base_url.to_string(),
            timeout,
            reads: Arc::new(OnceLock::new()),
        })
    }

    /// The site's base URL, in its one spelling.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn endpoint(&self, name: &str) -> String {
        format!("{}/api/{name}", self.base_url)
    }

    /// Trades a one-time auth key for an access token. Sends a form POST first, as Sngine
    /// 4.0.4 and later read only that; an older server, which reads only the query string,
    /// answers `invalid app_id` without using up the key, and then the same request goes as
    /// a GET with the values in the URL.
    pub fn exchange_auth_key(
        &self,
        app_id: &str,
        app_secret: &Secret,
        auth_key: &Secret,
    ) -> Result<Secret> {
        let reads = self.reads.get().copied();
        let answer = self
            .authorize(app_id, app_secret, auth_key.expose(), reads)
            .1?;
        match answer.get("access_token").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => match token::check_token(token) {
                Ok(()) => Ok(Secret::new(token)),
                // Said without the value: it is not shown, even masked, and is not kept.
                Err(problem) => Err(Error::new(
                    ErrorKind::MalformedToken(problem.clone()),
                    format!("the site sent a token pipi does not accept: {problem}"),
                )
                .with_hint(
                    "nothing was kept, and a token cached before is untouched; check the base \
                     URL: a Sngine site sends 32 hex characters",
                )),
            },
            _ => Err(Error::new(
                ErrorKind::Network,
                format!(
                    "the server's answer to authorize has no access_token ({} bytes of JSON)",
                    answer.to_string().len()
                ),
            )),
        }
    }

    /// Sends `/api/authorize` the way this site reads it: as learnt, or a form POST first
    /// and, if an old server read an empty query string and answered `invalid app_id`, a GET
    /// with the values in the URL. Returns the way the last request was sent, and its answer.
    fn authorize(
        &self,
        app_id: &str,
        app_secret: &Secret,
        auth_key: &str,
        reads: Option<Reads>,
    ) -> (Reads, Result<Value>) {
        let form = [
            ("app_id", app_id),
            ("app_secret", app_secret.expose()),
            ("auth_key", auth_key),
        ];
        let url = self.endpoint("authorize");
        // The key that checks the app is no secret: the site may echo it in its message.
        let key = Some(auth_key).filter(|k| *k != IMPOSSIBLE_AUTH_KEY);
        let secrets = Known::from_iter([app_secret.expose()].into_iter().chain(key));
        let get = || {
            let answer = self.send(self.http.get(&url).query(&form), "authorize", &secrets);
            (Reads::Query, answer.map(|(_, json)| json))
        };
        if reads == Some(Reads::Query) {
            return get();
        }
        match self.send(self.http.post(&url).form(&form), "authorize", &secrets) {
            Err(e) if reads.is_none() && e.refusal() == Some(&error::Refusal::InvalidAppId) => {
                log::debug!(
                    "the form POST was refused with 'invalid app_id': trying GET, as Sngine before 4.0.4 reads only the query string"
                );
                get()
            }
            other => (Reads::Form, other.map(|(_, json)| json)),
        }
    }

    /// Checks, before any browser opens, everything the key exchange will need but the key:
    /// the site checks `/api/authorize`'s parameters in a fixed order (present, the app, its
    /// secret, the key), so one exchange with a key that cannot be valid tells whether the
    /// base URL answers as a Sngine site, its developers module is on, the app exists, the
    /// secret is right, and whether it reads a POST body or only the query string. The
    /// refused key changes nothing on the site.
    pub(crate) fn check_app(&self, app_id: &str, app_secret: &Secret) -> Result<AppCheck> {
        let (reads, answer) = self.authorize(app_id, app_secret, IMPOSSIBLE_AUTH_KEY, None);
        let refusal = self.refusal_of_check(answer)?;
        let check = self.judge_check(&refusal, reads, app_id)?;
        if let AppCheck::Fine(reads) = check {
            let _ = self.reads.set(reads);
        }
        Ok(check)
    }

    /// The site's refusal of the check's impossible key, or the error that says the base
    /// URL does not lead to a Sngine site.
    fn refusal_of_check(&self, answer: Result<Value>) -> Result<Error> {
        let site = url::site_label(&self.base_url);
        let e = match answer {
            // A key nobody issued cannot be exchanged: whatever this is, it is not Sngine.
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::Network,
                    format!("{site} does not answer as a Sngine site: it accepted a key that cannot exist"),
                )
                .with_hint(BASE_URL_HINT)
                .with_setting(Setting::BaseUrl));
            }
            Err(e) => e,
        };
        if e.refusal().is_some() {
            return Ok(e);
        }
        if e.kind() != &ErrorKind::Network {
            return Err(e);
        }
        let hint = e.hint().unwrap_or(BASE_URL_HINT).to_string();
        Err(e.under(
            Error::new(
                ErrorKind::Network,
                format!("{site} does not answer as a Sngine site"),
            )
            .with_hint(hint)
            .with_setting(Setting::BaseUrl),
        ))
    }

    /// What the site's refusal of the check's impossible key says about the app.
    fn judge_check(&self, refusal: &Error, reads: Reads, app_id: &str) -> Result<AppCheck> {
        use error::Refusal;
        let site = url::site_label(&self.base_url);
        let said = refusal.server_message().unwrap_or_default().to_string();
        let fail = |message: String, hint: &str, setting: Setting| -> Error {
            refusal
                .reclassified(
                    refusal.kind().clone(),
                    format!("{message} (the server said: {said})"),
                )
                .with_hint(hint)
                .with_setting(setting)
        };
        match refusal.refusal() {
            // Everything but the key was right; the method that got this far is the one.
            Some(Refusal::InvalidAuthKey) => Ok(AppCheck::Fine(reads)),
            Some(Refusal::UnknownApp) => Err(fail(
                format!("{site} has no app with the id {app_id}, or the app is disabled"),
                "check the app id against the site's developers dashboard, and the base URL",
                Setting::AppId,
            )),
            Some(Refusal::InvalidAppSecret) => Err(fail(
                format!("{site} refused the app secret of app {app_id}"),
                "check the app secret against the site's developers dashboard",
                Setting::AppSecret,
            )),
            Some(Refusal::ModuleDisabled) => Err(fail(
                format!("the developers module of {site} is turned off: no app can log in there"),
                "the site's admin can turn it on; if this is not the site you meant, check the base URL",
                Setting::BaseUrl,
            )),
            // The app id was sent both ways and read by neither.
            Some(Refusal::InvalidAppId) => Err(fail(
                format!(
                    "{site} read no app id, neither from a form POST nor from the query string"
                ),
                BASE_URL_HINT,
                Setting::BaseUrl,
            )),
            Some(Refusal::InvalidParameters) => Err(fail(
                format!("{site} has no Sngine login API at /api/authorize"),
                BASE_URL_HINT,
                Setting::BaseUrl,
            )),
            _ => Ok(AppCheck::Unknown(said)),
        }
    }

    /// Fetches the user info of the person the token belongs to. A token the site refuses is
    /// [`ErrorKind::AuthNeeded`]; a deleted account (the site answers `[]`) is
    /// [`ErrorKind::Failed`].
    pub fn user_info(&self, token: &Secret) -> Result<UserInfo> {
        let request = self
            .http
            .get(self.endpoint("get_user_info"))
            .query(&[("access_token", token.expose())]);
        let secrets = Known::from_iter([token.expose()]);
        let (raw, json) = self
            .send(request, "get_user_info", &secrets)
            .map_err(token_refusal)?;
        match json {
            Value::Array(items) if items.is_empty() => Err(Error::new(
                ErrorKind::Failed,
                "the server has no user for this token (the account was deleted)",
            )),
            Value::Object(mut obj) => match obj.remove("user_info") {
                Some(Value::Object(user)) => Ok(UserInfo {
                    raw,
                    user: user::decode(user),
                }),
                _ => Err(Error::new(
                    ErrorKind::Network,
                    "the server's answer to get_user_info has no user_info object",
                )),
            },
            _ => Err(Error::new(
                ErrorKind::Network,
                "the server's answer to get_user_info is not a JSON object",
            )),
        }
    }

    /// Calls any endpoint with the token and the given parameters, and returns the answer's
    /// body and JSON, checked as every answer is. `endpoint` is one or more path segments.
    /// A token the site refuses is [`ErrorKind::AuthNeeded`]; an endpoint that is not a
    /// plain path under the API ([`endpoint_path`]) is [`ErrorKind::InvalidEndpoint`], and nothing is
    /// sent.
    pub fn call(
        &self,
        method: Method,
        endpoint: &str,
        token: &Secret,
        fields: &[(String, String)],
    ) -> Result<Answer> {
        let endpoint = &endpoint_path(endpoint)?;
        let url = self.endpoint(endpoint);
        let secrets = Known::from_iter([token.expose()]);
        let token = [("access_token", token.expose())];
        let request = match method {
            Method::Get => self.http.get(url).query(&token).query(fields),
            Method::Post => self.http.post(url).query(&token).form(fields),
        };
        self.send(request, endpoint, &secrets)
            .map_err(token_refusal)
            .map(|(raw, json)| Answer { raw, json })
    }

    /// Sends one request and checks its answer, logging both in debug mode, `secrets` (those
    /// the request carries) masked in every record and message. The whole
    /// exchange, from connecting to the last byte of the body, has one deadline: reqwest's
    /// blocking timeout bounds each read of the body on its own, so a server that drips a
    /// byte at a time would otherwise hold pipi for as long as it likes.
    fn send(
        &self,
        request: RequestBuilder,
        endpoint: &str,
        secrets: &Known,
    ) -> Result<(String, Value)> {
        let what = format!("{} {endpoint}", url::site_label(&self.base_url));
        let request = request
            .build()
            .map_err(|e| transport_error(e, &what, secrets))?;
        if log::log_enabled!(log::Level::Debug) {
            let mut line = format!("request: {} {}", request.method(), request.url());
            if let Some(body) = request.body().and_then(|b| b.as_bytes()) {
                line.push_str(&format!(" body: {}", String::from_utf8_lossy(body)));
            }
            log::debug!("{}", secrets.redact(&line));
        }
        trace_headers(
            "request",
            request
                .headers()
                .iter()
                .map(|(name, value)| (name.as_str(), String::from_utf8_lossy(value.as_bytes()))),
            secrets,
        );
        let started = Instant::now();
        let answer = self
            .fetch(request, &what, secrets)
            .and_then(|raw| self.read_answer(raw, &what, started, secrets));
        if let Err(e) = answer.as_ref()
            && log::log_enabled!(log::Level::Debug)
        {
            let line = format!("failed after {}ms: {e:#}", started.elapsed().as_millis());
            log::debug!("{}", secrets.redact(&line));
        }
        answer
    }

    /// Runs the request on a thread of its own and waits for the whole answer, body
    /// included, until the deadline. A request still running then is abandoned: its thread
    /// stops reading at the next byte that comes, or when the next read times out.
    fn fetch(
        &self,
        request: reqwest::blocking::Request,
        what: &str,
        secrets: &Known,
    ) -> Result<RawAnswer> {
        let http = self.http.clone();
        let abandoned = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&abandoned);
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("pipi-request".into())
            .spawn(move || {
                let answer = http
                    .execute(request)
                    .map(|resp| RawAnswer::read(resp, &stop));
                let _ = tx.send(answer);
            });
        if let Err(e) = spawned {
            return Err(network(format!("{what}: cannot start the request: {e}")));
        }
        match rx.recv_timeout(self.timeout) {
            Ok(Ok(raw)) => Ok(raw),
            Ok(Err(e)) => Err(transport_error(e, what, secrets)),
            Err(_) => {
                abandoned.store(true, Ordering::SeqCst);
                Err(network(format!(
                    "{what}: the server did not answer in time (the whole answer within {})",
                    humantime::format_duration(self.timeout)
                )))
            }
        }
    }

    /// Checks an answer from the API and returns its body and JSON, logging what came with
    /// `secrets` masked.
    fn read_answer(
        &self,
        raw: RawAnswer,
        what: &str,
        started: Instant,
        secrets: &Known,
    ) -> Result<(String, Value)> {
        if log::log_enabled!(log::Level::Debug) {
            log_answer(&raw, started, secrets);
        }
        trace_headers(
            "answer",
            raw.headers.iter().map(|(n, v)| (n.as_str(), v)),
            secrets,
        );
        if log::log_enabled!(log::Level::Trace) {
            // Masked whole, then cut: a secret cut in two would no longer be found.
            let body = secrets.redact(&String::from_utf8_lossy(&raw.body));
            log::trace!("answer body: {}", one_line(&body, 2000));
        }
        classify_answer(what, &raw, secrets)
    }
}

/// The debug record of an answer: its status, and where it redirects or what it holds.
fn log_answer(raw: &RawAnswer, started: Instant, secrets: &Known) {
    let took = started.elapsed().as_millis();
    let line = match (&raw.location, raw.is_redirect()) {
        (location, true) => format!(
            "answer: {} redirect to {} in {took}ms",
            status_text(raw.status),
            location
                .as_deref()
                .map_or_else(|| "nowhere".to_string(), without_query)
        ),
        _ => format!(
            "answer: {} ({}, {} bytes{}) in {took}ms",
            status_text(raw.status),
            raw.content_type.as_deref().unwrap_or("no content type"),
            raw.body.len(),
            if raw.over_cap { " or more" } else { "" }
        ),
    };
    log::debug!("{}", secrets.redact(&line));
}

/// Each header on a trace line of its own (`request header: name: value`), with the call's
/// secrets masked.
fn trace_headers<'a, V: AsRef<str>>(
    side: &str,
    headers: impl Iterator<Item = (&'a str, V)>,
    secrets: &Known,
) {
    if log::log_enabled!(log::Level::Trace) {
        for (name, value) in headers {
            let line = format!("{side} header: {name}: {}", value.as_ref());
            log::trace!("{}", secrets.redact(&line));
        }
    }
}

/// An answer as it came off the wire, before any judgement: status, the headers that
/// matter, and at most [`MAX_BODY`] bytes of body.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawAnswer {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) body: Vec<u8>,
    /// The body went on past [`MAX_BODY`]; reading stopped there.
    pub(crate) over_cap: bool,
    /// The body broke off (a reset, a read that timed out): the error, for the message.
    pub(crate) broken: Option<String>,
    /// Every header, for the trace log only.
    headers: Vec<(String, String)>,
}

impl RawAnswer {
    /// Reads a response whole, up to the cap, a chunk at a time; stops early once `stop` is
    /// set (the caller gave up waiting).
    fn read(mut resp: Response, stop: &AtomicBool) -> RawAnswer {
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let mut raw = RawAnswer {
            status: resp.status().as_u16(),
            content_type: header(reqwest::header::CONTENT_TYPE),
            location: header(reqwest::header::LOCATION),
            headers: if log::log_enabled!(log::Level::Trace) {
                resp.headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into()))
                    .collect()
            } else {
                Vec::new()
            },
            ..RawAnswer::default()
        };
        // A redirect's body is never read: the answer is an error whatever it holds.
        if raw.is_redirect() {
            return raw;
        }
        let mut chunk = [0u8; 8192];
        while !stop.load(Ordering::SeqCst) {
            match resp.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    let room = (MAX_BODY as usize).saturating_sub(raw.body.len());
                    raw.body.extend_from_slice(&chunk[..n.min(room)]);
                    if n > room {
                        raw.over_cap = true;
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    raw.broken = Some(read_error(&e));
                    break;
                }
            }
        }
        raw
    }

    fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }
}

/// A status with its reason phrase, as `200 OK`.
fn status_text(status: u16) -> String {
    reqwest::StatusCode::from_u16(status).map_or_else(|_| status.to_string(), |s| s.to_string())
}

/// What broke a body off, in a few words, never a URL.
fn read_error(e: &std::io::Error) -> String {
    innermost_cause(e).unwrap_or_else(|| e.to_string())
}

/// The last error in the chain of `e`'s sources: the one that says what really happened
/// (reqwest's own words wrap it), if there is one.
fn innermost_cause(e: &dyn std::error::Error) -> Option<String> {
    let mut cause = None;
    let mut source = e.source();
    while let Some(s) = source {
        cause = Some(s.to_string());
        source = s.source();
    }
    cause
}

/// Judges an answer from the API: its JSON, or an error of the right kind. Every failure
/// becomes a short message on one line: no HTML page, no URL (it may hold a secret), at
/// most a short excerpt of the body. `what` names the site and endpoint; `secrets`, those
/// the request carried, are masked in whatever of the answer a message keeps, the site's
/// own message included, before it is cut short.
pub(crate) fn classify_answer(
    what: &str,
    raw: &RawAnswer,
    secrets: &Known,
) -> Result<(String, Value)> {
    check_transport(what, raw, secrets)?;
    let size = raw.body.len();
    // JSON is UTF-8, and PHP's json_encode refuses to write anything else: bytes that are
    // not come from something between pipi and the site.
    let Ok(text) = std::str::from_utf8(&raw.body) else {
        return Err(network(format!(
            "{what}: the server's answer is not UTF-8 text ({}, {size} bytes)",
            content_type(raw, secrets)
        )));
    };
    let json: Value = serde_json::from_str(text).map_err(|e| {
        let why = match e.classify() {
            serde_json::error::Category::Eof => "is cut short",
            _ => "is not JSON",
        };
        network(format!(
            "{what}: the server's answer {why} ({}, {size} bytes){}",
            content_type(raw, secrets),
            excerpt(&secrets.redact(text))
        ))
    })?;
    if json.get("error").is_some_and(is_truthy) {
        let message = json
            .get("message")
            .and_then(Value::as_str)
            .map(|m| html_escape::decode_html_entities(m).trim().to_string())
            .unwrap_or_else(|| "an error without a message".to_string());
        return Err(Error::refused(&message, secrets).context(what));
    }
    Ok((text.to_string(), json))
}

/// The answer's content type for a message: masked, on one line, short. Made only for an
/// error, since masking scans the text for every secret of the call.
fn content_type(raw: &RawAnswer, secrets: &Known) -> String {
    let said = raw.content_type.as_deref().unwrap_or("no content type");
    one_line(&secrets.redact(said), 60)
}

/// Refuses what no API answer is, whatever its body says: a redirect, a broken
/// connection, an HTTP error, a body over the cap, or none.
fn check_transport(what: &str, raw: &RawAnswer, secrets: &Known) -> Result<()> {
    let status = status_text(raw.status);
    if raw.is_redirect() {
        let location = raw.location.as_deref().map_or_else(
            || "nowhere".to_string(),
            |l| without_query(&secrets.redact(l)),
        );
        let location = one_line(&location, 200);
        return Err(Error::new(
            ErrorKind::Network,
            format!("{what}: the server answered with a redirect ({status}) to {location}"),
        )
        .with_hint("is the base URL right? check http vs https and the host name the site uses")
        .with_setting(Setting::BaseUrl));
    }
    let size = raw.body.len();
    if let Some(cause) = &raw.broken {
        return Err(network(format!(
            "{what}: the connection broke while reading the answer (after {size} bytes): {}",
            one_line(&secrets.redact(cause), 200)
        )));
    }
    let text = String::from_utf8_lossy(&raw.body);
    if !(200..300).contains(&raw.status) {
        return Err(network(format!(
            "{what}: the server answered HTTP {status} ({}, {size} bytes){}",
            content_type(raw, secrets),
            excerpt(&secrets.redact(&text))
        )));
    }
    if raw.over_cap {
        return Err(network(format!(
            "{what}: the server's answer is over {} KiB, too large to be the API's ({})",
            MAX_BODY / 1024,
            content_type(raw, secrets)
        )));
    }
    if text.trim().is_empty() {
        return Err(network(format!(
            "{what}: the server sent an empty answer (HTTP {status})"
        )));
    }
    Ok(())
}

/// Where a redirect points, without its query: a proxy that redirects to https or to `www.`
/// echoes the request's query, token or secret included.
fn without_query(location: &str) -> String {
    match location.split_once(['?', '#']) {
        Some((before, _)) => format!("{before}?..."),
        None => location.to_string(),
    }
}

/// PHP encodes `true` as `true`, but forks send `1` or `"1"` too.
fn is_truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty() && s != "0",
        _ => false,
    }
}

/// The endpoint as a path under `BASE/api/`: one or more plain segments (letters, digits,
/// `_`, `-`, `.`), never `..`, a scheme or a query, so that the token only ever goes to the
/// site's API. `/api/NAME` and `NAME/` are read as `NAME`. Anything else is
/// [`ErrorKind::InvalidEndpoint`].
pub fn endpoint_path(raw: &str) -> Result<String> {
    let refuse = |why: &str| {
        Error::new(
            ErrorKind::InvalidEndpoint,
            format!("invalid endpoint '{raw}': {why}"),
        )
    };
    if raw.contains("://") {
        return Err(refuse("it is a URL; the site is the client's base URL"));
    }
    if raw.contains(['?', '#', '&']) {
        return Err(refuse("parameters go in the fields, not in the endpoint"));
    }
    let trimmed = raw.trim_matches('/');
    let path = trimmed.strip_prefix("api/").unwrap_or(trimmed);
    if path.is_empty() {
        return Err(refuse("it is empty"));
    }
    for segment in path.split('/') {
        let plain = segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if segment.is_empty() || segment == "." || segment == ".." || !plain {
            return Err(refuse(
                "use letters, digits, '_', '-' and '.' between the slashes, and no '..'",
            ));
        }
    }
    Ok(path.to_string())
}

/// A token the site refused means logging in again: the refusal becomes
/// [`ErrorKind::AuthNeeded`], keeping the server's message.
fn token_refusal(err: Error) -> Error {
    if !err.refusal().is_some_and(|r| r.is_token()) {
        return err;
    }
    let message = err.server_message().unwrap_or_default().to_string();
    err.under(Error::new(
        ErrorKind::AuthNeeded,
        format!("the server refused the token: {message}"),
    ))
}

/// An answer that is not the API speaking, or a broken connection.
fn network(message: String) -> Error {
    Error::new(ErrorKind::Network, message)
}

/// A body for the log: one line, cut at `max` characters.
fn one_line(body: &str, max: usize) -> String {
    let flat: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let count = flat.chars().count();
    if count <= max {
        return flat;
    }
    let short: String = flat.chars().take(max).collect();
    format!("{short}... ({} more characters)", count - max)
}

fn transport_error(e: reqwest::Error, what: &str, secrets: &Known) -> Error {
    // The URL may carry a token or a secret in its query: never show it.
    let e = e.without_url();
    let kind = if e.is_timeout() {
        "the server did not answer in time"
    } else if e.is_connect() {
        "could not connect to the server"
    } else {
        "the request failed"
    };
    match innermost_cause(&e) {
        Some(cause) if !cause.is_empty() => {
            network(format!("{what}: {kind}: {}", secrets.redact(&cause)))
        }
        _ => network(format!("{what}: {kind}")),
    }
}

/// A short, single-line taste of a body for an error message: an HTML page's title, or the
/// first characters of anything else, with markup taken out (PHP prints its warnings as HTML).
fn excerpt(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let source = match (lower.find("<title>"), lower.find("</title>")) {
        (Some(a), Some(b)) if a + 7 <= b => &text[a + 7..b],
        _ if lower.contains("<html") || lower.contains("<!doctype") => "",
        _ => text,
    };
    let mut plain = String::new();
    let mut in_tag = false;
    for c in source.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            c if !in_tag && !c.is_control() => plain.push(c),
            _ if !in_tag => plain.push(' '),
            _ => {}
        }
    }
    let flat = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return String::new();
    }
    let short: String = flat.chars().take(80).collect();
    let more = if flat.chars().count() > 80 { "..." } else { "" };
    format!(": \"{short}{more}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_plain() {
        assert_eq!(
            excerpt("<html><title>502 Bad\n Gateway</title><body>x"),
            ": \"502 Bad Gateway\""
        );
        assert_eq!(excerpt("<!DOCTYPE html><body>nothing</body>"), "");
        assert_eq!(
            excerpt("<br />\n<b>Warning</b>: x in <b>f.php</b>"),
            ": \"Warning : x in f.php\""
        );
        let long = "x".repeat(200);
        assert_eq!(excerpt(&long).len(), ": \"".len() + 80 + "...\"".len());
    }

    #[test]
    fn redirect_targets_lose_their_query() {
        assert_eq!(
            without_query("https://www.a.org/api/get_user_info?access_token=abc"),
            "https://www.a.org/api/get_user_info?..."
        );
        assert_eq!(without_query("https://a.org/"), "https://a.org/");
    }

    #[test]
    fn log_lines_are_one_line_and_short() {
        assert_eq!(one_line("a\nb", 10), "a b");
        assert_eq!(one_line("abcdef", 3), "abc... (3 more characters)");
    }

    #[test]
    fn the_records_and_errors_of_a_call_mask_its_token_wherever_the_server_echoes_it() {
        use crate::log_capture::{self, records_with};
        use std::io::{BufRead, BufReader, Write};
        let token = "ec40ec40ec40ec40ec40ec40ec40ec40";
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let site_address = format!("127.0.0.1:{port}");
        log_capture::start(&[&site_address, "no such user for", "x-echo", token]);
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 0 && !line.ends_with("\r\n\r\n") {}
            let body = format!(
                r#"{{"error":true,"message":"no such user for {token}","echo":"{token}"}}"#
            );
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json; t={token}\r\nX-Echo: {token}\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            reader.get_mut().write_all(answer.as_bytes()).unwrap();
        });
        let site =
            Client::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(30)).unwrap();
        let e = site.user_info(&Secret::new(token)).unwrap_err();
        server.join().unwrap();
        let message = format!("{e:#} {e:?}");
        assert!(message.contains("no such user for [redacted]"), "{message}");
        assert!(!message.contains(token), "{message}");
        // The records of this call: the request, the answer's status, headers and body,
        // and the failure, each with the token masked.
        let site_records = records_with(&site_address);
        assert!(
            site_records
                .iter()
                .any(|r| r.contains("get_user_info?access_token=[redacted]")),
            "{site_records:?}"
        );
        let echoed = records_with("no such user for");
        assert!(
            echoed.iter().any(|r| r.starts_with("answer body:")),
            "{echoed:?}"
        );
        assert!(
            records_with("answer header: x-echo: [redacted]").len() == 1,
            "{:?}",
            records_with("x-echo")
        );
        assert_eq!(records_with(token), Vec::<String>::new());
    }

    #[test]
    fn truthy_error_flags() {
        assert!(is_truthy(&Value::Bool(true)));
        assert!(is_truthy(&serde_json::json!("1")));
        assert!(!is_truthy(&serde_json::json!(0)));
        assert!(!is_truthy(&serde_json::json!(0.0)));
        assert!(is_truthy(&serde_json::json!(1.5)));
        assert!(!is_truthy(&Value::Bool(false)));
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// The token the call is made with, which the answer may echo anywhere.
        const TOKEN: &str = "5ec7e75ec7e75ec7e75ec7e75ec7e7ab";

        /// Any JSON document, a few levels deep.
        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter("finite", |f| f.is_finite())
                    .prop_map(Value::from),
                any::<String>().prop_map(Value::String),
                Just(Value::String(TOKEN.to_string())),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    proptest::collection::vec(
                        (
                            prop_oneof![
                                "[a-z_]{1,12}",
                                Just("error".to_string()),
                                Just("message".to_string()),
                                Just("user_info".to_string()),
                                Just("access_token".to_string())
                            ],
                            inner
                        ),
                        0..6
                    )
                    .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
                ]
            })
        }

        /// Bodies as servers and what stands in front of them send: JSON documents, Sngine's
        /// errors, PHP warnings, HTML, any bytes at all, cut anywhere.
        fn body() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                json().prop_map(|v| v.to_string().into_bytes()),
                (any::<String>(), json()).prop_map(|(m, extra)| {
                    serde_json::json!({"error": true, "message": m, "extra": extra})
                        .to_string()
                        .into_bytes()
                }),
                "[^\\x00]{0,80}"
                    .prop_map(
                        |m| format!("{{\"error\":\"1\",\"message\":\"{m} {TOKEN}\"}}").into_bytes()
                    ),
                proptest::collection::vec(any::<u8>(), 0..600),
                "<html><title>[^<]{0,40}</title>[^\\x00]{0,100}".prop_map(String::into_bytes),
                (json(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
                    let mut bytes = v.to_string().into_bytes();
                    bytes.truncate(cut.index(bytes.len() + 1));
                    bytes
                }),
            ]
        }

        fn raw_answer() -> impl Strategy<Value = RawAnswer> {
            (
                prop_oneof![Just(200u16), Just(200), 100u16..600],
                proptest::option::of(prop_oneof![
                    Just("application/json".to_string()),
                    Just("text/html; charset=UTF-8".to_string()),
                    any::<String>(),
                ]),
                proptest::option::of(prop_oneof![
                    Just(format!(
                        "https://www.site.example/api/get_user_info?access_token={TOKEN}"
                    )),
                    any::<String>(),
                ]),
                body(),
                any::<bool>(),
                proptest::option::of(any::<String>()),
            )
                .prop_map(
                    |(status, content_type, location, body, over_cap, broken)| RawAnswer {
                        status,
                        content_type,
                        location,
                        body,
                        over_cap: over_cap && status % 7 == 0,
                        broken: broken.filter(|_| status % 5 == 0),
                        headers: Vec::new(),
                    },
                )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(4000))]

            #[test]
            fn any_answer_is_judged_without_panic_and_with_a_sensible_kind(raw in raw_answer()) {
                let secrets = Known::from_iter([TOKEN]);
                match classify_answer("site.example get_user_info", &raw, &secrets) {
                    Ok((text, json)) => {
                        prop_assert!((200..300).contains(&raw.status));
                        prop_assert!(!raw.over_cap && raw.broken.is_none());
                        prop_assert_eq!(text.as_bytes(), raw.body.as_slice());
                        prop_assert!(!json.get("error").is_some_and(is_truthy));
                    }
                    Err(e) => {
                        let found = &e;
                        let kind = found.kind().clone();
                        let sensible = kind == ErrorKind::Network || matches!(kind, ErrorKind::Refused(_));
                        prop_assert!(sensible, "{:?}", kind);
                        if !(200..300).contains(&raw.status) {
                            prop_assert_eq!(kind, ErrorKind::Network);
                        }
                        // Whatever the server echoed, the library's own message masks the
                        // token the call was made with, with no help from its caller: in
                        // its words, its causes, its Debug form and the site's message.
                        let message = format!("{e:#}");
                        prop_assert!(!message.contains(TOKEN), "{}", message);
                        prop_assert!(!format!("{e:?}").contains(TOKEN), "{:?}", e);
                        let said = found.server_message().unwrap_or_default();
                        prop_assert!(!said.contains(TOKEN), "{}", said);
                        // Apart from the site's own message, kept as it said it, the
                        // message is one line, with no page of HTML.
                        if found.server_message().is_none() {
                            prop_assert!(!message.contains('\n') && !message.contains('\r'), "{:?}", message);
                            prop_assert!(message.chars().count() < 600, "{}", message);
                        }
                    }
                }
            }
        }
    }
}
