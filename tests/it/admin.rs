//! The emulator's admin API under `/__pipi/`, as other people's tests use it: JSON in and
//! out, clear 400s, bounds, the access rule, and the site's endpoints never held up by it.

use pipi::emulator::{AdminAccess, Config, Emulator};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn site(tweak: impl FnOnce(&mut Config)) -> Emulator {
    let mut config = Config {
        auto_approve: true,
        redirect_url: format!("http://127.0.0.1:{}/callback", crate::common::free_port()),
        ..Config::default()
    };
    tweak(&mut config);
    Emulator::bind(config, "127.0.0.1:0").unwrap()
}

/// One admin call: the status and the JSON answer.
fn call(site: &Emulator, method: &str, route: &str, body: Option<&str>) -> (u16, Value) {
    call_with(site, method, route, body, None)
}

fn call_with(
    site: &Emulator,
    method: &str,
    route: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> (u16, Value) {
    let client = crate::common::http();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, format!("{}/__pipi/{route}", site.base_url()));
    if let Some(body) = body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.to_owned());
    }
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let answer = request.send().unwrap();
    let status = answer.status().as_u16();
    let text = answer.text().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A login as the walker does it, through the app `app_id`, and the token it yields.
fn token_for(site: &Emulator, app_id: &str, secret: &str, redirect_port: u16) -> String {
    let listener = std::net::TcpListener::bind(("127.0.0.1", redirect_port)).unwrap();
    let serve = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
    let walked = pipi::emulator::walk(
        &format!("{}/api/oauth?app_id={app_id}", site.base_url()),
        None,
    )
    .unwrap();
    serve.join().unwrap();
    let key = walked
        .final_url
        .split("auth_key=")
        .nth(1)
        .unwrap()
        .to_owned();
    let answer = crate::common::http()
        .post(format!("{}/api/authorize", site.base_url()))
        .form(&[
            ("app_id", app_id),
            ("app_secret", secret),
            ("auth_key", &key),
        ])
        .send()
        .unwrap()
        .text()
        .unwrap();
    let answer: Value = serde_json::from_str(&answer).unwrap();
    answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

/// A token through the default app, whose redirect URL names a free port.
fn default_token(site: &Emulator) -> String {
    let redirect = &site.config().redirect_url;
    let port = redirect
        .rsplit(':')
        .next()
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap();
    token_for(site, "4242", &site.config().app_secret, port)
}

fn user_info(site: &Emulator, token: &str) -> Value {
    let text = crate::common::http()
        .get(format!(
            "{}/api/get_user_info?access_token={token}",
            site.base_url()
        ))
        .send()
        .unwrap()
        .text()
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn health_answers_and_unknown_routes_are_404() {
    let site = site(|_| {});
    assert_eq!(
        call(&site, "GET", "health", None),
        (200, json!({"ok": true}))
    );
    let (status, answer) = call(&site, "GET", "nothing", None);
    assert_eq!(status, 404);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("/__pipi/nothing")
    );
    let (status, _) = call(&site, "PUT", "users", Some("[]"));
    assert_eq!(status, 405);
    // The admin API is not the site's: its calls are not in the record.
    assert!(site.requests().is_empty());
}

#[test]
fn people_are_added_replaced_listed_and_removed() {
    let site = site(|_| {});
    let before = call(&site, "GET", "users", None)
        .1
        .as_array()
        .unwrap()
        .len();
    let (status, answer) = call(
        &site,
        "POST",
        "users",
        Some(r#"{"user_id": 900, "user_name": "nine", "user_firstname": "Nina"}"#),
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        answer,
        json!({"added": 1, "replaced": 0, "count": before + 1})
    );
    let (_, answer) = call(
        &site,
        "POST",
        "users",
        Some(r#"[{"user_id": "900", "user_name": "niner"}, {"user_id": "901"}]"#),
    );
    assert_eq!(
        answer,
        json!({"added": 1, "replaced": 1, "count": before + 2})
    );
    let (_, people) = call(&site, "GET", "users", None);
    let nine = people
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == "900")
        .unwrap();
    assert_eq!(nine["user_name"], "niner");
    // The person added signs in and is who get_user_info names.
    let token = default_token(&site);
    assert_eq!(user_info(&site, &token)["user_info"]["user_id"], "1");
    assert_eq!(call(&site, "DELETE", "users/900", None).0, 200);
    assert_eq!(call(&site, "DELETE", "users/900", None).0, 404);
    // Removing a person who holds a token: get_user_info answers [] as for a deleted row.
    assert_eq!(call(&site, "DELETE", "users/1", None).0, 200);
    assert_eq!(user_info(&site, &token), json!([]));
}

#[test]
fn bad_bodies_get_a_clear_400() {
    let site = site(|_| {});
    for (route, body, reason) in [
        ("users", "{", "malformed JSON"),
        ("users", "[1]", "users[0]: expected an object"),
        ("users", r#"{"user_name": "x"}"#, "user_id is missing"),
        ("users", r#"[{"user_id":"5"},{"user_id":5}]"#, "used twice"),
        (
            "apps",
            r#"{"app_id":"x","app_secret":"s","redirect_url":"http://h/"}"#,
            "app_id",
        ),
        (
            "apps",
            r#"{"app_id":"4242","app_secret":"s","redirect_url":"http://h/"}"#,
            "default app",
        ),
        (
            "apps",
            r#"{"app_id":"5","app_secret":"s"}"#,
            "missing field",
        ),
        (
            "faults",
            r#"{"endpoint":"token","kind":"slow"}"#,
            "unknown endpoint",
        ),
        (
            "faults",
            r#"{"endpoint":"authorize","kind":"deleted"}"#,
            "only applies to user_info",
        ),
        ("settings", r#"{"token_ttl":0}"#, "token_ttl"),
        ("settings", r#"{"ttl":5}"#, "unknown field"),
        ("clock", r#"{"advance_seconds":-1}"#, "malformed JSON"),
        (
            "clock",
            r#"{"advance_seconds":999999999999}"#,
            "advance_seconds",
        ),
    ] {
        let (status, answer) = call(&site, "POST", route, Some(body));
        assert_eq!(status, 400, "{route} {body}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(reason), "{route} {body}: {error}");
    }
    // A body over the limit is refused before it is parsed.
    let huge = format!("[{}]", vec![r#"{"user_id":"1"}"#; 20_000].join(","));
    assert!(huge.len() > 256 * 1024);
    let (status, answer) = call(&site, "POST", "users", Some(&huge));
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("over the admin API's limit")
    );
    // Nothing was changed by any of them.
    assert_eq!(
        call(&site, "GET", "users", None)
            .1
            .as_array()
            .unwrap()
            .len(),
        Config::default().users.len()
    );
    assert_eq!(
        call(&site, "GET", "apps", None).1.as_array().unwrap().len(),
        1
    );
}

#[test]
fn people_and_apps_are_bounded() {
    let site = site(|_| {});
    // 100,000 people at most, sent 5,000 at a time (each body within the limit).
    let mut refused = None;
    for batch in 0..21 {
        let people: Vec<Value> = (0..5000)
            .map(|i| json!({"user_id": format!("{}", 1000 + batch * 5000 + i)}))
            .collect();
        let (status, answer) = call(
            &site,
            "POST",
            "users",
            Some(&Value::Array(people).to_string()),
        );
        if status != 200 {
            refused = Some((batch, answer));
            break;
        }
    }
    let (batch, answer) = refused.expect("the people were never bounded");
    // The seeded four and 19 batches are in; the twentieth would pass the bound.
    assert_eq!(batch, 19);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("at most 100000 people")
    );
    let held = call(&site, "GET", "users", None)
        .1
        .as_array()
        .unwrap()
        .len();
    assert_eq!(held, 4 + 19 * 5000);
    let mut last = 0;
    for id in 1..=120 {
        let app = json!({"app_id": (5000 + id).to_string(), "app_secret": "s", "redirect_url": "http://127.0.0.1:1/cb"});
        let (status, _) = call(&site, "POST", "apps", Some(&app.to_string()));
        if status != 200 {
            break;
        }
        last = id;
    }
    assert_eq!(last, 99, "the default app and 99 more");
}

#[test]
fn a_second_app_logs_in_with_its_own_secret_and_redirect() {
    let site = site(|_| {});
    let port = crate::common::free_port();
    let secret = "0123456789abcdef0123456789abcdef";
    let app = json!({"app_id": "77", "app_secret": secret, "redirect_url": format!("http://127.0.0.1:{port}/cb"), "app_name": "Two"});
    let (status, answer) = call(&site, "POST", "apps", Some(&app.to_string()));
    assert_eq!(status, 200, "{answer}");
    let token = token_for(&site, "77", secret, port);
    assert_eq!(user_info(&site, &token)["user_info"]["user_id"], "1");
    // The default app's secret does not work for the second app.
    let refused = crate::common::http()
        .post(format!("{}/api/authorize", site.base_url()))
        .form(&[
            ("app_id", "77"),
            ("app_secret", site.config().app_secret.as_str()),
            ("auth_key", "x"),
        ])
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(refused.contains("invalid app_secret"), "{refused}");
    // The record masks the secret and the key by default.
    let (_, seen) = call(&site, "GET", "requests?path=/api/authorize", None);
    let seen = seen.to_string();
    assert!(
        !seen.contains(secret) && seen.contains("[redacted]"),
        "{seen}"
    );
    assert!(
        !call(&site, "GET", "requests", None)
            .1
            .to_string()
            .contains(&token)
    );
}

#[test]
fn the_clock_settings_faults_and_reset() {
    let site = site(|_| {});
    let token = default_token(&site);
    let (_, clock) = call(&site, "POST", "clock", Some(r#"{"advance_seconds": 61}"#));
    assert_eq!(clock["offset_seconds"], 61);
    assert_eq!(
        user_info(&site, &token)["message"],
        "Bad Request, expired access_token"
    );
    // A longer lifetime revives it: the site judges by the lifetime now in force.
    let (_, settings) = call(&site, "POST", "settings", Some(r#"{"token_ttl": 3600}"#));
    assert_eq!(settings, json!({"token_ttl": 3600, "latency_ms": 0}));
    assert_eq!(user_info(&site, &token)["user_info"]["user_id"], "1");
    // A fault for two requests, then none.
    let (_, faults) = call(
        &site,
        "POST",
        "faults",
        Some(r#"{"endpoint":"user_info","kind":"deleted","times":2}"#),
    );
    assert_eq!(
        faults,
        json!([{"endpoint":"user_info","kind":"deleted","times":2}])
    );
    assert_eq!(user_info(&site, &token), json!([]));
    assert_eq!(user_info(&site, &token), json!([]));
    assert_eq!(user_info(&site, &token)["user_info"]["user_id"], "1");
    call(
        &site,
        "POST",
        "faults",
        Some(r#"{"endpoint":"user_info","kind":"deleted"}"#),
    );
    assert_eq!(user_info(&site, &token), json!([]));
    assert_eq!(call(&site, "DELETE", "faults", None), (200, json!([])));
    // Reset: the token, the settings and the clock are as at the start.
    assert_eq!(call(&site, "POST", "reset", None).0, 200);
    assert_eq!(site.requests().len(), 0);
    assert_eq!(
        user_info(&site, &token)["message"],
        "Bad Request, invalid access_token"
    );
    assert_eq!(call(&site, "GET", "settings", None).1["token_ttl"], 60);
    assert_eq!(call(&site, "GET", "clock", None).1["offset_seconds"], 0);
}

#[test]
fn a_token_is_required_when_one_is_set_and_none_gets_in_when_closed() {
    let site = site(|config| config.admin = AdminAccess::Token("s3cret".into()));
    assert_eq!(call(&site, "GET", "health", None).0, 200);
    let (status, answer) = call(&site, "GET", "users", None);
    assert_eq!(status, 401);
    assert!(answer["error"].as_str().unwrap().contains("Bearer"));
    assert_eq!(call_with(&site, "GET", "users", None, Some("wrong")).0, 401);
    assert_eq!(
        call_with(&site, "GET", "users", None, Some("s3cret")).0,
        200
    );
    let closed = self::site(|config| config.admin = AdminAccess::Closed);
    assert_eq!(call(&closed, "GET", "health", None).0, 200);
    assert_eq!(
        call_with(&closed, "POST", "reset", None, Some("anything")).0,
        403
    );
}

/// A client that starts an admin call and never finishes it, and another that reads a large
/// list slowly, hold no lock: the site's own endpoints answer meanwhile.
#[test]
fn the_admin_api_does_not_hold_up_the_site() {
    let site = site(|_| {});
    let people: Vec<Value> = (0..5000)
        .map(|i| json!({"user_id": format!("{}", 100 + i)}))
        .collect();
    assert_eq!(
        call(
            &site,
            "POST",
            "users",
            Some(&Value::Array(people).to_string())
        )
        .0,
        200
    );
    let host = site.local_addr();
    let mut unfinished = TcpStream::connect(host).unwrap();
    write!(
        unfinished,
        "POST /__pipi/users HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[{{\"user_id\":"
    )
    .unwrap();
    let mut slow_reader = TcpStream::connect(host).unwrap();
    write!(
        slow_reader,
        "GET /__pipi/users HTTP/1.1\r\nHost: {host}\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 16];
    slow_reader.read_exact(&mut first).unwrap();
    assert_eq!(&first[..12], b"HTTP/1.1 200");
    // Both are still open; the site answers its own endpoints.
    let token = default_token(&site);
    assert_eq!(user_info(&site, &token)["user_info"]["user_id"], "1");
    assert_eq!(call(&site, "GET", "health", None).0, 200);
    unfinished
        .set_read_timeout(Some(Duration::from_millis(1)))
        .unwrap();
    drop(unfinished);
    drop(slow_reader);
}

/// Web pages on this machine cannot use the admin API: a cross-site call names its page in
/// `Origin`, and a page whose name was rebound to 127.0.0.1 names itself in `Host`.
#[test]
fn web_pages_are_turned_away() {
    let site = site(|_| {});
    let client = crate::common::http();
    let url = format!("{}/__pipi/reset", site.base_url());
    let from_page = client
        .post(&url)
        .header("Origin", "https://evil.example")
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(from_page.status(), 403);
    assert!(from_page.text().unwrap().contains("not web pages"));
    let rebound = client
        .post(&url)
        .header("Host", format!("evil.example:{}", site.local_addr().port()))
        .send()
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let by_name = client
        .get(format!("{}/__pipi/apps", site.base_url()))
        .header("Host", format!("localhost:{}", site.local_addr().port()))
        .header("Origin", site.base_url())
        .send()
        .unwrap();
    assert_eq!(by_name.status(), 200);
}

/// Started to show secrets (`pipi mock --log-secrets`), the record shows what was sent.
#[test]
fn the_record_shows_secrets_only_when_told() {
    let site = site(|config| config.reveal_secrets = true);
    let token = default_token(&site);
    assert_eq!(user_info(&site, &token)["user_info"]["user_id"], "1");
    let secret = site.config().app_secret.clone();
    let (_, seen) = call(&site, "GET", "requests", None);
    let seen = seen.to_string();
    assert!(seen.contains(&secret) && seen.contains(&token), "{seen}");
    assert!(!seen.contains("[redacted]"), "{seen}");
}
