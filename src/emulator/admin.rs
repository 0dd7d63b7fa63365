//! The admin API under `/__pipi/`: JSON in and out, for tests that drive the emulator from
//! another program. It reads and changes the site's state under the same short lock the
//! site's own endpoints take, and never holds it while reading, parsing or writing, so that
//! it cannot hold them up.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::config::AdminAccess;
use super::faults::Fault;
use super::record::cut;
use super::setup::{
    AppSpec, FaultSpec, MASKED, MAX_ADVANCE_SECS, SettingsSpec, SettingsView, app_json, fault_json,
    from_json, people_from,
};
use super::site::Site;
use super::state::{ActiveFault, MAX_APPS, MAX_FAULTS, MAX_PEOPLE};
use crate::http::{Request, Response};

/// Where the admin API lives.
pub(crate) const PREFIX: &str = "/__pipi/";
/// The largest body the admin API reads: a few thousand people at once.
pub(crate) const MAX_ADMIN_BODY: usize = 256 * 1024;
/// The parameters whose values the request record masks unless told to show them.
const SECRET_PARAMS: [&str; 3] = ["app_secret", "auth_key", "access_token"];

/// Whether `path` is the admin API's.
pub(crate) fn is_admin(path: &str) -> bool {
    path.starts_with(PREFIX) || path == "/__pipi"
}

/// Answers one admin request.
pub(crate) fn answer(site: &Site, request: &Request) -> Response {
    let route = request.path.strip_prefix(PREFIX).unwrap_or("");
    let route = route.strip_suffix('/').unwrap_or(route);
    let method = request.method.as_str();
    if route == "health" {
        return match method {
            "GET" | "HEAD" => ok(&json!({"ok": true})),
            _ => not_allowed("GET"),
        };
    }
    if let Some(refusal) = refuse(site, request) {
        return refusal;
    }
    dispatch(site, request, route, method)
}

/// A request turned away before it is routed: from a web page, unauthorized, or too big.
fn refuse(site: &Site, request: &Request) -> Option<Response> {
    refuse_from_a_web_page(&site.config.admin, request)
        .or_else(|| refuse_unauthorized(&site.config.admin, request))
        .or_else(|| {
            (request.body.len() > MAX_ADMIN_BODY).then(|| {
                bad_request(&format!(
                    "the body is {} bytes, over the admin API's limit of {MAX_ADMIN_BODY}",
                    request.body.len()
                ))
            })
        })
}

/// Runs the admin route `route` with `method`.
fn dispatch(site: &Site, request: &Request, route: &str, method: &str) -> Response {
    let outcome = match (route, method) {
        ("users", "GET") => Ok(list_users(site)),
        ("users", "POST") => add_users(site, &request.body),
        (_, "DELETE") if route.starts_with("users/") => {
            return remove_user(site, &route["users/".len()..]);
        }
        ("apps", "GET") => Ok(list_apps(site)),
        ("apps", "POST") => add_app(site, &request.body),
        ("faults", "GET") => Ok(list_faults(site)),
        ("faults", "POST") => add_fault(site, &request.body),
        ("faults", "DELETE") => {
            site.state().faults.clear();
            Ok(list_faults(site))
        }
        ("settings", "GET") => Ok(settings(site)),
        ("settings", "POST") => change_settings(site, &request.body),
        ("clock", "GET") => Ok(clock(site)),
        ("clock", "POST") => advance_clock(site, &request.body),
        ("requests", "GET") => Ok(requests(site, request)),
        ("reset", "POST") => {
            site.reset();
            Ok(json!({"ok": true}))
        }
        ("users" | "apps" | "settings" | "clock", _) => return not_allowed("GET, POST"),
        ("faults", _) => return not_allowed("GET, POST, DELETE"),
        ("requests", _) => return not_allowed("GET"),
        ("reset", _) => return not_allowed("POST"),
        _ => {
            return json_response(
                404,
                &json!({"error": format!("no admin route {}", request.path)}),
            );
        }
    };
    match outcome {
        Ok(value) => ok(&value),
        Err(error) => bad_request(&format!("{error:#}")),
    }
}

