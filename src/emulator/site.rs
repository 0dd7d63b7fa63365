//! The emulated site as a whole: what every request shares (configuration, state, clock,
//! shutdown), and the front door that checks the host, applies faults and hands each path
//! to its page or endpoint.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value};

use super::config::Config;
use super::faults::{Endpoint, FaultKind, HTML_500_BODY, PHP_WARNING};
use super::params::intval;
use super::state::State;
use super::{api, oauth, pages, users};
use crate::http::{Request, Response};

/// Everything the request threads of one emulator share.
pub(crate) struct Site {
    pub config: Config,
    /// `host:port` as clients must name it in `Host`, e.g. `127.0.0.1:40123`.
    pub host: String,
    state: Mutex<State>,
    stopped: Mutex<bool>,
    stop_signal: Condvar,
}

/// What to do with a request.
pub(crate) enum Answer {
    Respond(Response),
    /// Close the connection without a word.
    Reset,
}

impl Site {
    pub fn new(config: Config, host: String) -> Site {
        let state = State::new(config.faults.clone());
        Site {
            config,
            host,
            state: Mutex::new(state),
            stopped: Mutex::new(false),
            stop_signal: Condvar::new(),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.host)
    }

    pub fn home_url(&self) -> String {
        format!("{}/", self.base_url())
    }

    /// The state, even if a request thread panicked while holding it: every change to it is
    /// a single assignment, so it is never left half-done.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `app_id` names the registered app, compared the way PHP's `intval` reads it.
    pub fn is_app(&self, app_id: &str) -> bool {
        let registered = intval(&self.config.app_id);
        registered > 0 && intval(app_id) == registered
    }

    /// A person by `user_id`, deleted or not.
    pub fn person(&self, user_id: &str) -> Option<&Map<String, Value>> {
        self.config
            .users
            .iter()
            .find(|person| users::user_id(person) == Some(user_id))
    }

    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.stop_signal.notify_all();
    }

    pub fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps for `duration`, or less if the emulator stops meanwhile.
    pub fn sleep(&self, duration: Duration) {
        if duration.is_zero() {
            return;
        }
        let stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        drop(
            self.stop_signal
                .wait_timeout_while(stopped, duration, |stopped| !*stopped),
        );
    }

    /// Blocks until the emulator stops.
    pub fn wait_for_stop(&self) {
        let stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        drop(self.stop_signal.wait_while(stopped, |stopped| !*stopped));
    }
}

/// Answers one request.
pub(crate) fn answer(site: &Site, request: &Request) -> Answer {
    // A Sngine site sends any request that names another host (or scheme) than its
    // configured URL to its home page.
    let host_matches = request
        .header("host")
        .is_some_and(|host| host.eq_ignore_ascii_case(&site.host));
    if !host_matches {
        return Answer::Respond(Response::redirect(&site.home_url()));
    }
    let path = request.path.as_str();
    if let Some(endpoint) = api_endpoint(path) {
        // The module switch is checked before anything else the API does.
        if site.config.developers_disabled {
            return Answer::Respond(if endpoint == "oauth" {
                html(200, pages::error(api::DEVELOPERS_DISABLED))
            } else {
                api::json_response(&api::error(api::DEVELOPERS_DISABLED))
            });
        }
        return match endpoint {
            "authorize" => with_fault(site, Endpoint::Authorize, |_| {
                match api::authorize(site, request) {
                    Ok(value) => api::json_response(&value),
                    Err(_) => Response::new(500, "text/html", HTML_500_BODY),
                }
            }),
            "get_user_info" => with_fault(site, Endpoint::UserInfo, |deleted| {
                api::json_response(&api::get_user_info(site, request, deleted))
            }),
            "oauth" => Answer::Respond(oauth::oauth(site, request)),
            _ => Answer::Respond(api::json_response(&api::unknown_endpoint())),
        };
    }
    let response = match (request.method.as_str(), path) {
        (_, "/" | "/index.php") => oauth::home(site, request),
        ("POST", "/signin") => oauth::signin(site, request),
        (_, "/signin") => oauth::signin_page(site, request),
        ("POST", "/oauth/approve") => oauth::approve(site, request),
        (_, "/signout") => oauth::signout(site, request),
        _ => html(404, pages::not_found()),
    };
    Answer::Respond(response)
}

/// `/api/NAME` or `/api/NAME/` gives NAME (empty for `/api/` itself); deeper paths are not
/// endpoints, as the site's rewrite rule takes one segment only.
fn api_endpoint(path: &str) -> Option<&str> {
    let rest = path
        .strip_prefix("/api")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))?;
    let rest = rest.trim_start_matches('/');
    let name = rest.strip_suffix('/').unwrap_or(rest);
    (!name.contains('/')).then_some(name)
}

/// An HTML page.
pub(crate) fn html(status: u16, body: String) -> Response {
    Response::new(status, "text/html; charset=UTF-8", body)
}

/// Runs `handler` (given whether to answer as for a deleted person) under the fault set on
/// `endpoint`, if any. Faults that stand for something in front of PHP answer without
/// running it, so they use up no key.
fn with_fault(site: &Site, endpoint: Endpoint, handler: impl FnOnce(bool) -> Response) -> Answer {
    let fault = site
        .state()
        .faults
        .iter()
        .find(|fault| fault.endpoint == endpoint)
        .map(|fault| fault.kind);
    match fault {
        None => Answer::Respond(handler(false)),
        Some(FaultKind::Html500) => Answer::Respond(Response::new(500, "text/html", HTML_500_BODY)),
        Some(FaultKind::Reset) => Answer::Reset,
        Some(FaultKind::Empty) => Answer::Respond(Response::new(200, "application/json", "")),
        Some(FaultKind::Redirect) => Answer::Respond(Response::redirect(&site.home_url())),
        Some(FaultKind::Slow) => {
            let response = handler(false);
            site.sleep(site.config.slow_delay);
            Answer::Respond(response)
        }
        Some(FaultKind::BadJson) => {
            let mut response = handler(false);
            let mut body = PHP_WARNING.as_bytes().to_vec();
            body.append(&mut response.body);
            response.body = body;
            Answer::Respond(response)
        }
        Some(FaultKind::Deleted) => Answer::Respond(handler(true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_name_their_endpoint() {
        let table = [
            ("/api/authorize", Some("authorize")),
            ("/api/authorize/", Some("authorize")),
            ("/api/get_user_info", Some("get_user_info")),
            ("/api/", Some("")),
            ("/api", Some("")),
            ("/api/a/b", None),
            ("/apix/authorize", None),
            ("/", None),
        ];
        for (path, expected) in table {
            assert_eq!(api_endpoint(path), expected, "{path}");
        }
    }

    #[test]
    fn the_app_is_matched_with_intval() {
        let site = Site::new(Config::default(), "127.0.0.1:1".to_owned());
        for (app_id, expected) in [
            ("4242", true),
            ("4242abc", true),
            (" 4242", true),
            ("+4242", true),
            ("4242.7", true),
            ("4241", false),
            ("", false),
            ("abc", false),
        ] {
            assert_eq!(site.is_app(app_id), expected, "{app_id:?}");
        }
        let site = Site::new(
            Config {
                app_id: "0".to_owned(),
                ..Config::default()
            },
            "127.0.0.1:1".to_owned(),
        );
        assert!(!site.is_app("abc"), "an app id of 0 must not match junk");
    }
}
