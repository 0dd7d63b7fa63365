//! `pipi whoami`: the profile as one JSON document, and every way the answer can go wrong.

use crate::common::{Bed, text};
use pipi::emulator::Fault;
use std::time::Duration;

fn logged_in(bed: &Bed) {
    let login = bed.login(&[]);
    assert_eq!(login.code(), 0, "{}", login.stderr());
}

#[test]
fn whoami_prints_the_decoded_profile_in_the_servers_order() {
    let bed = Bed::new();
    logged_in(&bed);
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let user: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let obj = user.as_object().unwrap();
    assert_eq!(obj.keys().next().map(String::as_str), Some("user_id"));
    assert_eq!(user["user_name"], "jose");
    assert_eq!(user["user_firstname"], "José");
    assert_eq!(user["user_lastname"], "O'Brien");
    // Every value is a string or null, as the server sends them; nothing is dropped.
    assert!(obj.values().all(|v| v.is_string() || v.is_null()));
    let raw = bed.run(&["whoami", "--raw"]);
    let raw: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    let server_keys: Vec<_> = raw["user_info"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let our_keys: Vec<_> = obj.keys().cloned().collect();
    assert_eq!(server_keys, our_keys);
}

#[test]
fn whoami_raw_prints_the_body_as_received() {
    let bed = Bed::new();
    logged_in(&bed);
    let out = bed.run(&["whoami", "--raw"]);
    assert_eq!(out.status.code(), Some(0));
    let body = text(&out.stdout);
    assert!(body.starts_with("{\"user_info\":{"), "{body}");
    assert!(
        body.contains("Jos&eacute;") && body.contains("O&#039;Brien"),
        "{body}"
    );
    assert!(body.ends_with('\n'));
}

#[test]
fn without_a_login_whoami_needs_authentication() {
    let bed = Bed::new();
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(err.contains("not logged in (profile 'default')"), "{err}");
    assert!(err.contains("hint: run 'pipi login'"), "{err}");
    assert!(bed.site.requests().is_empty());
}

#[test]
fn a_token_the_server_calls_expired_needs_authentication() {
    let bed = Bed::new();
    logged_in(&bed);
    bed.site.advance_clock(Duration::from_secs(61));
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("expired access_token") && err.contains("pipi login"),
        "{err}"
    );
}

#[test]
fn a_token_expired_by_the_local_clock_is_not_sent() {
    let bed = Bed::new();
    logged_in(&bed);
    let mut cache = bed.cache_json("default");
    cache["expires_at"] = "2001-01-01T00:00:00Z".into();
    std::fs::write(bed.cache_file("default"), cache.to_string()).unwrap();
    let before = bed.site.requests().len();
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("expired"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(bed.site.requests().len(), before);
}

#[test]
fn a_deleted_user_is_reported() {
    let bed = Bed::new();
    logged_in(&bed);
    let id = bed.cache_json("default")["user"]["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    bed.site.delete_user(&id);
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("account was deleted"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.stdout, b"");
}

#[test]
fn the_access_token_variable_overrides_the_cache() {
    let mut bed = Bed::new();
    logged_in(&bed);
    let token = bed.token();
    std::fs::remove_file(bed.cache_file("default")).unwrap();
    bed.set("PIPI_ACCESS_TOKEN", &token);
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    bed.set("PIPI_ACCESS_TOKEN", "f".repeat(32));
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(err.contains("invalid access_token"), "{err}");
    // Logging in would not help while the variable is set: the hint says so.
    assert!(err.contains("hint: unset PIPI_ACCESS_TOKEN"), "{err}");
}

#[test]
fn a_corrupt_cache_means_not_logged_in_with_a_warning() {
    let bed = Bed::new();
    std::fs::create_dir_all(bed.cache_dir()).unwrap();
    std::fs::write(bed.cache_file("default"), "{\"access_token\":").unwrap();
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4));
    let err = text(&out.stderr);
    assert!(
        err.contains("pipi: warning:") && err.contains("default.json"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
    // A login replaces it.
    assert_eq!(bed.login(&[]).code(), 0);
    assert_eq!(bed.run(&["whoami"]).status.code(), Some(0));
}

#[test]
fn a_token_is_never_sent_to_another_site() {
    let mut bed = Bed::new();
    logged_in(&bed);
    let other = Bed::new();
    bed.set("PIPI_BASE_URL", other.site.base_url());
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("is for"),
        "{}",
        text(&out.stderr)
    );
    assert!(other.site.requests().is_empty());
    // Without an explicit base URL, the token goes back to the site it came from.
    bed.unset("PIPI_BASE_URL");
    assert_eq!(bed.run(&["whoami"]).status.code(), Some(0));
}

#[test]
fn broken_answers_get_short_clear_errors() {
    for (fault, expect) in [
        ("user_info=html500", "HTTP 500"),
        ("user_info=badjson", "not JSON"),
        ("user_info=empty", "empty answer"),
        ("user_info=reset", "request failed"),
        ("user_info=redirect", "is the base URL right?"),
        ("user_info=slow", "did not answer in time"),
    ] {
        let mut bed = Bed::new();
        logged_in(&bed);
        let token = bed.token();
        let faulty = Bed::with(|c| {
            c.faults = vec![fault.parse::<Fault>().unwrap()];
            c.slow_delay = Duration::from_secs(5);
        });
        bed.set("PIPI_BASE_URL", faulty.site.base_url());
        bed.set("PIPI_ACCESS_TOKEN", &token);
        bed.set("PIPI_HTTP_TIMEOUT", "1");
        let out = bed.run(&["whoami"]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{fault}: {err}");
        assert!(err.contains(expect), "{fault}: {err}");
        assert_eq!(
            err.lines()
                .filter(|l| l.starts_with("pipi: error:"))
                .count(),
            1,
            "{err}"
        );
        assert!(
            !err.contains("<") && !err.contains(&token),
            "{fault}: {err}"
        );
        assert_eq!(out.stdout, b"");
    }
}

#[test]
fn an_answer_dripped_a_byte_a_second_ends_at_the_deadline() {
    // The head comes at once and then one byte every second: each read is quick, so only a
    // deadline over the whole answer ends it (the body would otherwise take minutes).
    let bed = Bed::with(|c| c.drip_interval = Duration::from_secs(1));
    logged_in(&bed);
    let cached = std::fs::read(bed.cache_file("default")).unwrap();
    bed.site.set_faults(vec!["user_info=drip".parse().unwrap()]);
    let started = std::time::Instant::now();
    let out = bed
        .pipi(&["whoami"])
        .env("PIPI_HTTP_TIMEOUT", "2")
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("did not answer in time"), "{err}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "took {took:?}: {err}"
    );
    assert_eq!(std::fs::read(bed.cache_file("default")).unwrap(), cached);
}

#[test]
fn an_error_from_the_server_is_shown_with_its_message() {
    let mut bed = Bed::new();
    bed.set("PIPI_ACCESS_TOKEN", "not-a-token");
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains(
        "the server refused the token in PIPI_ACCESS_TOKEN: Bad Request, invalid access_token"
    ));
}

#[test]
fn a_closed_pipe_exits_quietly() {
    let bed = Bed::new();
    logged_in(&bed);
    let mut child = bed
        .pipi(&["whoami"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn a_proxy_from_the_environment_is_not_used_for_a_loopback_site() {
    let mut bed = Bed::new();
    logged_in(&bed);
    // Nothing listens on the proxy's port: a request sent through it would fail.
    let proxy = format!("http://127.0.0.1:{}", crate::common::free_port());
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        bed.set(var, &proxy);
    }
    let out = bed.run(&["whoami"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
