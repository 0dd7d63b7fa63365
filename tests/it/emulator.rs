//! The emulator's protocol, checked over real HTTP: each test starts its own emulator on
//! 127.0.0.1:0 and talks to it with a client that never follows redirects.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use pipi::emulator::{
    self, Config, DEFAULT_APP_SECRET, Emulator, Endpoint, Fault, FaultKind, Generation,
};
use reqwest::blocking::{Client, RequestBuilder};
use reqwest::redirect::Policy;
use serde_json::Value;

const INVALID_PARAMETERS: &str = r#"{"error":true,"message":"Bad Request, invalid parameters"}"#;
const INVALID_APP_ID: &str = r#"{"error":true,"message":"Bad Request, invalid app_id"}"#;
const INVALID_APP_SECRET: &str = r#"{"error":true,"message":"Bad Request, invalid app_secret"}"#;
const INVALID_AUTH_KEY: &str = r#"{"error":true,"message":"Bad Request, invalid auth_key"}"#;
const UNKNOWN_APP: &str = r#"{"error":true,"message":"We're sorry, but the application you're trying to use doesn't exist or has been disabled"}"#;
const INVALID_ACCESS_TOKEN: &str =
    r#"{"error":true,"message":"Bad Request, invalid access_token"}"#;
const EXPIRED_ACCESS_TOKEN: &str =
    r#"{"error":true,"message":"Bad Request, expired access_token"}"#;

fn start(config: Config) -> Emulator {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    Emulator::start(config, listener).expect("start the emulator")
}

/// An emulator that redirects at once, as the first seeded person.
fn start_auto(config: Config) -> Emulator {
    start(Config {
        auto_approve: true,
        ..config
    })
}

/// One client for every test: building one (TLS set-up included) costs more than a test.
fn client() -> Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            crate::common::http_builder()
                .redirect(Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("build a client")
        })
        .clone()
}

/// What a request got back, read whole.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    location: Option<String>,
    set_cookie: Option<String>,
    body: String,
}

fn send(request: RequestBuilder) -> Answer {
    let response = request.send().expect("the emulator answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let status = response.status().as_u16();
    let content_type = header("content-type");
    let location = header("location");
    let set_cookie = header("set-cookie");
    let body = response.text().expect("a readable body");
    Answer {
        status,
        content_type,
        location,
        set_cookie,
        body,
    }
}

fn get(url: &str) -> Answer {
    send(client().get(url))
}

fn post_form(url: &str, form: &[(&str, &str)]) -> Answer {
    send(client().post(url).form(form))
}

/// Asserts an API answer: status 200, JSON, exactly `body`.
#[track_caller]
fn assert_json(answer: &Answer, body: &str) {
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.body, body);
}

