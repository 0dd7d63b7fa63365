//! `pipi api`: any endpoint, with the cached token and the given fields, its JSON answer on
//! stdout; errors and exit codes as for `whoami`.

use crate::common::{Bed, text};
use std::time::Duration;

fn logged_in() -> Bed {
    let bed = Bed::new();
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
    bed
}

fn api_requests(bed: &Bed, path: &str) -> Vec<pipi::emulator::RecordedRequest> {
    bed.site
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .collect()
}

#[test]
fn an_endpoint_answers_with_pretty_json_on_stdout() {
    let bed = logged_in();
    let out = bed.run(&["api", "get_user_info"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let body = text(&out.stdout);
    assert!(body.starts_with("{\n  \"user_info\": {\n"), "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    // The API's answer as it is: entities are not decoded, the order is the server's.
    assert_eq!(json["user_info"]["user_firstname"], "Jos&eacute;");
    let first_key = json["user_info"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .cloned();
    assert_eq!(first_key.as_deref(), Some("user_id"));

    let raw = bed.run(&["api", "/api/get_user_info/", "--raw"]);
    assert_eq!(raw.status.code(), Some(0), "{}", text(&raw.stderr));
    assert!(text(&raw.stdout).starts_with("{\"user_info\":{"));
}

#[test]
fn fields_go_in_the_query_or_in_a_form() {
    let bed = logged_in();
    let token = bed.token();
    let out = bed.run(&["api", "get_user_info", "-f", "page=2", "-f", "q=a b&c"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let seen = api_requests(&bed, "/api/get_user_info");
    let get = seen.last().unwrap();
    assert_eq!(get.method, "GET");
    assert_eq!(
        get.query,
        format!("access_token={token}&page=2&q=a+b%26c"),
        "the token first, then the fields in order"
    );

    let out = bed.run(&["api", "get_user_info", "-X", "POST", "-f", "text=hi there"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let post = api_requests(&bed, "/api/get_user_info").pop().unwrap();
    assert_eq!(post.method, "POST");
    assert_eq!(post.query, format!("access_token={token}"));
    assert_eq!(post.body, "text=hi+there");
    assert_eq!(
        post.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
}

#[test]
fn an_unknown_endpoint_is_an_error_with_the_servers_message() {
    let bed = logged_in();
    let out = bed.run(&["api", "no_such_thing"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(out.stdout, b"");
    let err = text(&out.stderr);
    assert!(
        err.contains("pipi: error: the site has no endpoint 'no_such_thing'")
            && err.contains("Bad Request, invalid parameters"),
        "{err}"
    );
    assert!(err.contains("hint: check the name"), "{err}");
}

#[test]
fn a_refused_or_missing_token_needs_a_login() {
    let bed = Bed::new();
    let out = bed.run(&["api", "get_user_info"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("pipi login"));

    let bed = logged_in();
    // The server's clock says the token is dead while pipi's still thinks it lives.
    bed.site.advance_clock(Duration::from_secs(120));
    let out = bed.run(&["api", "get_user_info"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("the server refused the token: Bad Request, expired access_token"),
        "{err}"
    );
    assert!(err.contains("hint: run 'pipi login'"), "{err}");
    assert_eq!(out.stdout, b"");
}

#[test]
fn a_token_from_the_environment_is_used() {
    let mut bed = logged_in();
    let token = bed.token();
    std::fs::remove_file(bed.cache_file("default")).unwrap();
    bed.set("PIPI_ACCESS_TOKEN", token);
    let out = bed.run(&["api", "get_user_info"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn endpoints_and_fields_that_are_not_plain_are_refused_before_any_request() {
    let bed = logged_in();
    let before = bed.site.requests().len();
    for args in [
        &["api", "../oauth"][..],
        &["api", "https://evil.example/api/get_user_info"],
        &["api", "get_user_info?access_token=x"],
        &["api", "get_user_info", "-f", "novalue"],
        &["api", "get_user_info", "-f", "access_token=x"],
    ] {
        let out = bed.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(out.stdout, b"", "{args:?}");
    }
    assert_eq!(bed.site.requests().len(), before);
}