/// A request the admin API's access rule turns away, with why.
fn refuse_unauthorized(access: &AdminAccess, request: &Request) -> Option<Response> {
    match access {
        AdminAccess::Open => None,
        AdminAccess::Closed => Some(json_response(
            403,
            &json!({"error": "the admin API is closed: the site is reachable from other machines and was given no admin token"}),
        )),
        AdminAccess::Token(token) => {
            let given = request
                .header("authorization")
                .and_then(|value| value.strip_prefix("Bearer "))
                .unwrap_or("");
            if same_secret(given.trim().as_bytes(), token.as_bytes()) {
                None
            } else {
                Some(
                    json_response(
                        401,
                        &json!({"error": "the admin API needs the header Authorization: Bearer TOKEN"}),
                    )
                    .with_header("WWW-Authenticate", "Bearer"),
                )
            }
        }
    }
}

/// A call a web page in a browser on this machine made: one that names a page of another
/// site in `Origin` (a cross-site form or fetch), or, when the admin API is open on loopback,
/// one that names a host other than a loopback one (a page whose name was rebound to
/// 127.0.0.1). Programs such as curl and test suites send neither.
fn refuse_from_a_web_page(access: &AdminAccess, request: &Request) -> Option<Response> {
    let foreign_origin = request
        .header("origin")
        .is_some_and(|origin| !is_loopback_origin(origin));
    let foreign_host =
        *access == AdminAccess::Open && !request.header("host").is_some_and(is_loopback_host);
    (foreign_origin || foreign_host).then(|| {
        json_response(
            403,
            &json!({"error": "the admin API answers programs on this machine, not web pages: the request named another site in Origin or Host"}),
        )
    })
}

fn is_loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .is_some_and(|host| !host.contains('/') && is_loopback_host(host))
}

/// `localhost`, `127.x.y.z` or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Compares two secrets in a time that does not depend on where they differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut difference = given.len() ^ expected.len();
    for (index, byte) in expected.iter().enumerate() {
        difference |= usize::from(byte ^ given.get(index).copied().unwrap_or(0));
    }
    difference == 0
}

fn list_users(site: &Site) -> Value {
    // Shared pointers are copied under the lock; the JSON is made after it is released.
    let people: Vec<_> = site
        .state()
        .people
        .iter()
        .map(|(_, person)| person.clone())
        .collect();
    Value::Array(
        people
            .iter()
            .map(|person| Value::Object(Map::clone(person)))
            .collect(),
    )
}

fn add_users(site: &Site, body: &[u8]) -> crate::Result<Value> {
    let people = people_from(from_json(body)?)?;
    let mut state = site.state();
    let new = people
        .iter()
        .filter(|person| !super::users::user_id(person).is_some_and(|id| state.people.contains(id)))
        .count();
    if state.people.len() + new > MAX_PEOPLE {
        crate::error::bail!("the site holds at most {MAX_PEOPLE} people");
    }
    let (mut added, mut replaced) = (0, 0);
    for person in people {
        if state.people.put(person) {
            replaced += 1;
        } else {
            added += 1;
        }
    }
    Ok(json!({"added": added, "replaced": replaced, "count": state.people.len()}))
}

fn remove_user(site: &Site, user_id: &str) -> Response {
    if site.state().people.remove(user_id) {
        ok(&json!({"removed": user_id}))
    } else {
        json_response(
            404,
            &json!({"error": format!("no person with user_id {user_id:?}")}),
        )
    }
}

fn list_apps(site: &Site) -> Value {
    let apps = site.state().apps.clone();
    Value::Array(
        apps.iter()
            .enumerate()
            .map(|(index, app)| {
                let mut value = app_json(app);
                value["default"] = Value::Bool(index == 0);
                value
            })
            .collect(),
    )
}