fn is_hex32(text: &str) -> bool {
    text.len() == 32
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The auth key at the end of a redirect to the app.
#[track_caller]
fn key_from(answer: &Answer, redirect_url: &str) -> String {
    assert_eq!(answer.status, 302, "{answer:?}");
    let location = answer.location.as_deref().expect("a Location");
    let prefix = format!("{redirect_url}?auth_key=");
    let key = location
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{location} does not start with {prefix}"));
    assert!(is_hex32(key), "{key}");
    key.to_owned()
}

/// A fresh key from an auto-approving emulator.
fn new_key(emulator: &Emulator) -> String {
    key_from(&get(&emulator.oauth_url()), &emulator.config().redirect_url)
}

fn authorize_url(emulator: &Emulator) -> String {
    format!("{}/api/authorize", emulator.base_url())
}

fn exchange_post(emulator: &Emulator, auth_key: &str) -> Answer {
    let config = emulator.config();
    post_form(
        &authorize_url(emulator),
        &[
            ("app_id", config.app_id.as_str()),
            ("app_secret", config.app_secret.as_str()),
            ("auth_key", auth_key),
        ],
    )
}

fn exchange_get(emulator: &Emulator, auth_key: &str) -> Answer {
    let config = emulator.config();
    let url = with_query(
        &authorize_url(emulator),
        &[
            ("app_id", config.app_id.as_str()),
            ("app_secret", config.app_secret.as_str()),
            ("auth_key", auth_key),
        ],
    );
    get(&url)
}

/// `url` with `params` form-encoded into its query string.
fn with_query(url: &str, params: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("{url}?{query}")
}

#[track_caller]
fn token_from(answer: &Answer) -> String {
    assert_eq!(answer.status, 200);
    let token = answer
        .body
        .strip_prefix(r#"{"access_token":""#)
        .and_then(|rest| rest.strip_suffix(r#""}"#))
        .unwrap_or_else(|| panic!("not a token answer: {}", answer.body));
    assert!(is_hex32(token), "{token}");
    token.to_owned()
}

fn new_token(emulator: &Emulator) -> String {
    token_from(&exchange_post(emulator, &new_key(emulator)))
}

/// Each request the emulator recorded from the `from`th on, as `METHOD /path`: the way a
/// walk went.
fn request_lines(emulator: &Emulator, from: usize) -> Vec<String> {
    emulator.requests()[from..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The token for the key a walk ended with.
fn walked_token(emulator: &Emulator, outcome: &emulator::WalkOutcome) -> String {
    let key = outcome.final_url.rsplit("auth_key=").next().unwrap();
    token_from(&exchange_post(emulator, key))
}

fn user_info(emulator: &Emulator, token: &str) -> Answer {
    get(&format!(
        "{}/api/get_user_info?access_token={token}",
        emulator.base_url()
    ))
}

#[test]
fn authorize_checks_come_in_sngine_order() {
    let emulator = start_auto(Config::default());
    let key = new_key(&emulator);
    let secret = DEFAULT_APP_SECRET;
    let table: &[(&[(&str, &str)], &str)] = &[
        (&[], INVALID_APP_ID),
        (
            &[("app_secret", secret), ("auth_key", &key)],
            INVALID_APP_ID,
        ),
        (&[("app_id", "")], INVALID_APP_ID),
        (&[("app_id", " \t\u{a0}")], INVALID_APP_ID),
        (
            &[
                ("app_id", "999"),
                ("app_secret", secret),
                ("auth_key", &key),
            ],
            UNKNOWN_APP,
        ),
        (&[("app_id", "abc")], UNKNOWN_APP),
        (&[("app_id", "999"), ("app_secret", "wrong")], UNKNOWN_APP),
        (&[("app_id", "4242")], INVALID_APP_SECRET),
        (
            &[("app_id", "4242"), ("app_secret", " ")],
            INVALID_APP_SECRET,
        ),
        (
            &[
                ("app_id", "4242"),
                ("app_secret", "wrong"),
                ("auth_key", &key),
            ],
            INVALID_APP_SECRET,
        ),
        (
            &[
                ("app_id", "4242"),
                ("app_secret", &secret.to_uppercase()),
                ("auth_key", &key),
            ],
            INVALID_APP_SECRET,
        ),
        (
            &[("app_id", "4242"), ("app_secret", secret)],
            INVALID_AUTH_KEY,
        ),
        (
            &[("app_id", "4242"), ("app_secret", secret), ("auth_key", "")],
            INVALID_AUTH_KEY,
        ),
        (
            &[
                ("app_id", "4242"),
                ("app_secret", secret),
                ("auth_key", "0123456789abcdef0123456789abcdef"),
            ],
            INVALID_AUTH_KEY,
        ),
    ];
    for (params, expected) in table {
        assert_json(&post_form(&authorize_url(&emulator), params), expected);
        assert_json(
            &get(&with_query(&authorize_url(&emulator), params)),
            expected,
        );
    }
    // None of those refusals used the key up.
    token_from(&exchange_post(&emulator, &key));
}

#[test]
fn app_id_is_read_with_intval() {
    let emulator = start_auto(Config::default());
    for app_id in [
        "4242", "4242abc", " 4242", "+4242", "04242", "4242.9", "4.242e3",
    ] {
        let key = key_from(
            &get(&format!(
                "{}/api/oauth?app_id={}",
                emulator.base_url(),
                app_id.replace('+', "%2B").replace(' ', "%20")
            )),
            &emulator.config().redirect_url,
        );
        let answer = post_form(
            &authorize_url(&emulator),
            &[
                ("app_id", app_id),
                ("app_secret", DEFAULT_APP_SECRET),
                ("auth_key", &key),
            ],
        );
        token_from(&answer);
    }
    for app_id in ["4241", "-4242", "0x1092", "abc"] {
        let answer = post_form(
            &authorize_url(&emulator),
            &[("app_id", app_id), ("app_secret", DEFAULT_APP_SECRET)],
        );
        assert_json(&answer, UNKNOWN_APP);
    }
}

/// How a client sends the three parameters.
#[derive(Clone, Copy, Debug)]
enum Sent {
    Query,
    Form,
    Json,
    /// A POST with the parameters in the query string and no body.
    PostQuery,
}

fn exchange_as(emulator: &Emulator, sent: Sent, auth_key: &str) -> Answer {
    let config = emulator.config();
    let params = [
        ("app_id", config.app_id.as_str()),
        ("app_secret", config.app_secret.as_str()),
        ("auth_key", auth_key),
    ];
    let url = authorize_url(emulator);
    match sent {
        Sent::Query => get(&with_query(&url, &params)),
        Sent::Form => send(client().post(url).form(&params)),
        Sent::Json => {
            let body = serde_json::json!({
                "app_id": config.app_id, "app_secret": config.app_secret, "auth_key": auth_key,
            });
            send(
                client()
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body.to_string()),
            )
        }
        Sent::PostQuery => send(client().post(with_query(&url, &params))),
    }
}

#[test]
fn each_generation_reads_its_own_place_and_a_refusal_keeps_the_key() {
    use Generation::*;
    use Sent::*;
    let table = [
        (Get, Query, true),
        (Get, PostQuery, true),
        (Get, Form, false),
        (Get, Json, false),
        (Post, Form, true),
        (Post, Query, false),
        (Post, PostQuery, false),
        (Post, Json, false),
        (Both, Query, true),
        (Both, Form, true),
        (Both, PostQuery, true),
        (Both, Json, false),
    ];
    for (generation, sent, accepted) in table {
        let emulator = start_auto(Config {
            generation,
            ..Config::default()
        });
        let key = new_key(&emulator);
        let answer = exchange_as(&emulator, sent, &key);
        if accepted {
            token_from(&answer);
        } else {
            assert_json(&answer, INVALID_APP_ID);
            // The way a client that works everywhere falls back: the key is still good.
            let fallback = if generation == Get { Query } else { Form };
            token_from(&exchange_as(&emulator, fallback, &key));
        }
    }
}

#[test]
fn generation_parses_and_prints() {
    for (text, generation) in [
        ("get", Generation::Get),
        ("post", Generation::Post),
        ("both", Generation::Both),
    ] {
        assert_eq!(text.parse::<Generation>(), Ok(generation));
        assert_eq!(generation.to_string(), text);
    }
}

#[test]
fn both_lets_the_body_win_over_the_query() {
    let emulator = start_auto(Config::default());
    let key = new_key(&emulator);
    let url = format!("{}?app_id=1&app_secret=wrong", authorize_url(&emulator));
    let answer = post_form(
        &url,
        &[
            ("app_id", "4242"),
            ("app_secret", DEFAULT_APP_SECRET),
            ("auth_key", &key),
        ],
    );
    token_from(&answer);
}

#[test]
fn a_key_works_once() {
    let emulator = start_auto(Config::default());
    let key = new_key(&emulator);
    token_from(&exchange_post(&emulator, &key));
    assert_json(&exchange_post(&emulator, &key), INVALID_AUTH_KEY);
    assert_json(&exchange_get(&emulator, &key), INVALID_AUTH_KEY);
}

#[test]
fn only_the_newest_key_works() {
    let emulator = start_auto(Config::default());
    let first = new_key(&emulator);
    let second = new_key(&emulator);
    assert_ne!(first, second);
    assert_json(&exchange_post(&emulator, &first), INVALID_AUTH_KEY);
    token_from(&exchange_post(&emulator, &second));
}

#[test]
fn the_same_token_comes_back_within_its_lifetime_with_its_first_date() {
    let emulator = start_auto(Config::default());
    let first = new_token(&emulator);
    emulator.advance_clock(Duration::from_secs(30));
    assert_eq!(new_token(&emulator), first);
    emulator.advance_clock(Duration::from_secs(25));
    assert_eq!(new_token(&emulator), first);
    assert_eq!(user_info(&emulator, &first).status, 200);
    // 61 s after the first issue: the reuses did not refresh its date.
    emulator.advance_clock(Duration::from_secs(6));
    assert_json(&user_info(&emulator, &first), EXPIRED_ACCESS_TOKEN);
    let second = new_token(&emulator);
    assert_ne!(second, first);
    assert!(
        user_info(&emulator, &second)
            .body
            .starts_with(r#"{"user_info":"#)
    );
    // Only one token per app and person: the old one is gone, not merely expired.
    assert_json(&user_info(&emulator, &first), INVALID_ACCESS_TOKEN);
}

#[test]
fn tokens_expire_by_the_emulator_clock() {
    let table = [
        (Duration::from_secs(60), 0, true),
        (Duration::from_secs(60), 58, true),
        (Duration::from_secs(60), 62, false),
        (Duration::from_secs(60), 3600, false),
        (Duration::from_secs(3600), 3000, true),
        (Duration::from_secs(3600), 3602, false),
    ];
    for (token_ttl, after, valid) in table {
        let emulator = start_auto(Config {
            token_ttl,
            ..Config::default()
        });
        let token = new_token(&emulator);
        emulator.advance_clock(Duration::from_secs(after));
        let answer = user_info(&emulator, &token);
        if valid {
            assert!(
                answer.body.starts_with(r#"{"user_info":{"user_id":"1""#),
                "{after}: {answer:?}"
            );
        } else {
            assert_json(&answer, EXPIRED_ACCESS_TOKEN);
        }
    }
}

#[test]
fn user_info_is_php_json_of_entity_encoded_strings() {
    let emulator = start_auto(Config::default());
    let answer = user_info(&emulator, &new_token(&emulator));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    let raw = &answer.body;
    for expected in [
        r#"{"user_info":{"user_id":"1","user_name":"jose","#,
        r#""user_firstname":"Jos&eacute;","user_lastname":"O&#039;Brien""#,
        r#""user_gender":"Male""#,
        r#""user_registered":"2019-08-14 09:21:07""#,
        r#""user_verified":"1""#,
        r#"&amp; amateur baker. Says &quot;bonjour&quot; &lt;3"#,
        r#"Dublin\/Lyon"#,
        r#""user_website":"https:\/\/jose.example.com\/""#,
        r#""profile_cover":"https:\/\/pipichat.com\/content\/uploads\/""#,
    ] {
        assert!(raw.contains(expected), "{expected} not in {raw}");
    }
    assert!(!raw.contains("https://"), "slashes must be escaped: {raw}");
    let value: Value = serde_json::from_str(raw).unwrap();
    let info = value["user_info"].as_object().unwrap();
    let seeded = &emulator::seed_users()[0];
    assert_eq!(info, seeded, "fields and order as seeded");
    assert!(info.values().all(|v| v.is_string() || v.is_null()));
    let name = format!(
        "{} {}",
        html_escape::decode_html_entities(info["user_firstname"].as_str().unwrap()),
        html_escape::decode_html_entities(info["user_lastname"].as_str().unwrap())
    );
    assert_eq!(name, "José O'Brien");
}

#[test]
fn non_latin_text_goes_out_as_unicode_escapes() {
    let emulator = start_auto(Config {
        signed_in_user: Some("2".to_owned()),
        ..Config::default()
    });
    let raw = user_info(&emulator, &new_token(&emulator)).body;
    assert!(raw.is_ascii(), "{raw}");
    assert!(raw.contains(r#""user_firstname":"\u82b1\u5b50""#), "{raw}");
    assert!(
        raw.contains(r#"\ud83c\udf38"#),
        "an emoji is a surrogate pair: {raw}"
    );
    assert!(raw.contains(r#""user_birthdate":null"#));
    assert!(raw.contains(r#""user_picture":null"#));
    assert!(raw.contains(r#""user_relationship":null"#));
    let value: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(value["user_info"]["user_lastname"], "山田");

    let emulator = start_auto(Config {
        signed_in_user: Some("3".to_owned()),
        ..Config::default()
    });
    let raw = user_info(&emulator, &new_token(&emulator)).body;
    assert!(
        raw.contains(r#""user_firstname":"\u0623\u0645\u064a\u0631\u0629""#),
        "{raw}"
    );
    assert!(
        raw.contains(r#""user_gender":"female""#),
        "a 2.x gender: {raw}"
    );
    assert!(
        !raw.contains("profile_picture"),
        "2.x has no profile_picture: {raw}"
    );
}

#[test]
fn seeds_cover_what_real_servers_send() {
    let people = emulator::seed_users();
    let ids: Vec<&str> = people
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["1", "2", "3", "17"]);
    assert_eq!(people[0]["user_name"], "jose");
    assert!(
        people.iter().any(|p| p.contains_key("user_pronouns")),
        "a fork's field"
    );
    assert!(people.iter().any(|p| p["user_verified"] == "0"));
    assert!(people.iter().any(|p| p["user_verified"] == "1"));
    for person in &people {
        let registered = person["user_registered"].as_str().unwrap();
        assert_eq!(registered.len(), 19, "{registered}");
    }
}

#[test]
fn user_info_refuses_bad_tokens() {
    let emulator = start_auto(Config::default());
    let token = new_token(&emulator);
    let base = emulator.base_url();
    for url in [
        format!("{base}/api/get_user_info"),
        format!("{base}/api/get_user_info?access_token="),
        format!("{base}/api/get_user_info?access_token=%20"),
        format!("{base}/api/get_user_info?access_token=0123456789abcdef0123456789abcdef"),
        format!(
            "{base}/api/get_user_info?access_token={}",
            token.to_uppercase()
        ),
    ] {
        assert_json(&get(&url), INVALID_ACCESS_TOKEN);
    }
    // The token is read from the query string only.
    let answer = post_form(
        &format!("{base}/api/get_user_info"),
        &[("access_token", &token)],
    );
    assert_json(&answer, INVALID_ACCESS_TOKEN);
}

#[test]
fn a_deleted_person_is_an_empty_array() {
    let emulator = start_auto(Config::default());
    let token = new_token(&emulator);
    emulator.delete_user("1");
    assert_json(&user_info(&emulator, &token), "[]");
}

#[test]
fn unknown_endpoints_are_invalid_parameters() {
    let emulator = start(Config::default());
    let base = emulator.base_url();
    for path in ["/api/nope", "/api/", "/api/get_user", "/api/authorize_me"] {
        assert_json(&get(&format!("{base}{path}")), INVALID_PARAMETERS);
        assert_json(
            &post_form(&format!("{base}{path}"), &[("a", "b")]),
            INVALID_PARAMETERS,
        );
    }
    let answer = get(&format!("{base}/nowhere"));
    assert_eq!(answer.status, 404);
}

#[test]
fn another_host_is_sent_to_the_home_page() {
    let emulator = start_auto(Config::default());
    let base = emulator.base_url();
    let port = emulator.local_addr().port();
    for host in [
        format!("localhost:{port}"),
        "127.0.0.1".to_owned(),
        "pipichat.com".to_owned(),
    ] {
        for path in [
            "/api/authorize",
            "/api/get_user_info?access_token=x",
            "/api/oauth?app_id=4242",
        ] {
            let answer = send(
                client()
                    .get(format!("{base}{path}"))
                    .header("host", host.as_str()),
            );
            assert_eq!(answer.status, 302, "{host} {path}");
            assert_eq!(
                answer.location.as_deref(),
                Some(format!("{base}/").as_str())
            );
        }
    }
    // The name it is reached by passes, in any case.
    let answer = send(
        client()
            .get(format!("{base}/api/nope"))
            .header("host", format!("127.0.0.1:{port}")),
    );
    assert_json(&answer, INVALID_PARAMETERS);
}

#[test]
fn the_redirect_is_plain_string_joining() {
    let redirect_url = "http://127.0.0.1:9/callback?src=cli";
    let emulator = start_auto(Config {
        redirect_url: redirect_url.to_owned(),
        ..Config::default()
    });
    let answer = get(&emulator.oauth_url());
    let key = key_from(&answer, redirect_url);
    assert!(
        answer
            .location
            .unwrap()
            .starts_with("http://127.0.0.1:9/callback?src=cli?auth_key=")
    );
    token_from(&exchange_post(&emulator, &key));

    // Extra parameters given to /api/oauth go nowhere.
    let url = format!(
        "{}&state=xyz&redirect_uri=http%3A%2F%2Fevil.example%2F",
        emulator.oauth_url()
    );
    let answer = get(&url);
    let location = answer.location.clone().unwrap();
    key_from(&answer, redirect_url);
    assert!(
        !location.contains("state") && !location.contains("evil"),
        "{location}"
    );
}

#[test]
fn oauth_refuses_missing_and_unknown_apps_with_html() {
    let emulator = start(Config::default());
    let base = emulator.base_url();
    let answer = get(&format!("{base}/api/oauth"));
    assert_eq!(answer.status, 404);
    assert!(answer.content_type.unwrap().starts_with("text/html"));
    for query in ["app_id=1", "app_id=", "app_id=abc", "app_id=42420"] {
        let answer = get(&format!("{base}/api/oauth?{query}"));
        assert_eq!(answer.status, 200, "{query}");
        assert!(
            answer
                .content_type
                .as_deref()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            answer.body.contains(
                "We're sorry, but the application you're trying to use doesn't exist or has been disabled"
            ),
            "{}",
            answer.body
        );
    }
}

/// A browser's session cookie, from a Set-Cookie header.
fn cookie(answer: &Answer) -> String {
    let set_cookie = answer.set_cookie.as_deref().expect("a session cookie");
    set_cookie.split(';').next().unwrap().to_owned()
}

#[test]
fn signing_in_then_consenting_then_straight_through() {
    let emulator = start(Config::default());
    let base = emulator.base_url();
    let redirect_url = emulator.config().redirect_url.clone();

    // Not signed in: the sign-in page, one form per person.
    let page = get(&emulator.oauth_url());
    assert_eq!(page.status, 200);
    assert!(page.content_type.unwrap().starts_with("text/html"));
    assert_eq!(page.body.matches(r#"data-pipi="signin""#).count(), 4);
    assert!(page.body.contains("José O'Brien"));
    assert!(
        page.body
            .contains(r#"name="next" value="/api/oauth?app_id=4242""#)
    );

    // Signing in sets a session and goes back to the oauth URL.
    let signed_in = post_form(
        &format!("{base}/signin"),
        &[("user_id", "1"), ("next", "/api/oauth?app_id=4242")],
    );
    assert_eq!(signed_in.status, 302);
    assert_eq!(
        signed_in.location.as_deref(),
        Some("/api/oauth?app_id=4242")
    );
    let session = cookie(&signed_in);
    assert!(session.starts_with("xs="));

    // First time for this app: the consent page, and no key yet.
    let consent = send(
        client()
            .get(emulator.oauth_url())
            .header("cookie", &session),
    );
    assert_eq!(consent.status, 200);
    for expected in [
        "pipi",
        "127.0.0.1",
        "will receive your name, email address, profile picture",
        "Continue as José O'Brien",
        r#"<a href="/" data-pipi="cancel">Cancel</a>"#,
        r#"data-pipi="approve""#,
    ] {
        assert!(
            consent.body.contains(expected),
            "{expected} not in {}",
            consent.body
        );
    }

    // Approving redirects to the app with a key that works.
    let approved = send(
        client()
            .post(format!("{base}/oauth/approve"))
            .header("cookie", &session)
            .form(&[("app_id", "4242")]),
    );
    let first_key = key_from(&approved, &redirect_url);

    // Approved before: an immediate 302, with a new key that replaces the first.
    let again = send(
        client()
            .get(emulator.oauth_url())
            .header("cookie", &session),
    );
    let second_key = key_from(&again, &redirect_url);
    assert_ne!(first_key, second_key);
    assert_json(&exchange_post(&emulator, &first_key), INVALID_AUTH_KEY);
    let token = token_from(&exchange_post(&emulator, &second_key));
    assert!(
        user_info(&emulator, &token)
            .body
            .contains(r#""user_name":"jose""#)
    );

    // Cancel goes to the home page, which says who is signed in.
    let home = send(client().get(format!("{base}/")).header("cookie", &session));
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Signed in as José O'Brien"));

    // Nothing ever reached the app's redirect URL from the emulator itself, and approval
    // belongs to the person: another browser signing in as someone else gets a consent page.
    let other = post_form(
        &format!("{base}/signin"),
        &[("user_id", "2"), ("next", "/api/oauth?app_id=4242")],
    );
    let other_session = cookie(&other);
    let page = send(
        client()
            .get(emulator.oauth_url())
            .header("cookie", &other_session),
    );
    assert!(page.body.contains("Continue as 花子 山田"));
}

#[test]
fn sign_in_refuses_strangers_and_stays_on_the_site() {
    let emulator = start(Config::default());
    let base = emulator.base_url();
    let answer = post_form(
        &format!("{base}/signin"),
        &[("user_id", "999"), ("next", "/")],
    );
    assert_eq!(answer.status, 200);
    assert!(answer.set_cookie.is_none());
    assert!(answer.body.contains(r#"data-pipi="error""#));
    let answer = post_form(
        &format!("{base}/signin"),
        &[("user_id", "1"), ("next", "https://evil.example/")],
    );
    assert_eq!(answer.location.as_deref(), Some("/"));
    emulator.delete_user("3");
    let page = get(&format!("{base}/signin"));
    assert_eq!(page.body.matches(r#"data-pipi="signin""#).count(), 3);
}

#[test]
fn a_browser_signed_in_already_sees_consent_first() {
    let emulator = start(Config {
        signed_in_user: Some("17".to_owned()),
        ..Config::default()
    });
    let page = get(&emulator.oauth_url());
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Continue as Sam Taylor-Smith"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(r#"data-pipi="signin""#));
    let approved = post_form(
        &format!("{}/oauth/approve", emulator.base_url()),
        &[("app_id", "4242")],
    );
    let key = key_from(&approved, &emulator.config().redirect_url);
    let token = token_from(&exchange_post(&emulator, &key));
    let raw = user_info(&emulator, &token).body;
    assert!(raw.contains(r#""user_pronouns":"they\/them""#), "{raw}");
    // Approved now: the next visit goes straight through.
    key_from(&get(&emulator.oauth_url()), &emulator.config().redirect_url);
}

/// Starts an emulator with one fault in force.
fn start_faulty(endpoint: Endpoint, kind: FaultKind) -> Emulator {
    start_auto(Config {
        faults: vec![Fault { endpoint, kind }],
        slow_delay: Duration::from_millis(300),
        ..Config::default()
    })
}

#[test]
fn faults_on_authorize() {
    for kind in [
        FaultKind::Html500,
        FaultKind::Empty,
        FaultKind::Redirect,
        FaultKind::Reset,
    ] {
        let emulator = start_faulty(Endpoint::Authorize, kind);
        let key = new_key(&emulator);
        let config = emulator.config();
        let request = client().post(authorize_url(&emulator)).form(&[
            ("app_id", config.app_id.as_str()),
            ("app_secret", config.app_secret.as_str()),
            ("auth_key", key.as_str()),
        ]);
        match kind {
            FaultKind::Reset => {
                let result = request.send().and_then(|response| response.text());
                assert!(result.is_err(), "a reset must fail: {result:?}");
            }
            _ => {
                let answer = send(request);
                match kind {
                    FaultKind::Html500 => {
                        assert_eq!(answer.status, 500);
                        assert!(answer.content_type.unwrap().starts_with("text/html"));
                        assert!(answer.body.contains("500 Internal Server Error"));
                    }
                    FaultKind::Empty => assert_json(&answer, ""),
                    FaultKind::Redirect => {
                        assert_eq!(answer.status, 302);
                        let home = format!("{}/", emulator.base_url());
                        assert_eq!(answer.location.as_deref(), Some(home.as_str()));
                    }
                    _ => unreachable!(),
                }
            }
        }
        // These stand in front of the site: the key was never seen, so it still works.
        emulator.set_faults(Vec::new());
        token_from(&exchange_post(&emulator, &key));
    }
}

#[test]
fn a_bad_json_fault_prints_a_php_warning_before_the_answer() {
    let emulator = start_faulty(Endpoint::Authorize, FaultKind::BadJson);
    let key = new_key(&emulator);
    let answer = exchange_post(&emulator, &key);
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert!(
        answer.body.starts_with("<br />\n<b>Warning</b>"),
        "{}",
        answer.body
    );
    assert!(answer.body.ends_with("\"}"), "{}", answer.body);
    assert!(serde_json::from_str::<Value>(&answer.body).is_err());
}

#[test]
fn a_slow_answer_is_right_but_late() {
    let emulator = start_faulty(Endpoint::Authorize, FaultKind::Slow);
    let key = new_key(&emulator);
    let started = Instant::now();
    token_from(&exchange_post(&emulator, &key));
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A client that gives up sooner sees a timeout.
    let key = new_key(&emulator);
    let config = emulator.config();
    let result = client()
        .post(authorize_url(&emulator))
        .timeout(Duration::from_millis(100))
        .form(&[
            ("app_id", config.app_id.as_str()),
            ("app_secret", config.app_secret.as_str()),
            ("auth_key", key.as_str()),
        ])
        .send();
    assert!(result.is_err_and(|error| error.is_timeout()));
}

#[test]
fn faults_on_user_info() {
    let table = [
        (FaultKind::Deleted, 200, "[]"),
        (FaultKind::Empty, 200, ""),
        (FaultKind::Html500, 500, "500 Internal Server Error"),
        (FaultKind::Redirect, 302, ""),
        (FaultKind::Slow, 200, r#"{"user_info":{"user_id":"1""#),
        (FaultKind::BadJson, 200, r#"<br />"#),
    ];
    for (kind, status, body) in table {
        let emulator = start_faulty(Endpoint::UserInfo, kind);
        // The fault is on user_info only: authorize works.
        let token = new_token(&emulator);
        let answer = user_info(&emulator, &token);
        assert_eq!(answer.status, status, "{kind:?}");
        if body.is_empty() {
            assert!(answer.body.is_empty(), "{kind:?}: {}", answer.body);
        } else {
            assert!(
                answer.body.starts_with(body) || answer.body.contains(body),
                "{kind:?}: {}",
                answer.body
            );
        }
    }
    let emulator = start_faulty(Endpoint::UserInfo, FaultKind::Reset);
    let token = new_token(&emulator);
    let url = format!(
        "{}/api/get_user_info?access_token={token}",
        emulator.base_url()
    );
    assert!(client().get(url).send().and_then(|r| r.text()).is_err());
}

#[test]
fn faults_parse_from_the_command_line_form() {
    let fault: Fault = "authorize=html500".parse().unwrap();
    assert_eq!(
        fault,
        Fault {
            endpoint: Endpoint::Authorize,
            kind: FaultKind::Html500
        }
    );
    let fault: Fault = "user_info=deleted".parse().unwrap();
    assert_eq!(
        fault,
        Fault {
            endpoint: Endpoint::UserInfo,
            kind: FaultKind::Deleted
        }
    );
    assert!("authorize=deleted".parse::<Fault>().is_err());
    assert!("nonsense".parse::<Fault>().is_err());
}

#[test]
fn latency_comes_before_every_answer() {
    let emulator = start_auto(Config {
        latency: Duration::from_millis(150),
        ..Config::default()
    });
    let started = Instant::now();
    get(&format!("{}/api/nope", emulator.base_url()));
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[test]
fn requests_are_recorded_as_sent() {
    let emulator = start_auto(Config::default());
    let key = new_key(&emulator);
    exchange_post(&emulator, &key);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    let oauth = &requests[0];
    assert_eq!(
        (oauth.method.as_str(), oauth.path.as_str()),
        ("GET", "/api/oauth")
    );
    assert_eq!(oauth.query, "app_id=4242");
    let exchange = &requests[1];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.path, "/api/authorize");
    assert_eq!(exchange.query, "");
    assert!(
        exchange
            .body
            .contains(&format!("app_secret={DEFAULT_APP_SECRET}"))
    );
    assert!(exchange.body.contains(&format!("auth_key={key}")));
    assert_eq!(
        exchange.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let host = format!("127.0.0.1:{}", emulator.local_addr().port());
    assert_eq!(exchange.host.as_deref(), Some(host.as_str()));
    // The check a client's tests make: the secret never travelled in a URL.
    assert!(
        requests
            .iter()
            .all(|r| !r.query.contains(DEFAULT_APP_SECRET))
    );
}

#[test]
fn urls_and_config_are_as_given() {
    let emulator = start(Config {
        app_id: "77".to_owned(),
        ..Config::default()
    });
    let port = emulator.local_addr().port();
    assert_eq!(emulator.base_url(), format!("http://127.0.0.1:{port}"));
    assert_eq!(
        emulator.oauth_url(),
        format!("http://127.0.0.1:{port}/api/oauth?app_id=77")
    );
    assert_eq!(emulator.config().app_id, "77");
    let bound = Emulator::bind(Config::default(), "127.0.0.1:0").unwrap();
    assert_ne!(bound.local_addr().port(), 0);
}

#[test]
fn users_from_a_file_are_served_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.json");
    std::fs::write(
        &path,
        r#"[{"user_id": 5, "user_name": "zoe", "user_firstname": "Zo&euml;", "user_verified": true, "karma": 12, "user_cover": null}]"#,
    )
    .unwrap();
    let users = emulator::load_users(&path).unwrap();
    let emulator = start_auto(Config {
        users,
        ..Config::default()
    });
    let raw = user_info(&emulator, &new_token(&emulator)).body;
    assert_eq!(
        raw,
        r#"{"user_info":{"user_id":"5","user_name":"zoe","user_firstname":"Zo&euml;","user_verified":"1","karma":"12","user_cover":null}}"#
    );
    std::fs::write(&path, "[1]").unwrap();
    let error = format!("{:#}", emulator::load_users(&path).unwrap_err());
    assert!(error.contains("users[0]: expected an object"), "{error}");
}

#[test]
fn many_emulators_start_and_stop_cleanly() {
    let emulators: Vec<Emulator> = (0..20).map(|_| start(Config::default())).collect();
    let addrs: Vec<_> = emulators.iter().map(Emulator::local_addr).collect();
    for emulator in &emulators {
        assert_json(
            &get(&format!("{}/api/x", emulator.base_url())),
            INVALID_PARAMETERS,
        );
    }
    drop(emulators);
    for addr in addrs {
        assert!(TcpStream::connect(addr).is_err(), "{addr} still listening");
    }
}

#[test]
fn wait_returns_once_shut_down_and_shutdown_cuts_slow_answers_short() {
    let emulator = Arc::new(start_auto(Config {
        faults: vec![Fault {
            endpoint: Endpoint::Authorize,
            kind: FaultKind::Slow,
        }],
        slow_delay: Duration::from_secs(600),
        ..Config::default()
    }));
    let key = new_key(&emulator);
    let waiter = {
        let emulator = Arc::clone(&emulator);
        thread::spawn(move || emulator.wait())
    };
    let slow = {
        let url = authorize_url(&emulator);
        let key = key.clone();
        thread::spawn(move || {
            client()
                .post(url)
                .form(&[
                    ("app_id", "4242"),
                    ("app_secret", DEFAULT_APP_SECRET),
                    ("auth_key", &key),
                ])
                .send()
                .map(|response| response.status().as_u16())
        })
    };
    // Shut down once the slow request is in, held back.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !emulator
        .requests()
        .iter()
        .any(|r| r.path == "/api/authorize")
    {
        assert!(Instant::now() < deadline, "the slow request never came");
        thread::sleep(Duration::from_millis(5));
    }
    let started = Instant::now();
    emulator.shutdown();
    waiter.join().unwrap();
    // The held-back answer is dropped rather than sent.
    assert!(slow.join().unwrap().is_err());
    assert!(started.elapsed() < Duration::from_secs(5));
    emulator.shutdown();
}

/// A stand-in for pipi's loopback listener: answers every request with "done" and keeps
/// the request lines it saw.
struct Callback {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Callback {
    fn start() -> Callback {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/callback", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                record.lock().unwrap().push(line.trim_end().to_owned());
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndone",
                );
            }
        });
        Callback { url, seen }
    }
}

#[test]
fn the_walker_signs_in_consents_and_lands_on_the_redirect_url() {
    let callback = Callback::start();
    let emulator = start(Config {
        redirect_url: callback.url.clone(),
        ..Config::default()
    });
    let outcome = emulator::walk(&emulator.oauth_url(), None).unwrap();
    assert_eq!(outcome.status, 200);
    assert_eq!(outcome.body, "done");
    let key = outcome
        .final_url
        .strip_prefix(&format!("{}?auth_key=", callback.url))
        .unwrap()
        .to_owned();
    assert!(is_hex32(&key));
    assert_eq!(
        callback.seen.lock().unwrap().as_slice(),
        [format!("GET /callback?auth_key={key} HTTP/1.1")]
    );
    // The walk went through the pages, not around them.
    let paths = request_lines(&emulator, 0);
    assert_eq!(
        paths,
        [
            "GET /api/oauth",
            "POST /signin",
            "GET /api/oauth",
            "POST /oauth/approve"
        ]
    );
    let token = token_from(&exchange_post(&emulator, &key));
    assert!(
        user_info(&emulator, &token)
            .body
            .contains(r#""user_id":"1""#)
    );

    // As someone else, by handle: sign-in, consent for them, and their key.
    let outcome = emulator::walk(&emulator.oauth_url(), Some("hanako")).unwrap();
    let token = walked_token(&emulator, &outcome);
    assert!(
        user_info(&emulator, &token)
            .body
            .contains(r#""user_id":"2""#)
    );

    // Jose approved already: a new walk signs in and goes straight through.
    let before = emulator.requests().len();
    emulator::walk(&emulator.oauth_url(), Some("1")).unwrap();
    let paths = request_lines(&emulator, before);
    assert_eq!(paths, ["GET /api/oauth", "POST /signin", "GET /api/oauth"]);
}

#[test]
fn the_walker_goes_straight_through_when_nothing_is_asked() {
    let callback = Callback::start();
    let emulator = start_auto(Config {
        redirect_url: format!("{}?src=cli", callback.url),
        ..Config::default()
    });
    let outcome = emulator::walk(&emulator.oauth_url(), None).unwrap();
    assert!(
        outcome
            .final_url
            .starts_with(&format!("{}?src=cli?auth_key=", callback.url))
    );
    assert!(!format!("{outcome:?}").contains(outcome.final_url.rsplit('=').next().unwrap()));
    assert_eq!(emulator.requests().len(), 1);
}

#[test]
fn the_walker_explains_where_it_got_stuck() {
    let emulator = start(Config::default());
    let base = emulator.base_url();
    let table = [
        (
            format!("{base}/api/oauth?app_id=1"),
            None,
            "doesn't exist or has been disabled",
        ),
        (format!("{base}/api/oauth"), None, "answered 404"),
        (
            emulator.oauth_url(),
            Some("nobody"),
            "no one called \"nobody\"",
        ),
        (
            "ftp://example.com/".to_owned(),
            None,
            "must be http or https",
        ),
        ("not a url".to_owned(), None, "invalid oauth URL"),
    ];
    for (url, as_user, reason) in table {
        let error = format!("{:#}", emulator::walk(&url, as_user).unwrap_err());
        assert!(error.contains(reason), "{url}: {error}");
    }

    // The app's listener is gone: the error names the URL without its key.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let redirect_url = format!("http://{}/callback", closed.local_addr().unwrap());
    drop(closed);
    let emulator = start_auto(Config {
        redirect_url,
        ..Config::default()
    });
    let error = format!(
        "{:#}",
        emulator::walk(&emulator.oauth_url(), None).unwrap_err()
    );
    assert!(error.contains("auth_key=[redacted]"), "{error}");
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
}

#[test]
fn a_disabled_developers_module_refuses_everything() {
    let emulator = start_auto(Config {
        developers_disabled: true,
        ..Config::default()
    });
    let base = emulator.base_url();
    let disabled =
        r#"{"error":true,"message":"The developers module has been disabled by the admin"}"#;
    for path in [
        "/api/authorize",
        "/api/get_user_info?access_token=x",
        "/api/nope",
    ] {
        assert_json(&get(&format!("{base}{path}")), disabled);
    }
    let page = get(&emulator.oauth_url());
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("The developers module has been disabled by the admin")
    );
}

/// Sends raw bytes and returns the raw answer.
fn raw_exchange(emulator: &Emulator, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(emulator.local_addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(bytes).unwrap();
    // Half-closing says "that is all", so a request cut short is not waited on.
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let mut answer = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stream, &mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn garbage_is_refused_and_the_emulator_carries_on() {
    let emulator = start_auto(Config::default());
    for garbage in [
        &b"\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
        b"POST /api/authorize HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST /api/authorize HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"\xff\xfe\xfd\r\n\r\n",
        b"",
    ] {
        let answer = raw_exchange(&emulator, garbage);
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
            "{answer}"
        );
    }
    let mut long_header = b"GET / HTTP/1.1\r\nX: ".to_vec();
    long_header.extend(std::iter::repeat_n(b'a', 70_000));
    long_header.extend(b"\r\n\r\n");
    assert!(raw_exchange(&emulator, &long_header).starts_with("HTTP/1.1 431"));
    new_token(&emulator);
}

#[test]
fn a_chunked_form_body_is_read() {
    let emulator = start_auto(Config {
        generation: Generation::Post,
        ..Config::default()
    });
    let key = new_key(&emulator);
    let body = format!("app_id=4242&app_secret={DEFAULT_APP_SECRET}&auth_key={key}");
    let (first, second) = body.split_at(10);
    let request = format!(
        "POST /api/authorize HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{first}\r\n{:x}\r\n{second}\r\n0\r\n\r\n",
        emulator.local_addr(),
        first.len(),
        second.len(),
    );
    let answer = raw_exchange(&emulator, request.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("\r\nContent-Type: application/json\r\n"),
        "{answer}"
    );
    assert!(answer.contains(r#"{"access_token":""#), "{answer}");
}

#[test]
fn a_non_blocking_listener_is_served_too() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let emulator = Emulator::start(Config::default(), listener).unwrap();
    assert_json(
        &get(&format!("{}/api/x", emulator.base_url())),
        INVALID_PARAMETERS,
    );
}

#[test]
fn the_walker_consents_for_a_browser_signed_in_already() {
    let callback = Callback::start();
    let emulator = start(Config {
        redirect_url: callback.url.clone(),
        signed_in_user: Some("3".to_owned()),
        ..Config::default()
    });
    let outcome = emulator::walk(&emulator.oauth_url(), None).unwrap();
    let token = walked_token(&emulator, &outcome);
    assert!(
        user_info(&emulator, &token)
            .body
            .contains(r#""user_name":"amira""#)
    );
    let paths = request_lines(&emulator, 0);
    assert_eq!(
        paths,
        [
            "GET /api/oauth",
            "POST /oauth/approve",
            "POST /api/authorize",
            "GET /api/get_user_info"
        ]
    );
}