fn add_app(site: &Site, body: &[u8]) -> crate::Result<Value> {
    let app = from_json::<AppSpec>(body)?.check()?;
    let mut state = site.state();
    let taken = state.apps.iter().position(|other| {
        super::params::intval(&other.app_id) == super::params::intval(&app.app_id)
    });
    match taken {
        Some(0) => crate::error::bail!("app_id {} is the default app's, which stays", app.app_id),
        Some(at) => state.apps[at] = app.clone(),
        None if state.apps.len() >= MAX_APPS => {
            crate::error::bail!("the site holds at most {MAX_APPS} apps")
        }
        None => state.apps.push(app.clone()),
    }
    Ok(app_json(&app))
}

fn list_faults(site: &Site) -> Value {
    let faults = site.state().faults.clone();
    Value::Array(
        faults
            .iter()
            .map(|active| fault_json(&active.fault, active.remaining))
            .collect(),
    )
}

fn add_fault(site: &Site, body: &[u8]) -> crate::Result<Value> {
    let (fault, times): (Fault, Option<u32>) = from_json::<FaultSpec>(body)?.check()?;
    {
        let mut state = site.state();
        if state.faults.len() >= MAX_FAULTS {
            crate::error::bail!("at most {MAX_FAULTS} faults can be in force; clear them first");
        }
        state.faults.push(ActiveFault {
            fault,
            remaining: times,
        });
    }
    Ok(list_faults(site))
}

fn settings(site: &Site) -> Value {
    let (ttl, latency) = {
        let state = site.state();
        (state.token_ttl, state.latency)
    };
    serde_json::to_value(SettingsView {
        token_ttl: ttl.as_secs(),
        latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
    })
    .unwrap_or(Value::Null)
}

fn change_settings(site: &Site, body: &[u8]) -> crate::Result<Value> {
    let (ttl, latency) = from_json::<SettingsSpec>(body)?.check()?;
    {
        let mut state = site.state();
        if let Some(ttl) = ttl {
            state.token_ttl = ttl;
        }
        if let Some(latency) = latency {
            state.latency = latency;
        }
    }
    Ok(settings(site))
}

fn clock(site: &Site) -> Value {
    let state = site.state();
    json!({"now": state.now(), "offset_seconds": state.clock_offset().as_secs()})
}

fn advance_clock(site: &Site, body: &[u8]) -> crate::Result<Value> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Advance {
        advance_seconds: u64,
    }
    let Advance { advance_seconds } = from_json(body)?;
    if advance_seconds > MAX_ADVANCE_SECS {
        crate::error::bail!("advance_seconds: at most {MAX_ADVANCE_SECS}");
    }
    site.state()
        .advance_clock(Duration::from_secs(advance_seconds));
    Ok(clock(site))
}

/// The request record as JSON, oldest first, only the path asked for if one is.
fn requests(site: &Site, request: &Request) -> Value {
    let wanted = super::params::Params::parse(&request.query)
        .get("path")
        .map(str::to_owned);
    let (seen, secrets): (Vec<_>, Vec<String>) = {
        let state = site.state();
        let seen = state
            .requests
            .iter()
            .filter(|seen| wanted.as_deref().is_none_or(|path| seen.path == path))
            .cloned()
            .collect();
        let secrets = state
            .apps
            .iter()
            .map(|app| app.app_secret.clone())
            .collect();
        (seen, secrets)
    };
    let reveal = site.config.reveal_secrets;
    let show = |text: &str| {
        if reveal {
            text.to_owned()
        } else {
            mask(text, &secrets)
        }
    };
    Value::Array(
        seen.iter()
            .map(|seen| {
                json!({
                    "method": seen.method,
                    "path": seen.path,
                    "query": show(&seen.query),
                    "body": show(&seen.body),
                    "body_bytes": seen.body_bytes,
                    "body_truncated": seen.body.len() < seen.body_bytes,
                    "host": seen.host,
                    "content_type": seen.content_type,
                })
            })
            .collect(),
    )
}

/// `text` (a query string or a body) with the values of secret parameters and the apps'
/// secrets wherever they appear replaced by a mark.
pub(crate) fn mask(text: &str, secrets: &[String]) -> String {
    let mut masked = text
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_param(name) => format!("{name}={MASKED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&");
    for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
        masked = masked.replace(secret.as_str(), MASKED);
    }
    masked
}

fn is_secret_param(name: &str) -> bool {
    let decoded: String = url::form_urlencoded::parse(name.as_bytes())
        .map(|(name, _)| name.into_owned())
        .collect();
    let decoded = decoded.replace(['.', ' '], "_");
    let base = decoded.split('[').next().unwrap_or("");
    SECRET_PARAMS.contains(&base)
}

fn ok(value: &Value) -> Response {
    json_response(200, value)
}

fn bad_request(message: &str) -> Response {
    json_response(400, &json!({"error": cut(message, 1000)}))
}

fn not_allowed(allowed: &str) -> Response {
    json_response(
        405,
        &json!({"error": format!("this route takes {allowed}")}),
    )
    .with_header("Allow", allowed)
}

fn json_response(status: u16, value: &Value) -> Response {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    Response::new(status, "application/json", body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn secrets_are_masked_by_name_and_by_value() {
        let secrets = vec!["s3cr3t".to_owned()];
        assert_eq!(
            mask(
                "app_id=1&app_secret=x&auth_key=k&access_token[]=t&q=s3cr3t",
                &secrets
            ),
            "app_id=1&app_secret=[redacted]&auth_key=[redacted]&access_token[]=[redacted]&q=[redacted]"
        );
        assert_eq!(mask("app%5Fsecret=x", &[]), "app%5Fsecret=[redacted]");
        assert_eq!(mask("", &[]), "");
    }

    #[test]
    fn only_loopback_names_count_as_this_machine() {
        for host in [
            "127.0.0.1:8764",
            "127.0.0.2",
            "localhost:1",
            "LOCALHOST",
            "[::1]:80",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:8764",
            "10.0.0.1:80",
            "[2001:db8::1]:80",
            "",
            "localhost.evil:1",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
        assert!(is_loopback_origin("http://127.0.0.1:8764"));
        assert!(!is_loopback_origin("https://evil.example"));
        assert!(!is_loopback_origin("http://127.0.0.1.evil.example"));
        assert!(!is_loopback_origin("null"));
    }

    #[test]
    fn same_secret_is_exact() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"abcd", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }

    fn admin_request(method: &str, route: &str, body: Vec<u8>) -> Request {
        Request {
            method: method.to_owned(),
            path: format!("{PREFIX}{route}"),
            query: String::new(),
            headers: vec![("Host".to_owned(), "127.0.0.1:1".to_owned())],
            body,
        }
    }

    proptest! {
        /// Whatever a client sends to a route that reads JSON, the answer is a success or a
        /// 400 with an error, always JSON, and the site keeps within its bounds.
        #[test]
        fn any_body_is_taken_or_refused_with_a_reason(
            route in prop::sample::select(vec!["users", "apps", "faults", "settings", "clock"]),
            body in prop_oneof![
                prop::collection::vec(any::<u8>(), 0..200),
                "\\PC{0,200}".prop_map(String::into_bytes),
                Just(br#"{"user_id":"9"}"#.to_vec()),
                Just(br#"{"advance_seconds":5}"#.to_vec()),
                Just(br#"{"endpoint":"authorize","kind":"slow","times":3}"#.to_vec()),
            ],
        ) {
            let site = Site::new(super::super::Config::default(), "127.0.0.1:1".to_owned());
            let answer = answer(&site, &admin_request("POST", route, body));
            prop_assert!(answer.status == 200 || answer.status == 400, "{}", answer.status);
            let value: Value = serde_json::from_slice(&answer.body).unwrap();
            if answer.status == 400 {
                prop_assert!(value["error"].as_str().is_some_and(|e| !e.is_empty()));
            }
            let state = site.state();
            prop_assert!(state.people.len() <= MAX_PEOPLE && state.faults.len() <= MAX_FAULTS);
        }

        #[test]
        fn masked_text_never_holds_a_secret_value(
            before in "[a-z=&]{0,10}", secret in "[a-f0-9]{8,12}", after in "[a-z=&]{0,10}"
        ) {
            let text = format!("{before}app_secret={secret}&x={secret}{after}");
            let masked = mask(&text, std::slice::from_ref(&secret));
            prop_assert!(!masked.contains(&secret));
        }
    }
}
